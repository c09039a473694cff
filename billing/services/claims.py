"""Moving a claim through its statuses: approve, hold and release.

Each status change checks the current state with the row locked, writes inside one
transaction and leaves a ``ClaimEvent`` saying who, when and why.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable

from django.db import transaction
from django.utils import timezone

from billing import exporting
from billing.errors import BillingError
from billing.models import Claim, ClaimEvent, ClaimFinding, PracticeSettings
from config.history import record_change


def _event(claim: Claim, *, by, at: dt.datetime, from_status: str, reason: str) -> None:
    ClaimEvent.objects.create(
        claim=claim, by=by, at=at, from_status=from_status, to_status=claim.status, reason=reason
    )


def claims_update(claims: list[Claim], *, by, reason: str, **values) -> None:
    """Give every claim the same values: one UPDATE (a bulk_update would send a CASE per
    row), then a history row each, with who and why."""
    for claim in claims:
        for field, value in values.items():
            setattr(claim, field, value)
    Claim.objects.filter(pk__in=[claim.pk for claim in claims]).update(**values)
    Claim.history.bulk_history_create(
        claims, batch_size=500, update=True, default_user=by, default_change_reason=reason
    )


def locked_in(claim: Claim, allowed: Collection[str], refusal: str) -> Claim:
    """The claim read again with its row locked (inside the caller's transaction), when its
    status is one of ``allowed``; else BillingError "This claim is <status>; <refusal>"."""
    locked = Claim.objects.select_for_update().get(pk=claim.pk)
    if locked.status not in allowed:
        raise BillingError(
            f"This claim is {locked.get_status_display().lower()}; {refusal}", code="state"
        )
    return locked


def _transition(
    claim: Claim, *, by, allowed_from: set[str], to: str, reason: str, now: dt.datetime | None
) -> Claim:
    now = now or timezone.now()
    with transaction.atomic():
        claim = locked_in(
            claim,
            allowed_from,
            f"it cannot be {'released' if to == Claim.Status.READY else to} from that state.",
        )
        old = claim.status
        claim.status = to
        claim.hold_reason = reason if to == Claim.Status.HOLD else ""
        # A biller acting on a re-decided claim has looked at it.
        claim.approval_cleared = False
        record_change(claim, by=by, reason=reason)
        claim.save(update_fields=["status", "hold_reason", "approval_cleared"])
        _event(claim, by=by, at=now, from_status=old, reason=reason)
    return claim


def writer_finding_add(claim: Claim, message: str) -> None:
    """The finding of a claim the 837P writer refuses: the field and what to do."""
    last = claim.findings.order_by("-position").values_list("position", flat=True).first()
    ClaimFinding.objects.create(
        claim=claim,
        position=(last or 0) + 1,
        rule=exporting.WRITER_FINDING,
        severity="hold",
        message=message,
    )


def claim_hold_unwritable(
    claim: Claim, problem: exporting.Unwritable, *, by, allowed_from: set[str], now
) -> Claim:
    """Hold a claim the 837P writer refuses, with the finding that says why."""
    with transaction.atomic():
        held = _transition(
            claim,
            by=by,
            allowed_from=allowed_from,
            to=Claim.Status.HOLD,
            reason=problem.message,
            now=now,
        )
        writer_finding_add(held, problem.message)
    return held


def claims_hold_unwritable(
    problems: Iterable[exporting.Unwritable], *, by, allowed_from: set[str], now
) -> None:
    """Hold each claim the 837P writer refused (``Unwritable.pk``), with its finding."""
    for problem in problems:
        claim_hold_unwritable(
            Claim(pk=problem.pk), problem, by=by, allowed_from=allowed_from, now=now
        )


def claim_review_redecision(*, claim: Claim, by, now: dt.datetime | None = None) -> Claim:
    """A biller has looked at a claim whose re-decision cleared the approval."""
    now = now or timezone.now()
    with transaction.atomic():
        claim = Claim.objects.select_for_update().get(pk=claim.pk)
        if not claim.approval_cleared:
            raise BillingError(
                "This claim has no re-decision waiting to be looked at.", code="state"
            )
        claim.approval_cleared = False
        record_change(claim, by=by, reason="re-decision reviewed")
        claim.save(update_fields=["approval_cleared"])
        _event(
            claim,
            by=by,
            at=now,
            from_status=claim.status,
            reason=f"Re-decision reviewed: {claim.change_summary or 'no change recorded'}",
        )
    return claim


def claim_approve(*, claim: Claim, by, now: dt.datetime | None = None) -> Claim:
    """Approve a ready claim for export, once the 837P writer has written it: a claim it
    refuses (the patient, the coverage or the payer changed since it was decided) is held
    instead, and BillingError says why."""
    problem = None
    if Claim.objects.filter(pk=claim.pk, status=Claim.Status.READY).exists():
        exported = next(exporting.claims_for_export([claim.pk]))
        problem = exporting.claim_problem(exported, PracticeSettings.objects.first())
    if problem is not None:
        claim_hold_unwritable(claim, problem, by=by, allowed_from={Claim.Status.READY}, now=now)
        raise BillingError(
            f"Not approved: claim {exporting.claim_number(claim.pk)} is held. {problem.message}",
            code="x12",
        )
    return _transition(
        claim,
        by=by,
        allowed_from={Claim.Status.READY},
        to=Claim.Status.APPROVED,
        reason="Approved for export.",
        now=now,
    )


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise BillingError("Give a reason.", field="reason", code="required")
    return reason


def claim_hold(*, claim: Claim, by, reason: str, now: dt.datetime | None = None) -> Claim:
    return _transition(
        claim,
        by=by,
        allowed_from={Claim.Status.READY, Claim.Status.APPROVED},
        to=Claim.Status.HOLD,
        reason=_reason(reason),
        now=now,
    )


def claim_release(*, claim: Claim, by, reason: str, now: dt.datetime | None = None) -> Claim:
    reason = _reason(reason)
    if claim.payer_id is None:
        raise BillingError(
            "This claim has no payer: add the coverage and re-decide instead.", code="no_payer"
        )
    return _transition(
        claim,
        by=by,
        allowed_from={Claim.Status.HOLD},
        to=Claim.Status.READY,
        reason=reason,
        now=now,
    )
