from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from refills import services
from refills.models import Addendum, Encounter, SignedRecordError, VerificationAttempt
from refills.services import HardStopError, RefillError
from tests.factories import BLIND_OK, PatientFactory, encounter_data, make_encounter, provider_visit


@pytest.fixture
def draft(patient, nurse):
    return services.encounter_create(by=nurse, patient=patient, data=encounter_data())


@pytest.fixture
def verified(draft, nurse2):
    services.encounter_verify(verifier=nurse2, encounter=draft, entered=BLIND_OK)
    return Encounter.objects.get(pk=draft.pk)


def test_create_saves_a_draft_with_the_nurse_as_performer(patient, nurse):
    encounter = services.encounter_create(by=nurse, patient=patient, data=encounter_data())

    stored = Encounter.objects.get(pk=encounter.pk)
    assert stored.status == "draft"
    assert stored.performing_nurse == nurse
    assert stored.weight_kg == Decimal("71.4")
    assert stored.history.count() == 1
    assert stored.history.first().history_change_reason == "documented"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"drug_expires_on": "yesterday"}, "drug_expires_on"),
        ({"cbc_collected_on": "tomorrow", "date_of_service": "yesterday"}, "cbc_collected_on"),
        ({"cmp_collected_on": "tomorrow", "date_of_service": "yesterday"}, "cmp_collected_on"),
        ({"weight_kg": Decimal("0.9")}, "weight_kg"),
        ({"weight_kg": Decimal("400.1")}, "weight_kg"),
        ({"infusion_started_at": "future"}, "infusion_started_at"),
        ({"adverse_reaction": "   "}, "adverse_reaction"),
    ],
)
def test_hard_stops_refuse_and_save_nothing(patient, nurse, overrides, field):
    today = timezone.localdate()
    days = {"yesterday": today - dt.timedelta(days=1), "tomorrow": today}
    resolved = {}
    for key, value in overrides.items():
        if value == "future":
            value = timezone.now() + dt.timedelta(minutes=10)
        resolved[key] = days.get(value, value) if isinstance(value, str) else value
    if overrides.get("date_of_service") == "yesterday":
        resolved["weight_measured_on"] = resolved["date_of_service"]
        other = "cmp_collected_on" if field == "cbc_collected_on" else "cbc_collected_on"
        resolved[other] = resolved["date_of_service"]
    data = encounter_data(**resolved)

    with pytest.raises(HardStopError) as caught:
        services.encounter_create(by=nurse, patient=patient, data=data)

    assert field in caught.value.errors
    assert Encounter.objects.count() == 0


def test_weight_bounds_are_inclusive(patient, nurse):
    for weight in (Decimal("1.0"), Decimal("400.0")):
        services.encounter_create(by=nurse, patient=patient, data=encounter_data(weight_kg=weight))
    assert sorted(Encounter.objects.values_list("weight_kg", flat=True)) == [
        Decimal("1.0"),
        Decimal("400.0"),
    ]


def test_lot_expiring_on_the_date_of_service_is_accepted(patient, nurse):
    today = timezone.localdate()
    encounter = services.encounter_create(
        by=nurse, patient=patient, data=encounter_data(drug_expires_on=today)
    )
    assert encounter.drug_expires_on == today


def test_database_refuses_an_expired_lot_even_without_the_service(patient, nurse):
    today = timezone.localdate()
    with pytest.raises(IntegrityError), transaction.atomic():
        make_encounter(patient, nurse, drug_expires_on=today - dt.timedelta(days=1))


def test_database_refuses_weight_out_of_range(patient, nurse):
    with pytest.raises(IntegrityError), transaction.atomic():
        make_encounter(patient, nurse, weight_kg=Decimal("401"))


def test_blind_check_match_verifies(draft, nurse2):
    result = services.encounter_verify(verifier=nurse2, encounter=draft, entered=BLIND_OK)

    stored = Encounter.objects.get(pk=draft.pk)
    assert result.matched
    assert stored.status == "verified"
    assert stored.verified_by == nurse2
    assert VerificationAttempt.objects.get().mismatched_fields == []


def test_blind_check_mismatch_is_recorded_and_keeps_the_draft(draft, nurse2):
    entered = {**BLIND_OK, "rate_ml_h": Decimal("20.00")}

    result = services.encounter_verify(verifier=nurse2, encounter=draft, entered=entered)

    stored = Encounter.objects.get(pk=draft.pk)
    assert not result.matched
    assert stored.status == "draft"
    assert stored.verified_by is None
    attempt = VerificationAttempt.objects.get()
    assert attempt.mismatched_fields == ["rate_ml_h"]
    assert attempt.rate_ml_h == Decimal("20.00")


def test_mismatch_blocks_signing_until_resolved(draft, nurse, nurse2):
    services.encounter_verify(
        verifier=nurse2, encounter=draft, entered={**BLIND_OK, "pump_volume_ml": Decimal("9")}
    )
    with pytest.raises(RefillError, match="verify"):
        services.encounter_sign(by=nurse, encounter=draft)

    services.encounter_verify(verifier=nurse2, encounter=draft, entered=BLIND_OK)
    services.encounter_sign(by=nurse, encounter=draft)
    assert Encounter.objects.get(pk=draft.pk).status == "signed"


def test_the_documenting_nurse_cannot_verify(draft, nurse):
    with pytest.raises(RefillError) as caught:
        services.encounter_verify(verifier=nurse, encounter=draft, entered=BLIND_OK)

    assert caught.value.code == "same_verifier"
    assert Encounter.objects.get(pk=draft.pk).status == "draft"
    assert VerificationAttempt.objects.count() == 0


def test_database_refuses_the_same_person_twice(draft, nurse):
    with pytest.raises(IntegrityError), transaction.atomic():
        Encounter.objects.filter(pk=draft.pk).update(
            verified_by=nurse, verified_at=timezone.now(), status="verified"
        )


def test_a_user_without_the_verify_permission_cannot_verify(draft, biller):
    with pytest.raises(RefillError) as caught:
        services.encounter_verify(verifier=biller, encounter=draft, entered=BLIND_OK)
    assert caught.value.code == "role"
    assert Encounter.objects.get(pk=draft.pk).status == "draft"


def test_editing_a_verified_encounter_clears_the_verification(verified, nurse):
    data = encounter_data(rate_ml_h=Decimal("2.05"))

    services.encounter_update(by=nurse, encounter=verified, data=data)

    stored = Encounter.objects.get(pk=verified.pk)
    assert stored.status == "draft"
    assert stored.verified_by is None
    assert stored.rate_ml_h == Decimal("2.05")


def test_only_the_performing_nurse_signs(verified, nurse2):
    with pytest.raises(RefillError) as caught:
        services.encounter_sign(by=nurse2, encounter=verified)
    assert caught.value.code == "owner"
    assert Encounter.objects.get(pk=verified.pk).status == "verified"


def test_signing_locks_the_record_for_services(verified, nurse):
    services.encounter_sign(by=nurse, encounter=verified)

    with pytest.raises(RefillError) as caught:
        services.encounter_update(
            by=nurse, encounter=verified, data=encounter_data(weight_kg=Decimal("80"))
        )
    assert caught.value.code == "locked"
    assert Encounter.objects.get(pk=verified.pk).weight_kg == Decimal("71.4")


def test_signing_locks_the_record_for_save_and_delete(verified, nurse):
    services.encounter_sign(by=nurse, encounter=verified)
    stored = Encounter.objects.get(pk=verified.pk)
    stored.weight_kg = Decimal("90")

    with pytest.raises(SignedRecordError):
        stored.save()
    with pytest.raises(SignedRecordError):
        stored.delete()
    assert Encounter.objects.get(pk=verified.pk).weight_kg == Decimal("71.4")


def test_addendum_keeps_the_original_and_applies_corrections(verified, nurse):
    services.encounter_sign(by=nurse, encounter=verified)

    services.addendum_create(
        by=nurse,
        encounter=verified,
        text="Site care taught at the bedside; documented late.",
        corrections={"teaching_site_care": True, "adverse_reaction": "mild nausea"},
    )

    stored = Encounter.objects.get(pk=verified.pk)
    assert stored.adverse_reaction == "none"
    effective = services.encounter_effective_values(stored)
    assert effective["adverse_reaction"] == "mild nausea"
    assert Addendum.objects.get().corrections == {
        "teaching_site_care": True,
        "adverse_reaction": "mild nausea",
    }


def test_addendum_refuses_fields_fixed_by_the_signature(verified, nurse):
    services.encounter_sign(by=nurse, encounter=verified)
    with pytest.raises(RefillError):
        services.addendum_create(
            by=nurse, encounter=verified, text="x", corrections={"weight_kg": "80"}
        )
    assert Addendum.objects.count() == 0


def test_addendum_on_a_draft_is_refused(draft, nurse):
    with pytest.raises(RefillError):
        services.addendum_create(by=nurse, encounter=draft, text="early")
    assert Addendum.objects.count() == 0


def test_addendum_cannot_reintroduce_a_hard_stop(verified, nurse):
    services.encounter_sign(by=nurse, encounter=verified)
    tomorrow = verified.date_of_service + dt.timedelta(days=1)
    with pytest.raises(HardStopError):
        services.addendum_create(
            by=nurse, encounter=verified, text="lab", corrections={"cbc_collected_on": tomorrow}
        )
    assert Addendum.objects.count() == 0


def test_patient_diagnoses_are_stored_dotted_and_must_be_billable(nurse):
    patient = services.patient_create(
        by=nurse,
        data={
            "mrn": "MRN9",
            "last_name": "Doe",
            "first_name": "Jo",
            "date_of_birth": dt.date(1970, 1, 1),
            "sex": "F",
            "address_line1": "1 A St",
            "city": "X",
            "state": "IL",
            "postal_code": "62704",
        },
        diagnoses=["c189", "C78.7"],
    )
    assert list(patient.diagnoses.values_list("code", flat=True)) == ["C18.9", "C78.7"]

    for bad in ("C18", "C00-C14", "XYZ"):
        with pytest.raises(RefillError):
            services.patient_update(by=nurse, patient=patient, data={}, diagnoses=[bad])
    assert list(patient.diagnoses.values_list("code", flat=True)) == ["C18.9", "C78.7"]


def test_provider_visit_diagnoses_are_validated(provider):
    patient = PatientFactory()
    with pytest.raises(RefillError):
        provider_visit(provider, patient, note="n", diagnoses=["R11"])
    assert patient.provider_visits.count() == 0
