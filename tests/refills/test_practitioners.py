"""Providers bill in their own name: each has a billing credential, an NPI and a taxonomy."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from refills.models import ClinicianProfile

pytestmark = pytest.mark.django_db


def test_a_provider_profile_without_npi_or_taxonomy_is_refused(provider):
    profile = provider.clinician
    profile.npi = profile.taxonomy = ""

    with pytest.raises(ValidationError) as caught:
        profile.full_clean()

    assert caught.value.message_dict == {
        "npi": ["A provider needs an NPI."],
        "taxonomy": ["A provider needs a taxonomy code."],
    }


def test_a_provider_is_a_physician_np_or_pa(provider):
    profile = provider.clinician
    profile.credential, profile.npi, profile.taxonomy = "RN", "1234567893", "163WX0200X"

    with pytest.raises(ValidationError) as caught:
        profile.full_clean()

    assert caught.value.message_dict == {
        "credential": [
            "A provider is a physician (MD, DO), nurse practitioner or physician assistant."
        ]
    }


@pytest.mark.parametrize("credential", ["MD", "DO", "NP", "PA"])
def test_a_complete_provider_profile_is_valid(provider, credential):
    profile = provider.clinician
    profile.credential, profile.npi, profile.taxonomy = credential, "1234567893", "207RX0202X"
    profile.full_clean()


def test_a_nurse_needs_no_npi(nurse):
    nurse.clinician.full_clean()


@pytest.mark.parametrize("taxonomy", ["207RX0202", "207rx0202x", "207RX0202Y", "2O7RX0202X"])
def test_a_malformed_taxonomy_is_refused(nurse, taxonomy):
    profile = nurse.clinician
    profile.taxonomy = taxonomy
    with pytest.raises(ValidationError) as caught:
        profile.full_clean()
    assert list(caught.value.message_dict) == ["taxonomy"]
    with (
        pytest.raises(IntegrityError, match="clinicianprofile_taxonomy_format"),
        transaction.atomic(),
    ):
        profile.save()


def test_the_admin_refuses_a_provider_profile_without_npi(client, admin_user, provider):
    client.force_login(admin_user)
    url = reverse("admin:refills_clinicianprofile_change", args=[provider.clinician.pk])

    response = client.post(
        url, {"user": provider.pk, "credential": "MD", "npi": "", "taxonomy": "207RX0202X"}
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["npi"] == ["A provider needs an NPI."]
    assert ClinicianProfile.objects.get(pk=provider.clinician.pk).npi == provider.clinician.npi

    response = client.post(
        url,
        {"user": provider.pk, "credential": "MD", "npi": "1234567893", "taxonomy": "207RX0202X"},
    )

    assert response.status_code == 302
    stored = ClinicianProfile.objects.get(pk=provider.clinician.pk)
    assert (stored.npi, stored.taxonomy, stored.performed_by_role) == (
        "1234567893",
        "207RX0202X",
        "physician",
    )
