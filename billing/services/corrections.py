"""Correcting a claim the payer has: a replacement (frequency 7) or a cancellation (8).

A replacement is the encounter decided again from its documentation as it stands now; a
cancellation repeats the sent claim's lines. Either is a new claim that carries the payer's
number of the sent claim (REF*F8), goes through approval and export like any other, and
supersedes the sent claim, which becomes corrected (replaced) or void (cancelled).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from billing.errors import BillingError
from billing.models import SENT_STATUSES, Claim, ClaimEvent, ClaimLine
from billing.services.claims import claims_update, locked_in
from billing.services.deciding import changes, decide_all, insert_decided
from config.history import record_change
from refills.models import Encounter

# A rejected claim never reached adjudication: it is decided again, not corrected.
CORRECTABLE = SENT_STATUSES - {Claim.Status.REJECTED}


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise BillingError("Give a reason.", field="reason", code="required")
    return reason


def claim_correct(
    *, claim: Claim, by, frequency: str, reason: str, now: dt.datetime | None = None
) -> Claim:
    """Replace (``frequency="7"``) or cancel (``"8"``) a claim the payer has; the new claim."""
    reason = _reason(reason)
    if frequency not in (Claim.Frequency.REPLACEMENT, Claim.Frequency.CANCEL):
        raise BillingError(
            "Choose a replacement or a cancellation.", field="frequency", code="frequency"
        )
    now = now or timezone.now()
    with transaction.atomic():
        old = locked_in(
            claim,
            CORRECTABLE,
            "only a claim the payer has (exported, accepted, paid, partially paid, denied or "
            "appealed) is corrected this way.",
        )
        if not old.payer_claim_control_number:
            raise BillingError(
                "The payer's number for this claim is not known yet: import its 277CA or 835 "
                "first (a replacement or cancellation must name it in REF*F8).",
                code="payer_number",
            )
        if frequency == Claim.Frequency.REPLACEMENT:
            return _replace(old, by=by, reason=reason, now=now)
        return _cancel(old, by=by, reason=reason, now=now)


# What the sent claim becomes when a replacement or a cancellation supersedes it, and why.
_RETIRED = {
    Claim.Frequency.REPLACEMENT: (
        Claim.Status.CORRECTED,
        "Corrected ({reason}): a replacement claim (frequency 7) supersedes it.",
    ),
    Claim.Frequency.CANCEL: (
        Claim.Status.VOID,
        "Cancelled with the payer ({reason}): a cancellation (frequency 8) follows.",
    ),
}
# What a cancellation repeats of the sent claim.
_CANCELLATION_COPIES = (
    "encounter_id",
    "patient_id",
    "payer_id",
    "coverage_id",
    "date_of_service",
    "decision_status",
    "diagnoses",
    "facts",
    "decision",
    "engine_version",
    "total_charge",
    "expected_allowed",
    "payer_claim_control_number",
)


def _retire(
    old: Claim, frequency: Claim.Frequency, *, by, reason: str, now: dt.datetime
) -> ClaimEvent:
    """Take the sent claim out of the live ones, for the correction of ``frequency``."""
    to, why = _RETIRED[frequency]
    why = why.format(reason=reason)
    from_status = old.status
    values: dict[str, str] = {"status": to}
    if to == Claim.Status.VOID:
        values["void_reason"] = why[:200]
    claims_update([old], by=by, reason=why[:100], **values)
    return ClaimEvent(claim=old, by=by, at=now, from_status=from_status, to_status=to, reason=why)


def _replace(old: Claim, *, by, reason: str, now: dt.datetime) -> Claim:
    encounter = (
        Encounter.objects.select_related(
            "patient", "performing_nurse", "verified_by", "signed_by", "supervising_practitioner"
        )
        .prefetch_related("addenda", "patient__diagnoses")
        .get(pk=old.encounter_id)
    )
    (decided,) = decide_all([encounter], {encounter.pk: old}, now=now)
    new = decided.claim
    if new.status == Claim.Status.VOID:
        raise BillingError(
            "The documentation as it stands is not billable: cancel the claim instead.",
            code="not_billable",
        )
    new.frequency = Claim.Frequency.REPLACEMENT
    new.payer_claim_control_number = old.payer_claim_control_number
    new.change_summary = f"Replacement of claim #{old.pk} ({reason}): {changes(old, new)}"
    # The sent claim leaves the live ones first: one live claim per encounter.
    retired = _retire(old, Claim.Frequency.REPLACEMENT, by=by, reason=reason, now=now)
    events = insert_decided([decided], by=by, reason=f"replacement: {reason}", now=now)
    ClaimEvent.objects.bulk_create([retired, *events])
    return new


def _cancel(old: Claim, *, by, reason: str, now: dt.datetime) -> Claim:
    retired = _retire(old, Claim.Frequency.CANCEL, by=by, reason=reason, now=now)
    new = Claim(
        **{name: getattr(old, name) for name in _CANCELLATION_COPIES},
        status=Claim.Status.READY,
        decided_at=now,
        supersedes=old,
        frequency=Claim.Frequency.CANCEL,
        change_summary=f"Cancellation of claim #{old.pk} ({reason}): the same lines, sent "
        "to void the claim with the payer.",
    )
    record_change(new, by=by, reason=f"cancellation: {reason}"[:100])
    new.save()
    ClaimLine.objects.bulk_create(
        ClaimLine(
            claim=new,
            **{
                field.name: getattr(line, field.name)
                for field in ClaimLine._meta.concrete_fields
                if field.name not in ("id", "claim")
            },
        )
        for line in old.lines.all()
    )
    ClaimEvent.objects.bulk_create(
        [
            retired,
            ClaimEvent(
                claim=new,
                by=by,
                at=now,
                from_status="",
                to_status=new.status,
                reason=f"Cancellation of claim #{old.pk} with the payer ({reason}).",
            ),
        ]
    )
    return new
