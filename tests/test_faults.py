"""A failure half-way through signing, an addendum or an export leaves nothing half-done."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from billing import services as billing_services
from billing.models import Claim, ClaimEvent, ClaimExport, ClaimLine
from refills import services
from refills.models import Addendum, Encounter
from tests.factories import (
    approved_claim,
    billing_reference,
    cover,
    verified_refill,
)


class Outage(Exception):
    pass


def broken(*args, **kwargs):
    raise Outage("the billing engine is down")


def breaks_after(real):
    """The real call, then a failure: its rows are written when the error comes."""

    def call(*args, **kwargs):
        real(*args, **kwargs)
        raise Outage("failed after writing")

    return call


@pytest.fixture
def verified(patient, nurse, nurse2):
    cover(patient, billing_reference(program="commercial", code="AETNA"))
    return verified_refill(patient, nurse, nurse2)


def assert_still_verified(encounter: Encounter) -> None:
    stored = Encounter.objects.get(pk=encounter.pk)
    assert (stored.status, stored.signed_by, stored.signed_at) == ("verified", None, None)
    assert not stored.history.filter(status="signed").exists()
    assert Claim.objects.count() == 0
    assert Claim.history.count() == 0
    assert ClaimEvent.objects.count() == 0


def test_engine_failure_while_signing_leaves_the_encounter_unsigned(verified, nurse, monkeypatch):
    monkeypatch.setattr("billing.services.deciding.decide", broken)

    with pytest.raises(Outage):
        services.encounter_sign(by=nurse, encounter=verified)

    assert_still_verified(verified)


def test_failure_after_the_claim_is_written_takes_the_claim_back_too(verified, nurse, monkeypatch):
    monkeypatch.setattr(
        ClaimLine.objects, "bulk_create", breaks_after(ClaimLine.objects.bulk_create)
    )

    with pytest.raises(Outage):
        services.encounter_sign(by=nurse, encounter=verified)

    assert_still_verified(verified)
    assert ClaimLine.objects.count() == 0


def test_signing_page_answers_500_and_keeps_the_encounter_unsigned(verified, nurse, monkeypatch):
    monkeypatch.setattr("billing.services.deciding.decide", broken)
    client = Client(raise_request_exception=False)
    client.force_login(nurse)

    response = client.post(reverse("refills:encounter_sign", args=[verified.pk]), {"attest": "on"})

    assert response.status_code == 500
    assert_still_verified(verified)
    # Signing works once the engine is back.
    monkeypatch.undo()
    services.encounter_sign(by=nurse, encounter=verified)
    assert Claim.objects.get(encounter=verified).status == "ready"


def test_failed_redecision_leaves_no_addendum(verified, nurse, monkeypatch):
    signed = services.encounter_sign(by=nurse, encounter=verified)
    claim = Claim.objects.get(encounter=signed)
    monkeypatch.setattr("billing.services.deciding.decide", broken)

    with pytest.raises(Outage):
        services.addendum_create(by=nurse, encounter=signed, text="Late entry.")

    assert Addendum.objects.count() == 0
    assert Addendum.history.count() == 0
    assert list(Claim.objects.values_list("pk", "status")) == [(claim.pk, claim.status)]


@pytest.mark.usefixtures("practice")
def test_failure_after_the_export_is_written_leaves_claims_approved(
    nurse, nurse2, biller, provider, monkeypatch
):
    claim = approved_claim(nurse, nurse2, biller, provider)
    monkeypatch.setattr(
        ClaimEvent.objects, "bulk_create", breaks_after(ClaimEvent.objects.bulk_create)
    )

    with pytest.raises(Outage):
        billing_services.claims_export(by=biller, fmt="x12")

    claim.refresh_from_db()
    assert (claim.status, claim.export_id) == ("approved", None)
    assert ClaimExport.objects.count() == 0
    assert not claim.history.filter(status="exported").exists()
    assert not ClaimEvent.objects.filter(to_status="exported").exists()
    monkeypatch.undo()
    export = billing_services.claims_export(by=biller, fmt="x12")
    assert export.interchange_control_number == 1
