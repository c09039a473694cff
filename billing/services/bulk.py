"""Approving or holding many claims at once, from the biller's queue.

One transaction for the whole selection, each claim locked and checked as the one-claim
services check it: the claims that can move do, each with its history row and its event;
the ones that cannot are named by claim number with the reason, and the rest still proceed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from billing import exporting
from billing.models import Claim, ClaimEvent, PracticeSettings
from billing.services.claims import _reason, claims_hold_unwritable, claims_update

# The queue selects from a page of 25 claims; this bounds what one request may lock.
MAX_BULK_CLAIMS = 100


@dataclass(frozen=True)
class BulkOutcome:
    done: tuple[Claim, ...]
    # (claim number, why) for each claim that was left as it was.
    refused: tuple[tuple[str, str], ...]


def _number(pk: int) -> str:
    return Claim(pk=pk).number


def _bulk(
    claim_ids: Iterable[int],
    *,
    by,
    to: str,
    reason: str,
    problems: Callable[[list[Claim]], dict[int, str]],
    now: dt.datetime | None,
) -> BulkOutcome:
    now = now or timezone.now()
    ids = sorted(set(claim_ids))
    if len(ids) > MAX_BULK_CLAIMS:
        raise ValueError(f"At most {MAX_BULK_CLAIMS} claims at once.")
    with transaction.atomic():
        # Locked in id order, as every other writer of several claims locks them.
        found = {
            claim.pk: claim
            for claim in Claim.objects.select_for_update()
            .filter(pk__in=ids)
            .defer("facts", "decision")
            .order_by("pk")
        }
        why = problems(list(found.values()))
        refused: list[tuple[str, str]] = []
        moving: list[tuple[Claim, str]] = []
        for pk in ids:
            claim = found.get(pk)
            if claim is None:
                refused.append((_number(pk), "no such claim"))
            elif pk in why:
                refused.append((_number(pk), why[pk]))
            else:
                moving.append((claim, claim.status))
        if moving:
            claims_update(
                [claim for claim, _ in moving],
                by=by,
                reason=reason,
                status=to,
                hold_reason=reason if to == Claim.Status.HOLD else "",
            )
            ClaimEvent.objects.bulk_create(
                ClaimEvent(claim=claim, by=by, at=now, from_status=old, to_status=to, reason=reason)
                for claim, old in moving
            )
    return BulkOutcome(tuple(claim for claim, _ in moving), tuple(refused))


def _state(claim: Claim, allowed: set[str], action: str) -> str | None:
    if claim.status in allowed:
        return None
    return f"it is {claim.get_status_display().lower()}, so it cannot be {action}"


def claims_approve_many(
    *, claim_ids: Iterable[int], by, now: dt.datetime | None = None
) -> BulkOutcome:
    """Approve the ready claims among ``claim_ids``; name the others and why.

    As ``claim_approve`` does, each ready claim is first written by the 837P writer: one it
    refuses is held with the finding that says why, and named with the others."""

    def problems(claims: list[Claim]) -> dict[int, str]:
        found = {c.pk: _state(c, {Claim.Status.READY}, "approved") for c in claims}
        ready = sorted(pk for pk, problem in found.items() if problem is None)
        practice = PracticeSettings.objects.first()
        refused = [
            unwritable
            for exported in exporting.claims_for_export(ready)
            if (unwritable := exporting.claim_problem(exported, practice)) is not None
        ]
        claims_hold_unwritable(refused, by=by, allowed_from={Claim.Status.READY}, now=now)
        found.update({unwritable.pk: f"held: {unwritable.message}" for unwritable in refused})
        return {pk: problem for pk, problem in found.items() if problem}

    return _bulk(
        claim_ids,
        by=by,
        to=Claim.Status.APPROVED,
        reason="Approved for export.",
        problems=problems,
        now=now,
    )


def claims_hold_many(
    *, claim_ids: Iterable[int], by, reason: str, now: dt.datetime | None = None
) -> BulkOutcome:
    """Hold the ready and approved claims among ``claim_ids``, all for one reason."""
    reason = _reason(reason)
    return _bulk(
        claim_ids,
        by=by,
        to=Claim.Status.HOLD,
        reason=reason,
        problems=lambda claims: {
            c.pk: problem
            for c in claims
            if (problem := _state(c, {Claim.Status.READY, Claim.Status.APPROVED}, "held"))
        },
        now=now,
    )
