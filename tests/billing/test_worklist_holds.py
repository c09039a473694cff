"""A nurse's worklist lists her refills whose claim is on hold, with the reason."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from billing.models import Claim
from tests.factories import PatientFactory, make_encounter

pytestmark = pytest.mark.django_db

REASON = "No coverage on the date of service: add the coverage, then re-decide the claim."


def claim_for(nurse, status: str, reason: str = "") -> Claim:
    patient = PatientFactory()
    encounter = make_encounter(patient, nurse)
    return Claim.objects.create(
        encounter=encounter,
        patient=patient,
        date_of_service=encounter.date_of_service,
        status=status,
        hold_reason=reason,
        decided_at=timezone.now(),
    )


def test_the_nurse_sees_her_held_refills_with_the_reason(client, nurse, nurse2):
    held = claim_for(nurse, Claim.Status.HOLD, REASON)
    claim_for(nurse, Claim.Status.READY)
    others = claim_for(nurse2, Claim.Status.HOLD, "Someone else's hold.")
    client.force_login(nurse)

    response = client.get(reverse("refills:worklist"))

    assert [(h.encounter.pk, h.reason) for h in response.context["held"]] == [
        (held.encounter_id, REASON)
    ]
    html = response.content.decode()
    assert "Your refills on hold" in html
    assert REASON in html
    assert reverse("refills:encounter_detail", args=[held.encounter_id]) in html
    # The other nurse's draft may be on this worklist to verify; her hold is not.
    assert "Someone else&#x27;s hold." not in html and "Someone else's hold." not in html
    assert others.encounter_id not in [h.encounter.pk for h in response.context["held"]]


def test_no_hold_no_section(client, nurse):
    claim_for(nurse, Claim.Status.READY)
    client.force_login(nurse)

    response = client.get(reverse("refills:worklist"))

    assert response.context["held"] == []
    assert "Your refills on hold" not in response.content.decode()
