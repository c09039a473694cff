"""Same-day provider visits, which billing reads beside the refill."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from config.history import record_change
from refills.errors import RefillError
from refills.models import ClinicianProfile, Encounter, Patient, ProviderVisit
from refills.services.checks import diagnosis_codes_clean, full_clean
from refills.signals import documentation_changed

# What the provider enters; who performed it and in which role come from who is signed in.
VISIT_FIELDS = ("date_of_service", "em_code", "separately_identifiable", "note")


def _duplicate() -> RefillError:
    return RefillError(
        "You already recorded this E/M code for this patient on that day.",
        field="em_code",
        code="duplicate",
    )


def provider_visit_record(
    *,
    by: User,
    patient: Patient,
    data: Mapping[str, Any],
    diagnoses: list[str],
    now: dt.datetime | None = None,
) -> ProviderVisit:
    """Record the E/M ``by`` performed. The role billed is that of ``by``'s own clinician
    profile (physician, NP, PA; registered nurse for anyone else), never the caller's."""
    now = now or timezone.now()
    codes = diagnosis_codes_clean(diagnoses)
    unknown = sorted(set(data) - set(VISIT_FIELDS))
    if unknown:
        raise RefillError(f"{', '.join(unknown)} cannot be set on a visit.", code="field")
    profile = ClinicianProfile.objects.filter(user=by).first()
    role = profile.performed_by_role if profile else ProviderVisit.PerformedByRole.REGISTERED_NURSE
    visit = ProviderVisit(
        patient=patient, provider=by, diagnoses=codes, performed_by_role=role, **data
    )
    if visit.date_of_service and visit.date_of_service > timezone.localdate(now):
        raise RefillError(
            "The visit date cannot be in the future.", field="date_of_service", code="future"
        )
    if ProviderVisit.objects.filter(
        patient=patient, provider=by, date_of_service=visit.date_of_service, em_code=visit.em_code
    ).exists():
        raise _duplicate()
    full_clean(visit)
    with transaction.atomic():
        record_change(visit, by=by, reason="provider visit recorded")
        try:
            with transaction.atomic():
                visit.save()
        except IntegrityError as exc:
            # The same visit, submitted twice at once, committed after the check above.
            raise _duplicate() from exc
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
