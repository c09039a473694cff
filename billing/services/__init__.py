"""Every billing write: deciding claims from signed documentation, moving their status
and exporting them. One module per concept; the names callers use are all here.

The names load with the module that defines them, on first use: a process that only
decides claims (``manage.py decide_claim``, the admin's imports at start-up) does not pay
for the remittance readers and the X12 parser behind them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from billing.errors import BillingError
    from billing.facts import facts_for_encounter
    from billing.money import CENTS
    from billing.services.bulk import (
        MAX_BULK_CLAIMS,
        BulkOutcome,
        claims_approve_many,
        claims_hold_many,
    )
    from billing.services.claims import (
        claim_approve,
        claim_hold,
        claim_release,
        claim_review_redecision,
    )
    from billing.services.corrections import claim_correct
    from billing.services.deciding import (
        DECISION_TO_STATUS,
        claim_decide_for_encounter,
        claims_decide_batch,
        claims_redecide_for_payer,
        payer_open_encounters,
    )
    from billing.services.denials import denial_act
    from billing.services.exports import MAX_CLAIMS_PER_EXPORT, claims_export
    from billing.services.redecide import claim_redecide
    from billing.services.remittance import x12_import

_HOMES = {
    "BillingError": "billing.errors",
    "BulkOutcome": "billing.services.bulk",
    "CENTS": "billing.money",
    "DECISION_TO_STATUS": "billing.services.deciding",
    "MAX_BULK_CLAIMS": "billing.services.bulk",
    "MAX_CLAIMS_PER_EXPORT": "billing.services.exports",
    "claim_approve": "billing.services.claims",
    "claim_correct": "billing.services.corrections",
    "claim_decide_for_encounter": "billing.services.deciding",
    "claim_hold": "billing.services.claims",
    "claim_redecide": "billing.services.redecide",
    "claim_release": "billing.services.claims",
    "claim_review_redecision": "billing.services.claims",
    "claims_approve_many": "billing.services.bulk",
    "claims_decide_batch": "billing.services.deciding",
    "claims_export": "billing.services.exports",
    "claims_hold_many": "billing.services.bulk",
    "claims_redecide_for_payer": "billing.services.deciding",
    "denial_act": "billing.services.denials",
    "facts_for_encounter": "billing.facts",
    "payer_open_encounters": "billing.services.deciding",
    "x12_import": "billing.services.remittance",
}

__all__ = [
    "CENTS",
    "DECISION_TO_STATUS",
    "MAX_BULK_CLAIMS",
    "MAX_CLAIMS_PER_EXPORT",
    "BillingError",
    "BulkOutcome",
    "claim_approve",
    "claim_correct",
    "claim_decide_for_encounter",
    "claim_hold",
    "claim_redecide",
    "claim_release",
    "claim_review_redecision",
    "claims_approve_many",
    "claims_decide_batch",
    "claims_export",
    "claims_hold_many",
    "claims_redecide_for_payer",
    "denial_act",
    "facts_for_encounter",
    "payer_open_encounters",
    "x12_import",
]


def __getattr__(name: str) -> Any:
    try:
        home = _HOMES[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value
