"""The nurse records the drug as billed: the NDC used (typed or scanned), the discard, and
whether the practice supplied it; the provider's visit is billed in their own role."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from refills.models import Encounter, ProviderVisit
from tests.factories import UserFactory, drug_catalogue, encounter_data, encounter_post

pytestmark = pytest.mark.django_db


def post_refill(client, nurse, patient, **overrides):
    client.force_login(nurse)
    return client.post(
        reverse("refills:encounter_create", args=[patient.pk]),
        encounter_post(encounter_data(**overrides)),
    )


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("63323-117-51", "63323011751"), ("63323011751", "63323011751"), ("", "")],
)
def test_the_ndc_is_stored_as_eleven_digits(client, nurse, patient, typed, stored):
    response = post_refill(
        client,
        nurse,
        patient,
        drug_ndc=typed,
        drug_discarded_mg=Decimal("100"),
        drug_supplied_by_practice=True,
    )

    assert response.status_code == 302
    encounter = Encounter.objects.get()
    assert (
        encounter.drug_ndc,
        encounter.drug_discarded_mg,
        encounter.drug_supplied_by_practice,
    ) == (stored, Decimal("100.00"), True)


def test_a_scanned_ndc_is_read_against_the_stock(client, nurse, patient):
    drug_catalogue()

    response = post_refill(client, nurse, patient, drug_ndc="6332311751")

    assert response.status_code == 302
    assert Encounter.objects.get().drug_ndc == "63323011751"


def test_ten_digits_that_match_no_stock_are_refused_at_the_field(client, nurse, patient):
    response = post_refill(client, nurse, patient, drug_ndc="6332311799")

    assert response.status_code == 200
    assert response.context["form"].errors["drug_ndc"] == [
        "Ten digits without hyphens can be read three ways: type the NDC with its hyphens as "
        "printed on the label (for example 63323-117-10)."
    ]
    assert not Encounter.objects.exists()


def test_an_unchecked_supply_box_and_an_empty_discard_mean_patient_supplied_and_none(
    client, nurse, patient
):
    response = post_refill(
        client, nurse, patient, drug_supplied_by_practice=False, drug_discarded_mg=""
    )

    assert response.status_code == 302
    encounter = Encounter.objects.get()
    assert (encounter.drug_supplied_by_practice, encounter.drug_discarded_mg) == (
        False,
        Decimal("0.00"),
    )


def test_a_negative_discard_is_refused_at_the_field(client, nurse, patient):
    response = post_refill(client, nurse, patient, drug_discarded_mg="-5")

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["drug_discarded_mg"]
    assert not Encounter.objects.exists()


def test_the_new_form_offers_the_practice_as_supplier(client, nurse, patient):
    client.force_login(nurse)
    form = client.get(reverse("refills:encounter_create", args=[patient.pk])).context["form"]
    assert form["drug_supplied_by_practice"].value() is True


@pytest.mark.parametrize(
    ("credential", "role"),
    [("MD", "physician"), ("NP", "nurse_practitioner"), ("PA", "physician_assistant")],
)
def test_a_visit_is_billed_in_the_role_of_the_providers_profile(client, patient, credential, role):
    who = UserFactory(username=f"p.{credential.lower()}", role="Provider", credential=credential)
    client.force_login(who)
    url = reverse("refills:provider_visit_create", args=[patient.pk])
    page = client.get(url)
    assert "performed_by_role" not in page.context["form"].fields
    assert f"NPI {who.clinician.npi}" in page.content.decode()

    response = client.post(
        url,
        {
            "date_of_service": timezone.localdate().isoformat(),
            "em_code": "99213",
            "performed_by_role": "physician",  # not a field: ignored
            "note": "Evaluated.",
        },
    )

    assert response.status_code == 302
    assert ProviderVisit.objects.get().performed_by_role == role


def test_the_refill_page_shows_the_drug_as_billed(client, nurse, patient):
    post_refill(
        client,
        nurse,
        patient,
        drug_ndc="63323-117-51",
        drug_discarded_mg=Decimal("100"),
        drug_supplied_by_practice=True,
    )
    encounter = Encounter.objects.get()

    page = client.get(reverse("refills:encounter_detail", args=[encounter.pk])).content.decode()

    assert '<dt class="col-6">NDC</dt><dd class="col-6">63323-0117-51</dd>' in page
    assert '<dt class="col-6">Discarded</dt><dd class="col-6">100.00 mg</dd>' in page
    assert '<dt class="col-6">Supplied by the practice</dt><dd class="col-6">yes</dd>' in page
