"""Same-day provider visits, which billing reads beside the refill."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from config.history import record_change
from refills.errors import RefillError
from refills.models import ClinicianProfile, Encounter, Patient, ProviderVisit
from refills.services.checks import diagnosis_codes_clean, full_clean, save_or_refuse
from refills.signals import documentation_changed, visit_change_requested

# What the provider enters; who performed it and in which role come from who is signed in.
VISIT_FIELDS = ("date_of_service", "em_code", "separately_identifiable", "note")


def _duplicate() -> RefillError:
    return RefillError(
        "You already recorded this E/M code for this patient on that day.",
        field="em_code",
        code="duplicate",
    )


# The provider is the signed-in user, so full_clean skips it, and with it the model's
# one-code-a-day constraint: _refuse_duplicate checks that with the provider's own message,
# and the database answers a race after it (save_or_refuse) with the same message. Left to
# full_clean, a visit committed between the two checks would get the constraint's other text,
# away from the field.
_UNIQUE_PER_DAY_CHECKED = ("provider",)


def _refuse_duplicate(visit: ProviderVisit) -> None:
    if (
        ProviderVisit.objects.filter(
            patient_id=visit.patient_id,
            provider_id=visit.provider_id,
            date_of_service=visit.date_of_service,
            em_code=visit.em_code,
        )
        .exclude(pk=visit.pk)
        .exists()
    ):
        raise _duplicate()


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
    _refuse_duplicate(visit)
    full_clean(visit, exclude=_UNIQUE_PER_DAY_CHECKED)
    with transaction.atomic():
        record_change(visit, by=by, reason="provider visit recorded")
        # The same visit, submitted twice at once, may commit after the check above.
        save_or_refuse(visit, _duplicate())
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


@dataclass(frozen=True)
class VisitChange:
    """A corrected or withdrawn visit, and what each change it caused did (the claims)."""

    visit: ProviderVisit
    outcomes: tuple[str, ...]


# What the provider may correct; the date and the patient stay (another day is another visit).
CORRECTABLE_VISIT_FIELDS = ("em_code", "separately_identifiable", "note")


def provider_visit_check_changeable(visit: ProviderVisit) -> None:
    """Raise RefillError when the visit can no longer be corrected or withdrawn here."""
    visit_change_requested.send(sender=ProviderVisit, visit=visit)


def _may_change(by: User, visit: ProviderVisit) -> None:
    if visit.provider_id != by.pk:
        raise RefillError("Only the provider who recorded the visit can change it.", code="owner")
    provider_visit_check_changeable(visit)


def _reason(reason: str, what: str) -> str:
    reason = " ".join(reason.split())
    if not reason:
        raise RefillError(f"Say why the visit is {what}.", field="reason", code="required")
    return reason


def _redecide(visit: ProviderVisit, *, by, reason: str, now: dt.datetime) -> tuple[str, ...]:
    """Tell whatever bills the day's signed refills that the visit changed; collect what each
    says it did."""
    outcomes: list[str] = []
    for encounter in Encounter.objects.filter(
        patient_id=visit.patient_id,
        date_of_service=visit.date_of_service,
        status=Encounter.Status.SIGNED,
    ).select_for_update():
        for _, said in documentation_changed.send(
            sender=ProviderVisit, encounter=encounter, by=by, reason=reason, now=now
        ):
            if isinstance(said, str) and said:
                outcomes.append(said)
    return tuple(outcomes)


def provider_visit_correct(
    *,
    by: User,
    visit: ProviderVisit,
    data: Mapping[str, Any],
    diagnoses: list[str],
    reason: str,
    now: dt.datetime | None = None,
) -> VisitChange:
    """The provider corrects their own visit, saying why, until the day's claim is exported;
    the day's claims are decided again."""
    now = now or timezone.now()
    reason = _reason(reason, "corrected")
    codes = diagnosis_codes_clean(diagnoses)
    unknown = sorted(set(data) - set(CORRECTABLE_VISIT_FIELDS))
    if unknown:
        raise RefillError(f"{', '.join(unknown)} cannot be corrected.", code="field")
    with transaction.atomic():
        visit = ProviderVisit.objects.select_for_update().get(pk=visit.pk)
        _may_change(by, visit)
        changed = [f for f, v in data.items() if getattr(visit, f) != v]
        if not changed and visit.diagnoses == codes:
            raise RefillError("Nothing was changed: correct a value, or cancel.", code="unchanged")
        for field, value in data.items():
            setattr(visit, field, value)
        visit.diagnoses = codes
        _refuse_duplicate(visit)
        full_clean(visit, exclude=_UNIQUE_PER_DAY_CHECKED)
        record_change(visit, by=by, reason=f"corrected: {reason}")
        save_or_refuse(visit, _duplicate())
        outcomes = _redecide(visit, by=by, reason="provider visit corrected", now=now)
    return VisitChange(visit, outcomes)


def provider_visit_withdraw(
    *, by: User, visit: ProviderVisit, reason: str, now: dt.datetime | None = None
) -> VisitChange:
    """The provider withdraws a visit recorded in error, saying why, until the day's claim is
    exported. The visit's history keeps it; the day's claims are decided without it."""
    now = now or timezone.now()
    reason = _reason(reason, "withdrawn")
    with transaction.atomic():
        visit = ProviderVisit.objects.select_for_update().get(pk=visit.pk)
        _may_change(by, visit)
        record_change(visit, by=by, reason=f"withdrawn: {reason}")
        withdrawn = ProviderVisit.objects.get(pk=visit.pk)
        visit.delete()
        outcomes = _redecide(withdrawn, by=by, reason="provider visit withdrawn", now=now)
    return VisitChange(withdrawn, outcomes)
