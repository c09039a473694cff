"""The biller re-decides one claim, after fixing what its hold asked for (a coverage, a
charge, a payer's policy)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from billing.errors import BillingError
from billing.models import Claim
from billing.services.deciding import claims_decide_batch

REASON = "re-decided by the biller"


def claim_redecide(*, claim: Claim, by, reason: str = "", now: dt.datetime | None = None) -> Claim:
    """Run the engine again over the claim's signed documentation; returns the live claim:
    the same one (number, status and approval kept) when the lines come out the same, else
    a new one that says what changed. A rejected claim is decided again as a new original;
    a claim the payer has stays as sent (it is corrected instead)."""
    with transaction.atomic():
        claim = Claim.objects.select_for_update().defer("facts", "decision").get(pk=claim.pk)
        if not claim.is_live:
            raise BillingError(
                "This claim was replaced: re-decide the claim that replaced it.", code="state"
            )
        if claim.was_sent and claim.status != Claim.Status.REJECTED:
            raise BillingError(
                "This claim was exported and stays as sent: a change needs a corrected claim.",
                code="state",
            )
        (live,) = claims_decide_batch(
            [claim.encounter_id], by=by, reason=reason.strip() or REASON, now=now
        )
    return live
