"""Working a denied claim: the biller's next action, with a reason, on the claim's record."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from billing.errors import BillingError
from billing.models import Claim, ClaimEvent, DenialAction
from config.history import record_change

# An appeal sends the claim back to the payer; the other actions leave its status alone
# (a correction goes out as a replacement claim, from the claim's page).
STATUS_AFTER: dict[str, str] = {DenialAction.Action.APPEAL: Claim.Status.APPEALED}


def denial_act(
    *, claim: Claim, by, action: str, reason: str, now: dt.datetime | None = None
) -> DenialAction:
    """Record ``action`` on the denied ``claim`` with who, when and why, as a ClaimEvent
    beside it (with the status change an appeal makes), in one transaction."""
    now = now or timezone.now()
    reason = reason.strip()
    if action not in DenialAction.Action.values:
        raise BillingError("Choose an action from the list.", field="action", code="action")
    if not reason:
        raise BillingError("Give a reason.", field="reason", code="required")
    label = DenialAction.Action(action).label
    with transaction.atomic():
        claim = Claim.objects.select_for_update().get(pk=claim.pk)
        if claim.status != Claim.Status.DENIED:
            raise BillingError(
                f"This claim is {claim.get_status_display().lower()}, not denied: there is no "
                "denial to work.",
                code="state",
            )
        if claim.denial_actions.filter(action__in=DenialAction.CLOSING).exists():
            raise BillingError("This denial was already closed.", code="closed")
        old = claim.status
        to = STATUS_AFTER.get(action, old)
        if to != old:
            if not claim.can_move_to(to):
                raise BillingError(f"A {old} claim cannot move to {to}.", code="state")
            claim.status = to
            record_change(claim, by=by, reason=f"{label}: {reason}")
            claim.save(update_fields=["status"])
        ClaimEvent.objects.create(
            claim=claim, by=by, at=now, from_status=old, to_status=to, reason=f"{label}: {reason}"
        )
        return DenialAction.objects.create(claim=claim, action=action, reason=reason, by=by, at=now)
