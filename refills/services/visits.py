"""Same-day provider visits, which billing reads beside the refill."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from refills.errors import RefillError
from refills.models import Encounter, Patient, ProviderVisit
from refills.services.checks import diagnosis_codes_clean, full_clean
from refills.signals import documentation_changed


def provider_visit_record(
    *,
    by: AbstractBaseUser,
    patient: Patient,
    data: Mapping[str, Any],
    diagnoses: list[str],
    now: dt.datetime | None = None,
) -> ProviderVisit:
    now = now or timezone.now()
    codes = diagnosis_codes_clean(diagnoses)
    visit = ProviderVisit(patient=patient, provider=by, diagnoses=codes, **data)
    if visit.date_of_service and visit.date_of_service > timezone.localdate(now):
        raise RefillError(
            "The visit date cannot be in the future.", field="date_of_service", code="future"
        )
    if ProviderVisit.objects.filter(
        patient=patient, provider=by, date_of_service=visit.date_of_service, em_code=visit.em_code
    ).exists():
        raise RefillError(
            "You already recorded this E/M code for this patient on that day.",
            field="em_code",
            code="duplicate",
        )
    full_clean(visit)
    with transaction.atomic():
        visit._change_reason = "provider visit recorded"
        visit._history_user = by
        visit.save()
        for encounter in Encounter.objects.filter(
            patient=patient,
            date_of_service=visit.date_of_service,
            status=Encounter.Status.SIGNED,
        ).select_for_update():
            documentation_changed.send(
                sender=ProviderVisit,
                encounter=encounter,
                by=by,
                reason="same-day provider visit recorded",
                now=now,
            )
    return visit
