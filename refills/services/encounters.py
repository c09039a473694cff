"""The refill encounter from draft to signature: create, update, verify, sign."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from refills.errors import DuplicateSubmissionError, RefillError
from refills.models import Encounter, Patient, VerificationAttempt
from refills.services.checks import check_hard_stops, full_clean
from refills.services.fields import BLIND_CHECK_FIELDS, ENCOUNTER_FIELDS
from refills.signals import documentation_changed


def encounter_create(
    *,
    by: AbstractBaseUser,
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
    encounter = Encounter(
        patient=patient,
        performing_nurse=by,
        created_by=by,
        status=Encounter.Status.DRAFT,
        submission_id=submission_id,
        **{f: data[f] for f in ENCOUNTER_FIELDS if f in data},
    )
    full_clean(encounter, exclude=("submission_id",))
    encounter._change_reason = "documented"
    encounter._history_user = by
    try:
        with transaction.atomic():
            encounter.save()
    except IntegrityError:
        # The unique token lost a race with the other submission: answer as if it came second.
        _raise_if_submitted(by, patient, submission_id)
        raise
    return encounter


def _raise_if_submitted(
    by: AbstractBaseUser, patient: Patient, submission_id: uuid.UUID | None
) -> None:
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
    by: AbstractBaseUser,
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
        changed = [f for f in ENCOUNTER_FIELDS if f in data and getattr(encounter, f) != data[f]]
        for field in changed:
            setattr(encounter, field, data[field])
        reason = "edited"
        if changed and encounter.status == Encounter.Status.VERIFIED:
            # What the second clinician checked is no longer what is documented.
            encounter.status = Encounter.Status.DRAFT
            encounter.verified_by = None
            encounter.verified_at = None
            reason = "edited after verification; verification cleared"
        full_clean(encounter)
        encounter._change_reason = reason
        encounter._history_user = by
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
    verifier: AbstractBaseUser,
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
        mismatched = [f for f in BLIND_CHECK_FIELDS if Decimal(entered[f]) != getattr(encounter, f)]
        attempt = VerificationAttempt(
            encounter=encounter,
            verifier=verifier,
            mismatched_fields=mismatched,
            **{f: entered[f] for f in BLIND_CHECK_FIELDS},
        )
        # The request belongs to whoever is signed in at the workstation (often the first
        # nurse); the record belongs to the clinician who authenticated for the check.
        attempt._history_user = verifier
        attempt._change_reason = "matched" if not mismatched else "mismatch"
        attempt.save()
        if not mismatched:
            encounter.status = Encounter.Status.VERIFIED
            encounter.verified_by = verifier
            encounter.verified_at = now
            encounter._change_reason = "verified by blind double check"
            encounter._history_user = verifier
            try:
                with transaction.atomic():
                    encounter.save()
            except IntegrityError as exc:
                raise RefillError(
                    "The same clinician cannot document and verify.", code="same_verifier"
                ) from exc
    return VerificationResult(attempt, encounter)


def encounter_sign(
    *, by: AbstractBaseUser, encounter: Encounter, now: dt.datetime | None = None
) -> Encounter:
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
        encounter.status = Encounter.Status.SIGNED
        encounter.signed_by = by
        encounter.signed_at = now
        encounter._change_reason = "signed"
        encounter._history_user = by
        encounter.save()
        documentation_changed.send(
            sender=Encounter, encounter=encounter, by=by, reason="signed", now=now
        )
    return encounter
