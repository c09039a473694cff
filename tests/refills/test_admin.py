"""The admin is not a path around the clinical services: records are read-only there."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from billing.models import Claim
from refills.models import Encounter
from tests.factories import signed_refill


@pytest.fixture
def signed(patient, nurse, nurse2):
    return signed_refill(patient, nurse, nurse2)


@pytest.fixture
def claim(signed):
    return Claim.objects.get(encounter=signed)


def _admin_form_data(response) -> dict:
    form = response.context["adminform"].form
    return {
        name: form[name].value() for name in form.fields if form[name].value() not in (None, False)
    }


@pytest.mark.parametrize("persona", ["admin_user", "superuser"])
def test_admin_change_of_a_signed_encounter_is_refused(client, request, signed, persona):
    client.force_login(request.getfixturevalue(persona))
    url = reverse("admin:refills_encounter_change", args=[signed.pk])
    assert client.get(url).status_code == 200  # read-only view

    response = client.post(url, {"weight_kg": "99", "adverse_reaction": "rewritten"})

    assert response.status_code == 403
    assert Encounter.objects.get(pk=signed.pk).weight_kg == Decimal("71.4")


@pytest.mark.parametrize("persona", ["admin_user", "superuser"])
def test_admin_delete_of_a_signed_encounter_is_refused(client, request, signed, persona):
    client.force_login(request.getfixturevalue(persona))
    response = client.post(
        reverse("admin:refills_encounter_delete", args=[signed.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert Encounter.objects.filter(pk=signed.pk).exists()


@pytest.mark.parametrize("persona", ["admin_user", "superuser"])
def test_reverting_an_encounter_from_its_history_is_refused(client, request, signed, persona):
    client.force_login(request.getfixturevalue(persona))
    first = signed.history.earliest()
    url = reverse("admin:refills_encounter_simple_history", args=[signed.pk, first.history_id])
    page = client.get(url)
    assert page.status_code == 200

    response = client.post(url, {**_admin_form_data(page), "weight_kg": "99"})

    assert response.status_code == 403
    stored = Encounter.objects.get(pk=signed.pk)
    assert (stored.status, stored.weight_kg) == ("signed", Decimal("71.4"))


@pytest.mark.parametrize(
    ("record", "history_page", "field", "value"),
    [
        ("patient", "admin:refills_patient_simple_history", "last_name", "Changed"),
        ("claim", "admin:billing_claim_simple_history", "status", "exported"),
    ],
)
def test_reverting_a_patient_or_a_claim_from_its_history_is_refused(
    client, request, admin_user, record, history_page, field, value
):
    target = request.getfixturevalue(record)
    before = getattr(target, field)
    assert before != value
    client.force_login(admin_user)
    version = target.history.earliest()
    url = reverse(history_page, args=[target.pk, version.history_id])
    page = client.get(url)

    response = client.post(url, {**_admin_form_data(page), field: value})

    assert response.status_code == 403
    target.refresh_from_db()
    assert getattr(target, field) == before
