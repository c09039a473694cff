"""The factories build valid records at any time of the clinic's day, midnight included."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from billing.models import Claim
from refills.models import Encounter
from tests.factories import (
    PatientFactory,
    approved_claim,
    encounter_data,
    encounter_post,
    make_encounter,
)

# Just after midnight (when 00:05 is still to come), the last minute before it, and midday.
CLOCK = [dt.time(0, 0), dt.time(0, 0, 30), dt.time(0, 4, 59), dt.time(0, 5), dt.time(12, 0)]


def clinic_moment(at: dt.time) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(dt.date(2026, 3, 4), at))


@pytest.mark.parametrize("at", CLOCK, ids=str)
def test_encounter_data_starts_the_infusion_on_the_day_and_never_ahead(at):
    now = clinic_moment(at)

    data = encounter_data(now=now)

    started = data["infusion_started_at"]
    assert data["date_of_service"] == dt.date(2026, 3, 4)
    assert timezone.localdate(started) == dt.date(2026, 3, 4)
    assert started <= now
    assert timezone.localtime(started).time() == min(at.replace(second=0), dt.time(0, 5))


def test_an_earlier_day_keeps_its_0005_start():
    data = encounter_data(dt.date(2026, 3, 1), now=clinic_moment(dt.time(0, 1)))

    assert timezone.localtime(data["infusion_started_at"]) == clinic_moment(
        dt.time(0, 5)
    ) - dt.timedelta(days=3)


@pytest.mark.parametrize("at", CLOCK, ids=str)
def test_a_signed_billed_refill_can_be_built_at_any_minute(
    at, nurse, nurse2, biller, provider, practice
):
    with time_machine.travel(clinic_moment(at), tick=False):
        claim = approved_claim(nurse, nurse2, biller, provider, with_em=True)
        draft = make_encounter(PatientFactory(), nurse)

    assert (claim.status, claim.encounter.date_of_service) == ("approved", dt.date(2026, 3, 4))
    assert draft.date_of_service == dt.date(2026, 3, 4)


@pytest.mark.parametrize("at", [dt.time(0, 0, 30), dt.time(0, 4, 59)], ids=str)
def test_the_encounter_form_accepts_factory_values_just_after_midnight(at, client, nurse, patient):
    client.force_login(nurse)
    with time_machine.travel(clinic_moment(at), tick=False):
        response = client.post(
            reverse("refills:encounter_create", args=[patient.pk]),
            encounter_post(encounter_data()),
        )

    encounter = Encounter.objects.get(patient=patient)
    assert response.status_code == 302
    assert encounter.date_of_service == dt.date(2026, 3, 4)
    assert not Claim.objects.exists()
