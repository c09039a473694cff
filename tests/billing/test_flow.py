"""From the nurse's signature to the biller's queue, through the views."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from billing.models import Claim, ClaimEvent, Payer
from refills import services
from refills.models import Encounter
from tests.factories import (
    billing_reference,
    cover,
    encounter_data,
    encounter_post,
    provider_visit,
    signed_refill,
    verify_post,
    visit_post,
)


@pytest.fixture
def medicare(patient):
    payer = billing_reference()
    cover(patient, payer)
    return payer


def _document_verify_sign(client, nurse, patient):
    client.force_login(nurse)
    client.post(
        reverse("refills:encounter_create", args=[patient.pk]),
        encounter_post(encounter_data()),
    )
    encounter = Encounter.objects.get()
    client.post(
        reverse("refills:encounter_verify", args=[encounter.pk]),
        verify_post(),
    )
    client.post(reverse("refills:encounter_sign", args=[encounter.pk]), {"attest": "on"})
    return Encounter.objects.get(pk=encounter.pk)


def test_signed_refill_reaches_the_biller_with_lines_and_reasons(
    client, nurse, nurse2, biller, patient, medicare
):
    # No supervising practitioner documented: Medicare office refills hold on R40.
    encounter = _document_verify_sign(client, nurse, patient)
    assert encounter.status == "signed"

    client.force_login(biller)
    queue = client.get(reverse("billing:queue"))
    claims = list(queue.context["page"])
    assert [c.encounter_id for c in claims] == [encounter.pk]

    claim = claims[0]
    page = client.get(reverse("billing:claim_detail", args=[claim.pk]))
    assert page.status_code == 200
    lines = list(page.context["claim"].lines.all())
    assert [(line.code, line.modifiers, line.units) for line in lines] == [("96521", [], 1)]
    assert lines[0].charge == Decimal("175.00")
    assert lines[0].expected_allowed == Decimal("123.83")
    rules = {f.rule for f in page.context["claim"].findings.all()}
    assert {"R01", "R40", "R50"} <= rules
    assert claim.status == "hold"
    assert b"R40" in page.content


def test_provider_visit_after_signing_supersedes_the_claim_with_modifier_25(
    client, nurse, nurse2, provider, biller, patient, medicare
):
    encounter = _document_verify_sign(client, nurse, patient)
    first = Claim.objects.get(encounter=encounter)

    client.force_login(provider)
    client.post(
        reverse("refills:provider_visit_create", args=[patient.pk]),
        visit_post(encounter.date_of_service),
    )

    first.refresh_from_db()
    live = Claim.objects.exclude(status="void").get(encounter=encounter)
    assert first.status == "void"
    assert live.supersedes == first
    assert [(line.code, line.modifiers) for line in live.lines.all()] == [
        ("96521", []),
        ("99213", ["25"]),
    ]
    assert live.diagnoses == ["Z51.11", "C18.9", "R11.0"]
    assert live.total_charge == Decimal("295.00")


def test_biller_approves_a_ready_claim_and_it_is_audited(client, nurse, nurse2, biller, patient):
    payer = billing_reference(program="commercial", code="AETNA")
    cover(patient, payer)
    encounter = _document_verify_sign(client, nurse, patient)
    claim = Claim.objects.get(encounter=encounter)
    assert claim.status == "ready"

    client.force_login(biller)
    response = client.post(reverse("billing:claim_approve", args=[claim.pk]))

    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == "approved"
    event = ClaimEvent.objects.filter(claim=claim).last()
    assert (event.from_status, event.to_status, event.by) == ("ready", "approved", biller)


def test_hold_needs_a_reason_and_release_returns_to_ready(client, nurse, nurse2, biller, patient):
    payer = billing_reference(program="commercial", code="AETNA")
    cover(patient, payer)
    encounter = _document_verify_sign(client, nurse, patient)
    claim = Claim.objects.get(encounter=encounter)
    client.force_login(biller)

    client.post(reverse("billing:claim_hold", args=[claim.pk]), {"reason": ""})
    claim.refresh_from_db()
    assert claim.status == "ready"

    client.post(reverse("billing:claim_hold", args=[claim.pk]), {"reason": "Check auth"})
    claim.refresh_from_db()
    assert (claim.status, claim.hold_reason) == ("hold", "Check auth")

    client.post(reverse("billing:claim_release", args=[claim.pk]), {"reason": "Auth on file"})
    claim.refresh_from_db()
    assert (claim.status, claim.hold_reason) == ("ready", "")


def test_nurse_cannot_see_the_queue(client, nurse):
    client.force_login(nurse)
    assert client.get(reverse("billing:queue")).status_code == 403


def test_payer_policy_change_affects_the_next_decision_only(nurse, nurse2, patient):
    payer = billing_reference(program="commercial", code="AETNA")
    cover(patient, payer)
    day = timezone.localdate()
    # Billed in her profile's role, registered nurse; R22 decides by payer.
    provider_visit(nurse2, patient, day, "99211", note="n", diagnoses=[])
    encounter = signed_refill(patient, nurse, nurse2)
    first = Claim.objects.get(encounter=encounter)
    assert [line.code for line in first.lines.all()] == ["96521"]

    Payer.objects.filter(pk=payer.pk).update(allows_99211_with_drug_admin=True)
    first.refresh_from_db()
    assert [line.code for line in first.lines.all()] == ["96521"]

    services.addendum_create(
        by=nurse,
        encounter=encounter,
        text="Teach-back repeated.",
        corrections={"teach_back_done": True},
    )
    live = Claim.objects.exclude(status="void").get(encounter=encounter)
    assert [(line.code, line.modifiers) for line in live.lines.all()] == [
        ("96521", []),
        ("99211", ["25"]),
    ]
