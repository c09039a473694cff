"""Database-level guards of the legal record: whatever path writes, a signed row stays."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from refills import services
from refills.models import Encounter, SignedRecordError, VerificationAttempt
from tests.factories import BLIND_OK, encounter_data, signed_refill


@pytest.fixture
def draft(patient, nurse):
    return services.encounter_create(by=nurse, patient=patient, data=encounter_data())


@pytest.fixture
def signed(patient, nurse, nurse2):
    return signed_refill(patient, nurse, nurse2)


def test_queryset_update_refuses_a_signed_row(signed):
    with pytest.raises(SignedRecordError):
        Encounter.objects.filter(pk=signed.pk).update(weight_kg=Decimal("99"))
    assert Encounter.objects.get(pk=signed.pk).weight_kg == Decimal("71.4")


def test_queryset_update_touching_any_signed_row_changes_none(signed, draft):
    with pytest.raises(SignedRecordError):
        Encounter.objects.all().update(drug_lot="OTHER")
    assert sorted(Encounter.objects.values_list("drug_lot", flat=True)) == ["F5U2291", "F5U2291"]


def test_bulk_update_refuses_a_signed_row(signed):
    stored = Encounter.objects.get(pk=signed.pk)
    stored.adverse_reaction = "rewritten"
    with pytest.raises(SignedRecordError), transaction.atomic():
        Encounter.objects.bulk_update([stored], ["adverse_reaction"])
    assert Encounter.objects.get(pk=signed.pk).adverse_reaction == "none"


def test_queryset_update_of_drafts_still_works(draft):
    assert Encounter.objects.filter(pk=draft.pk).update(tolerance_notes="ok") == 1
    assert Encounter.objects.get(pk=draft.pk).tolerance_notes == "ok"


@pytest.mark.postgres
def test_postgres_trigger_refuses_an_update_that_skips_the_orm_guards(signed):
    with pytest.raises(IntegrityError, match="signed"), transaction.atomic():
        Encounter._base_manager.filter(pk=signed.pk).update(weight_kg=Decimal("99"))
    with (
        pytest.raises(IntegrityError, match="signed"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE refills_encounter SET adverse_reaction = 'x' WHERE id = %s", [signed.pk]
        )
    stored = Encounter.objects.get(pk=signed.pk)
    assert (stored.weight_kg, stored.adverse_reaction) == (Decimal("71.4"), "none")


@pytest.mark.postgres
def test_postgres_trigger_lets_the_signing_update_through(draft, nurse, nurse2):
    services.encounter_verify(verifier=nurse2, encounter=draft, entered=BLIND_OK)
    services.encounter_sign(by=nurse, encounter=draft)
    assert Encounter.objects.get(pk=draft.pk).status == "signed"


def test_verification_attempts_are_written_once(draft, nurse2):
    services.encounter_verify(verifier=nurse2, encounter=draft, entered=BLIND_OK)
    attempt = VerificationAttempt.objects.get()
    attempt.rate_ml_h = Decimal("9")

    with pytest.raises(SignedRecordError):
        attempt.save()
    with pytest.raises(SignedRecordError):
        attempt.delete()
    assert VerificationAttempt.objects.get().rate_ml_h == Decimal("2.00")
