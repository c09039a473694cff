"""The refill encounter from draft to signature: create, update, verify, sign."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from config.history import record_change
from refills import safety, selectors
from refills.blind import MISMATCHES_PER_VERIFIER
from refills.errors import DuplicateSubmissionError, HardStopError, RefillError
from refills.models import (
    ClinicSettings,
    Encounter,
    Order,
    Patient,
    ProviderOverride,
    VerificationAttempt,
)
from refills.services.checks import check_hard_stops, full_clean, save_or_refuse
from refills.services.fields import BLIND_CHECK_FIELDS, ENCOUNTER_FIELDS
from refills.signals import documentation_changed


def _checked_order(patient: Patient, values: Mapping[str, Any]) -> Order | None:
    """The order the refill is documented against, after the entry checks against it.

    Raises ``HardStopError`` (nothing is saved) when there is no order in force on the date
    of service or a value is impossible or outside the order."""
    errors = safety.impossible_values(values)
    day = values.get("date_of_service")
    order = None
    if day is not None:
        order, problem = selectors.refill_order(patient, day)
        if order is None:
            errors = {"date_of_service": problem, **errors}
        else:
            tolerance = ClinicSettings.current().dose_tolerance_percent
            found = safety.entry_errors(values, order, tolerance_percent=tolerance)
            errors |= {f: m for f, m in found.items() if f not in errors}
    if errors:
        raise HardStopError(errors)
    return order


def encounter_create(
    *,
    by: User,
    patient: Patient,
    data: Mapping[str, Any],
    submission_id: uuid.UUID | None = None,
    now: dt.datetime | None = None,
) -> Encounter:
    """Save a new draft.

    ``submission_id`` is the form's one-time token. When a draft was already saved with it
    (the form submitted twice, even at the same moment) nothing new is written and
    ``DuplicateSubmissionError`` carries that draft.
    """
    now = now or timezone.now()
    _raise_if_submitted(by, patient, submission_id)
    check_hard_stops(data, now)
    order = _checked_order(patient, data)
    encounter = Encounter(
        patient=patient,
        order=order,
        performing_nurse=by,
        created_by=by,
        status=Encounter.Status.DRAFT,
        submission_id=submission_id,
        **{f: data[f] for f in ENCOUNTER_FIELDS if f in data},
    )
    full_clean(encounter, exclude=("submission_id",))
    record_change(encounter, by=by, reason="documented")
    try:
        with transaction.atomic():
            encounter.save()
    except IntegrityError:
        # The unique token lost a race with the other submission: answer as if it came second.
        _raise_if_submitted(by, patient, submission_id)
        raise
    return encounter


def _raise_if_submitted(by: User, patient: Patient, submission_id: uuid.UUID | None) -> None:
    if submission_id is None:
        return
    existing = Encounter.objects.filter(submission_id=submission_id).first()
    if existing is None:
        return
    if existing.performing_nurse_id != by.pk or existing.patient_id != patient.pk:
        raise RefillError("This form was already used. Reload the page and enter it again.")
    raise DuplicateSubmissionError(existing)


def encounter_update(
    *,
    by: User,
    encounter: Encounter,
    data: Mapping[str, Any],
    now: dt.datetime | None = None,
) -> Encounter:
    now = now or timezone.now()
    check_hard_stops(data, now)
    with transaction.atomic():
        encounter = Encounter.objects.select_for_update().get(pk=encounter.pk)
        if encounter.status == Encounter.Status.SIGNED:
            raise RefillError(
                "This encounter is signed and locked. Add an addendum instead.", code="locked"
            )
        if encounter.performing_nurse_id != by.pk:
            raise RefillError("Only the nurse who performed the refill can edit it.", code="owner")
        values = {f: getattr(encounter, f) for f in ENCOUNTER_FIELDS} | {
            f: data[f] for f in ENCOUNTER_FIELDS if f in data
        }
        order = _checked_order(encounter.patient, values)
        changed = [f for f in ENCOUNTER_FIELDS if f in data and getattr(encounter, f) != data[f]]
        for field in changed:
            setattr(encounter, field, data[field])
        if order is not None and encounter.order_id != order.pk:
            encounter.order = order
            changed.append("order")
        reason = "edited"
        if changed and encounter.status == Encounter.Status.VERIFIED:
            # What the second clinician checked is no longer what is documented.
            encounter.status = Encounter.Status.DRAFT
            encounter.verified_by = None
            encounter.verified_at = None
            reason = "edited after verification; verification cleared"
        full_clean(encounter)
        record_change(encounter, by=by, reason=reason)
        encounter.save()
    return encounter


class VerificationResult:
    def __init__(self, attempt: VerificationAttempt, encounter: Encounter):
        self.attempt = attempt
        self.encounter = encounter

    @property
    def matched(self) -> bool:
        return self.attempt.matched


def encounter_verify(
    *,
    verifier: User,
    encounter: Encounter,
    entered: Mapping[str, Decimal],
    now: dt.datetime | None = None,
) -> VerificationResult:
    """Record the second clinician's blind entry; verify the encounter when it matches.

    A mismatch is kept (it is part of the record) and leaves the encounter a draft.
    The caller must have authenticated ``verifier`` with their own password.
    """
    now = now or timezone.now()
    with transaction.atomic():
        encounter = Encounter.objects.select_for_update().get(pk=encounter.pk)
        if encounter.status != Encounter.Status.DRAFT:
            raise RefillError(
                f"This encounter is {encounter.get_status_display().lower()}; "
                "only a draft can be verified.",
                code="state",
            )
        if verifier.pk == encounter.performing_nurse_id:
            raise RefillError(
                "The second check must be done by a different clinician than the nurse "
                "who documented the refill.",
                field="username",
                code="same_verifier",
            )
        if not verifier.has_perm("refills.verify_encounter"):
            raise RefillError(
                "This user is not allowed to verify refills.", field="username", code="role"
            )
        attempts = encounter.verification_attempts.filter(verifier=verifier)
        if sum(not a.matched for a in attempts) >= MISMATCHES_PER_VERIFIER:
            raise RefillError(
                f"Your entries did not match this refill {MISMATCHES_PER_VERIFIER} times: "
                "another clinician must verify it.",
                field="username",
                code="verifier_limit",
            )
        mismatched = [f for f in BLIND_CHECK_FIELDS if Decimal(entered[f]) != getattr(encounter, f)]
        attempt = VerificationAttempt(
            encounter=encounter,
            verifier=verifier,
            mismatched_fields=mismatched,
            **{f: entered[f] for f in BLIND_CHECK_FIELDS},
        )
        # The request belongs to whoever is signed in at the workstation (often the first
        # nurse); the record belongs to the clinician who authenticated for the check.
        record_change(attempt, by=verifier, reason="matched" if not mismatched else "mismatch")
        attempt.save()
        if not mismatched:
            encounter.status = Encounter.Status.VERIFIED
            encounter.verified_by = verifier
            encounter.verified_at = now
            record_change(encounter, by=verifier, reason="verified by blind double check")
            save_or_refuse(
                encounter,
                RefillError("The same clinician cannot document and verify.", code="same_verifier"),
            )
    return VerificationResult(attempt, encounter)


def encounter_sign(*, by: User, encounter: Encounter, now: dt.datetime | None = None) -> Encounter:
    """Sign and lock. Everything listening for signed documentation (billing) runs inside
    the same transaction, so a failure there leaves the encounter unsigned."""
    now = now or timezone.now()
    with transaction.atomic():
        encounter = Encounter.objects.select_for_update().get(pk=encounter.pk)
        if encounter.status == Encounter.Status.SIGNED:
            raise RefillError("This encounter is already signed.", code="state")
        if encounter.status != Encounter.Status.VERIFIED:
            raise RefillError(
                "A second clinician must verify the refill (blind double check) before "
                "it can be signed.",
                code="state",
            )
        if encounter.performing_nurse_id != by.pk:
            raise RefillError("Only the nurse who performed the refill can sign it.", code="owner")
        pending = selectors.encounter_pending_concerns(encounter)
        if pending:
            raise RefillError(
                "A provider must review this refill first: " + " ".join(c.message for c in pending),
                code="override",
            )
        encounter.status = Encounter.Status.SIGNED
        encounter.signed_by = by
        encounter.signed_at = now
        record_change(encounter, by=by, reason="signed")
        encounter.save()
        documentation_changed.send(
            sender=Encounter, encounter=encounter, by=by, reason="signed", now=now
        )
    return encounter


def encounter_override(
    *,
    provider: User,
    encounter: Encounter,
    reason: str,
    now: dt.datetime | None = None,
) -> ProviderOverride:
    """The provider lets a refill outside the order's weight or lab limits go ahead.

    The override answers the findings as they are now; a later change of those values
    needs a new one. The caller must have had ``provider`` re-enter their password."""
    if not provider.has_perm("refills.override_encounter"):
        raise RefillError("Only a provider can override the order's limits.", code="role")
    if not reason.strip():
        raise RefillError("Give the reason for the override.", field="reason", code="required")
    with transaction.atomic():
        encounter = Encounter.objects.select_for_update().get(pk=encounter.pk)
        if encounter.status == Encounter.Status.SIGNED:
            raise RefillError("This refill is signed; there is nothing to override.", code="state")
        pending = selectors.encounter_pending_concerns(encounter)
        if not pending:
            raise RefillError("This refill is within the order's limits.", code="nothing")
        override = ProviderOverride(
            encounter=encounter,
            provider=provider,
            concerns=[c.key for c in pending],
            reason=reason.strip(),
        )
        full_clean(override)
        record_change(override, by=provider, reason="provider override")
        override.save()
    return override
