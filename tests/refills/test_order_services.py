"""Refills against their order: entry checks refuse to save, provider concerns refuse to
sign until a provider overrides them; orders are written and replaced by providers only."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from refills import services
from refills.models import ClinicSettings, Encounter, Order, ProviderOverride
from refills.services import HardStopError, RefillError
from tests.factories import (
    BLIND_OK,
    PatientFactory,
    encounter_data,
    make_order,
    order_data,
    verified_refill,
)

MISMATCH = {**BLIND_OK, "rate_ml_h": Decimal("2.50")}


# The order a refill needs


def test_a_refill_is_documented_against_the_active_order(patient, nurse):
    encounter = services.encounter_create(by=nurse, patient=patient, data=encounter_data())

    assert encounter.order == patient.orders.get()


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda p, prov: None, "This patient has no active order."),
        (
            lambda p, prov: make_order(
                p, by=prov, valid_from=dt.date(2020, 1, 1), valid_to=dt.date(2020, 6, 30)
            ),
            "The active order is valid from 2020-01-01 to 2020-06-30",
        ),
    ],
    ids=["none", "expired"],
)
def test_without_an_order_in_force_nothing_is_saved(nurse, provider, setup, message):
    patient = PatientFactory(order=False)
    setup(patient, provider)

    with pytest.raises(HardStopError) as caught:
        services.encounter_create(by=nurse, patient=patient, data=encounter_data())

    assert caught.value.errors["date_of_service"].startswith(message)
    assert not Encounter.objects.exists()


def test_an_order_whose_refills_are_all_signed_is_used_up(nurse, nurse2, provider):
    patient = PatientFactory(order=False)
    make_order(patient, by=provider, cycles=1)
    services.encounter_sign(by=nurse, encounter=verified_refill(patient, nurse, nurse2))

    with pytest.raises(HardStopError) as caught:
        services.encounter_create(by=nurse, patient=patient, data=encounter_data())

    assert caught.value.errors == {
        "date_of_service": "All 1 refills of the active order are signed. Ask the provider "
        "for a new order."
    }


def test_entry_checks_refuse_to_save_with_the_message_at_the_field(patient, nurse):
    with pytest.raises(HardStopError) as caught:
        services.encounter_create(
            by=nurse,
            patient=patient,
            data=encounter_data(drug_dose_mg=Decimal("2520.01"), drug_volume_ml=Decimal("50.40")),
        )

    assert list(caught.value.errors) == ["drug_dose_mg"]
    assert not Encounter.objects.exists()


def test_the_dose_tolerance_is_the_clinic_setting(patient, nurse):
    ClinicSettings.objects.create(dose_tolerance_percent=Decimal("10"))
    data = encounter_data(drug_dose_mg=Decimal("2640.00"), drug_volume_ml=Decimal("52.80"))

    encounter = services.encounter_create(by=nurse, patient=patient, data=data)

    assert encounter.drug_dose_mg == Decimal("2640.00")


def test_an_edit_is_checked_too(patient, nurse):
    draft = services.encounter_create(by=nurse, patient=patient, data=encounter_data())

    with pytest.raises(HardStopError) as caught:
        services.encounter_update(
            by=nurse, encounter=draft, data=encounter_data(drug_name="irinotecan")
        )

    assert list(caught.value.errors) == ["drug_name"]
    assert Encounter.objects.get(pk=draft.pk).drug_name == "fluorouracil"


# The blind double check


def test_after_two_mismatches_the_verifier_must_make_way(patient, nurse, nurse2, provider):
    draft = services.encounter_create(by=nurse, patient=patient, data=encounter_data())
    for _ in range(2):
        result = services.encounter_verify(verifier=nurse2, encounter=draft, entered=MISMATCH)
        assert not result.matched

    with pytest.raises(RefillError) as caught:
        services.encounter_verify(verifier=nurse2, encounter=draft, entered=BLIND_OK)

    assert (caught.value.code, caught.value.field) == ("verifier_limit", "username")
    assert draft.verification_attempts.count() == 2
    result = services.encounter_verify(verifier=provider, encounter=draft, entered=BLIND_OK)
    assert (result.matched, result.encounter.verified_by) == (True, provider)


def test_one_mismatch_leaves_the_verifier_a_second_try(patient, nurse, nurse2):
    draft = services.encounter_create(by=nurse, patient=patient, data=encounter_data())
    services.encounter_verify(verifier=nurse2, encounter=draft, entered=MISMATCH)

    result = services.encounter_verify(verifier=nurse2, encounter=draft, entered=BLIND_OK)

    assert result.matched


# Provider concerns and overrides


@pytest.mark.parametrize(
    ("overrides", "held"),
    [
        ({"anc": Decimal("1.50")}, False),
        ({"anc": Decimal("1.49")}, True),
        ({"weight_kg": Decimal("76.9")}, False),
        ({"weight_kg": Decimal("77.0")}, True),
        ({"weight_kg": Decimal("63.0")}, True),
    ],
    ids=["anc-1.50", "anc-1.49", "weight-9.9%", "weight-10%", "weight-minus-10%"],
)
def test_signing_waits_for_the_provider_at_the_boundary(nurse, nurse2, provider, overrides, held):
    # Dosed at 70.0 kg: 10% is exactly 7.0 kg.
    patient = PatientFactory(order=False)
    make_order(patient, by=provider, dosing_weight_kg=Decimal("70.0"))
    encounter = verified_refill(patient, nurse, nurse2, **overrides)

    if held:
        with pytest.raises(RefillError) as caught:
            services.encounter_sign(by=nurse, encounter=encounter)
        assert caught.value.code == "override"
        assert caught.value.message.startswith("A provider must review this refill first: ")
        assert Encounter.objects.get(pk=encounter.pk).status == Encounter.Status.VERIFIED
    else:
        signed = services.encounter_sign(by=nurse, encounter=encounter)
        assert signed.status == Encounter.Status.SIGNED


def test_the_provider_overrides_and_the_nurse_signs(patient, nurse, nurse2, provider):
    encounter = verified_refill(
        patient, nurse, nurse2, anc=Decimal("1.20"), weight_kg=Decimal("80.0")
    )

    override = services.encounter_override(
        provider=provider, encounter=encounter, reason="  Confirmed: give the full dose. "
    )

    assert (override.concerns, override.reason, override.provider) == (
        ["weight=80.0", "anc=1.20"],
        "Confirmed: give the full dose.",
        provider,
    )
    assert override.history.get().history_user == provider
    assert services.encounter_sign(by=nurse, encounter=encounter).status == "signed"


def test_an_override_covers_only_the_values_it_saw(patient, nurse, nurse2, provider):
    draft = services.encounter_create(
        by=nurse, patient=patient, data=encounter_data(anc=Decimal("1.20"))
    )
    services.encounter_override(provider=provider, encounter=draft, reason="Accepted.")
    services.encounter_update(by=nurse, encounter=draft, data=encounter_data(anc=Decimal("1.10")))
    services.encounter_verify(verifier=nurse2, encounter=draft, entered=BLIND_OK)

    with pytest.raises(RefillError) as caught:
        services.encounter_sign(by=nurse, encounter=draft)

    assert "ANC 1.10" in caught.value.message


@pytest.mark.parametrize(
    ("who", "reason", "code"),
    [("nurse", "Fine.", "role"), ("provider", "  ", "required")],
)
def test_an_override_needs_a_provider_and_a_reason(request, patient, nurse, who, reason, code):
    draft = services.encounter_create(
        by=nurse, patient=patient, data=encounter_data(anc=Decimal("1.20"))
    )

    with pytest.raises(RefillError) as caught:
        services.encounter_override(
            provider=request.getfixturevalue(who), encounter=draft, reason=reason
        )

    assert caught.value.code == code
    assert not ProviderOverride.objects.exists()


def test_nothing_to_override(patient, nurse, provider):
    draft = services.encounter_create(by=nurse, patient=patient, data=encounter_data())

    with pytest.raises(RefillError) as caught:
        services.encounter_override(provider=provider, encounter=draft, reason="Just in case.")

    assert caught.value.code == "nothing"


# Addenda by someone other than the signer


def test_a_correction_by_another_nurse_needs_a_reason(patient, nurse, nurse2):
    signed = services.encounter_sign(by=nurse, encounter=verified_refill(patient, nurse, nurse2))

    with pytest.raises(RefillError) as caught:
        services.addendum_create(by=nurse2, encounter=signed, text="Teach-back was done.")
    assert (caught.value.field, caught.value.code) == ("reason", "required")

    addendum = services.addendum_create(
        by=nurse2, encounter=signed, text="Teach-back was done.", reason="I did the teaching."
    )
    assert addendum.reason == "I did the teaching."
    own = services.addendum_create(by=nurse, encounter=signed, text="Late entry.")
    assert own.reason == ""


# Orders


def test_a_provider_signs_an_order_and_it_replaces_the_active_one(provider):
    patient = PatientFactory()
    first = patient.orders.get()
    now = timezone.now()

    order = services.order_create(
        by=provider,
        patient=patient,
        data=order_data(
            dose_basis="mg_kg", dose_per_basis=Decimal("33.000"), dose_mg=Decimal("2350")
        ),
        now=now,
    )

    assert (order.bsa_m2, order.calculated_dose_mg, order.status) == (
        Decimal("1.84"),
        Decimal("2356.20"),
        "active",
    )
    assert (order.signed_by, order.signed_at) == (provider, now)
    first.refresh_from_db()
    assert (first.status, first.discontinued_by, first.discontinue_reason) == (
        "discontinued",
        provider,
        "replaced by a new order",
    )
    assert order.history.get().history_change_reason == "order signed"


def test_a_nurse_cannot_write_an_order(nurse):
    patient = PatientFactory(order=False)

    with pytest.raises(RefillError) as caught:
        services.order_create(by=nurse, patient=patient, data=order_data())

    assert caught.value.code == "role"
    assert not Order.objects.exists()


def test_a_rounded_dose_far_from_the_calculation_is_refused(provider):
    patient = PatientFactory(order=False)

    with pytest.raises(HardStopError) as caught:
        services.order_create(
            by=provider, patient=patient, data=order_data(dose_mg=Decimal("2700"))
        )

    assert caught.value.errors == {
        "dose_mg": "The calculated dose is 2392.00 mg; 2700 mg is 12.9% away. Round by at most 10%."
    }


def test_discontinue(provider, nurse):
    patient = PatientFactory()
    order = patient.orders.get()

    with pytest.raises(RefillError):
        services.order_discontinue(by=nurse, order=order, reason="Stop.")
    services.order_discontinue(by=provider, order=order, reason="Disease progression.")

    order.refresh_from_db()
    assert (order.status, order.discontinue_reason) == ("discontinued", "Disease progression.")
    with pytest.raises(HardStopError):
        services.encounter_create(by=nurse, patient=patient, data=encounter_data())
