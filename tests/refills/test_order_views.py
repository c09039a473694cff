"""The pages around the order: prefill, the banner, the worklist's reasons, the override,
the teaching sheet, the order pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from refills import services
from refills.models import Encounter, Order, ProviderOverride
from tests.factories import (
    BLIND_OK,
    PASSWORD,
    PatientFactory,
    billing_reference,
    cover,
    encounter_data,
    encounter_post,
    order_data,
    signed_refill,
)


def test_the_form_fills_drug_and_pump_values_from_the_order_not_the_last_refill(
    client, patient, nurse
):
    services.encounter_create(
        by=nurse,
        patient=patient,
        data=encounter_data(
            dt.date(2026, 1, 5),
            drug_dose_mg=Decimal("2410.00"),
            drug_volume_ml=Decimal("48.20"),
            rate_ml_h=Decimal("2.01"),
            pump_volume_ml=Decimal("96.50"),
            pump_serial="SN-77",
        ),
    )
    client.force_login(nurse)

    form = client.get(reverse("refills:encounter_create", args=[patient.pk])).context["form"]

    assert {
        f: form.initial.get(f)
        for f in (
            "drug_name",
            "drug_concentration_mg_ml",
            "drug_dose_mg",
            "drug_volume_ml",
            "rate_ml_h",
            "pump_volume_ml",
            "drug_ndc",
            "pump_serial",
        )
    } == {
        "drug_name": "fluorouracil",
        "drug_concentration_mg_ml": Decimal("50.000"),
        "drug_dose_mg": Decimal("2400.00"),
        "drug_volume_ml": Decimal("48.00"),
        "rate_ml_h": Decimal("2.00"),
        "pump_volume_ml": Decimal("96.00"),
        "drug_ndc": None,
        "pump_serial": "SN-77",
    }


def test_without_an_order_the_form_says_so_and_fills_nothing(client, nurse):
    patient = PatientFactory(order=False)
    client.force_login(nurse)
    url = reverse("refills:encounter_create", args=[patient.pk])

    page = client.get(url)
    response = client.post(url, encounter_post(encounter_data()))

    assert "drug_name" not in page.context["form"].initial
    assert "No active order." in page.content.decode()
    assert response.status_code == 200
    assert response.context["form"].errors["date_of_service"] == [
        "This patient has no active order. A provider must write and sign the order before "
        "the refill can be saved."
    ]
    assert not Encounter.objects.exists()


def test_entry_errors_sit_at_their_fields_and_nothing_is_saved(client, patient, nurse):
    client.force_login(nurse)
    post = encounter_post(
        encounter_data(
            drug_dose_mg=Decimal("2600.00"),
            drug_volume_ml=Decimal("52.00"),
            rate_ml_h=Decimal("0"),
            anc=Decimal("-1"),
            cbc_collected_on=dt.date(1899, 12, 31),
        )
    )

    response = client.post(reverse("refills:encounter_create", args=[patient.pk]), post)

    errors = response.context["form"].errors
    assert sorted(errors) == ["anc", "cbc_collected_on", "drug_dose_mg", "rate_ml_h"]
    assert errors["rate_ml_h"] == ["The rate must be above zero."]
    assert not Encounter.objects.exists()


def test_the_banner_names_allergies_payer_and_order(client, nurse):
    patient = PatientFactory(allergies="Penicillin (rash)", height_cm=Decimal("165.0"))
    cover(patient, billing_reference())
    services.encounter_create(
        by=nurse, patient=patient, data=encounter_data(weight_kg=Decimal("70.0"))
    )
    client.force_login(nurse)

    html = client.get(reverse("refills:patient_detail", args=[patient.pk])).content.decode()

    banner = html[html.index('class="patient-banner') :]
    banner = banner[: banner.index("</section>")]
    for text in (
        "Allergies: Penicillin (rash)",
        "Height 165.0 cm",
        "Weight 70.0 kg",
        "BSA 1.79 m²",
        "fluorouracil 2400.00 mg</a> until 2099-12-31",
        "Payer Medicare",
        patient.mrn_label,
    ):
        assert text in banner, text


def test_worklist_shows_mismatch_override_wait_and_disconnect(client, patient, nurse, nurse2):
    held = services.encounter_create(
        by=nurse, patient=patient, data=encounter_data(anc=Decimal("1.20"))
    )
    services.encounter_verify(
        verifier=nurse2, encounter=held, entered={**BLIND_OK, "rate_ml_h": Decimal("3")}
    )
    client.force_login(nurse)

    html = client.get(reverse("refills:worklist")).content.decode()

    assert "Blind check did not match: check the pump and label with the second clinician." in html
    assert (
        "Cannot be signed yet, waiting for a provider override: ANC 1.20 x10^9/L is below the "
        "order&#x27;s minimum of 1.50 x10^9/L." in html
    )
    disconnect = timezone.localtime(held.infusion_started_at) + dt.timedelta(hours=48)
    assert f"Disconnect {disconnect:%a} {disconnect.day} {disconnect:%b %H:%M}" in html


def test_the_verifier_with_two_mismatches_gets_no_verify_button(client, patient, nurse, nurse2):
    draft = services.encounter_create(by=nurse, patient=patient, data=encounter_data())
    for _ in range(2):
        services.encounter_verify(
            verifier=nurse2, encounter=draft, entered={**BLIND_OK, "rate_ml_h": Decimal("3")}
        )
    client.force_login(nurse2)

    html = client.get(reverse("refills:worklist")).content.decode()

    assert "Another clinician must verify (two mismatches)." in html
    assert reverse("refills:encounter_verify", args=[draft.pk]) not in html


def test_the_provider_overrides_with_their_password(client, patient, nurse, provider):
    held = services.encounter_create(
        by=nurse, patient=patient, data=encounter_data(anc=Decimal("1.20"))
    )
    client.force_login(provider)
    assert (
        reverse("refills:encounter_override", args=[held.pk])
        in client.get(reverse("refills:worklist")).content.decode()
    )
    url = reverse("refills:encounter_override", args=[held.pk])

    wrong = client.post(url, {"reason": "Accepted.", "password": "not-it"})
    right = client.post(url, {"reason": "Accepted.", "password": PASSWORD})

    assert wrong.context["form"].errors == {"password": ["Username or password is not correct."]}
    assert right.status_code == 302
    override = ProviderOverride.objects.get()
    assert (override.provider, override.reason, override.concerns) == (
        provider,
        "Accepted.",
        ["anc=1.20"],
    )


def test_the_teaching_sheet_gives_the_disconnect_time(client, patient, nurse):
    draft = services.encounter_create(by=nurse, patient=patient, data=encounter_data())
    client.force_login(nurse)

    html = client.get(reverse("refills:teaching_sheet", args=[draft.pk])).content.decode()

    disconnect = timezone.localtime(draft.infusion_started_at) + dt.timedelta(hours=48)
    assert f"{disconnect:%A} {disconnect.day} {disconnect:%B %Y, %H:%M}" in html
    for heading in (
        "If the pump alarms",
        "Looking after the site",
        "If the medicine spills",
        "Whom to call",
    ):
        assert heading in html


def test_the_signer_sees_corrections_by_others(client, patient, nurse, nurse2):
    encounter = signed_refill(patient, nurse, nurse2)
    services.addendum_create(
        by=nurse2, encounter=encounter, text="Teach-back done.", reason="I taught the patient."
    )
    services.addendum_create(by=nurse, encounter=encounter, text="My own late entry.")
    client.force_login(nurse)

    html = client.get(reverse("refills:worklist")).content.decode()

    assert "Corrections by others to refills you signed" in html
    assert "Reason: I taught the patient." in html
    assert "My own late entry" not in html


def test_a_provider_writes_an_order_through_the_page(client, provider):
    patient = PatientFactory(order=False)
    client.force_login(provider)
    post = {k: str(v) for k, v in order_data(valid_from=timezone.localdate()).items() if v != ""}

    refused = client.post(reverse("refills:order_create", args=[patient.pk]), post)
    response = client.post(
        reverse("refills:order_create", args=[patient.pk]), {**post, "attest": "on"}
    )

    assert refused.context["form"].errors == {"attest": ["Confirm that you sign the order."]}
    order = Order.objects.get()
    assert response["Location"] == reverse("refills:order_detail", args=[order.pk])
    assert (order.patient, order.signed_by, order.bsa_m2) == (patient, provider, Decimal("1.84"))
    detail = client.get(response["Location"]).content.decode()
    assert "= 1.84 m²" in detail and "2392.00 mg" in detail


def test_the_order_form_refuses_rate_that_does_not_fill_the_volume(client, provider):
    patient = PatientFactory(order=False)
    client.force_login(provider)
    post = {
        k: str(v)
        for k, v in order_data(valid_from=timezone.localdate(), rate_ml_h=Decimal("3")).items()
        if v != ""
    }

    response = client.post(
        reverse("refills:order_create", args=[patient.pk]), {**post, "attest": "on"}
    )

    assert response.context["form"].errors["rate_ml_h"] == [
        "3 mL/h over 48 hours is 144 mL, not the final volume of 96.00 mL."
    ]
    assert not Order.objects.exists()


def test_a_provider_discontinues_an_order(client, provider, nurse):
    patient = PatientFactory()
    order = patient.orders.get()
    url = reverse("refills:order_detail", args=[order.pk])
    client.force_login(nurse)
    assert client.post(url, {"discontinue_reason": "x"}).status_code == 404

    client.force_login(provider)
    response = client.post(url, {"discontinue_reason": "Treatment complete."})

    order.refresh_from_db()
    assert response.status_code == 302
    assert (order.status, order.discontinued_by) == ("discontinued", provider)


@pytest.mark.parametrize("persona", ["nurse", "biller"])
def test_only_providers_write_orders(db, client, request, persona):
    patient = PatientFactory(order=False)
    client.force_login(request.getfixturevalue(persona))

    response = client.post(reverse("refills:order_create", args=[patient.pk]), order_data())

    assert response.status_code == 403
    assert not Order.objects.exists()
