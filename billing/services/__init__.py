"""Every billing write: deciding claims from signed documentation, moving their status
and exporting them. One module per concept; the names callers use are all here.
"""

from __future__ import annotations

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
)
from billing.services.denials import denial_act
from billing.services.exports import MAX_CLAIMS_PER_EXPORT, claims_export
from billing.services.redecide import claim_redecide
from billing.services.remittance import x12_import

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
    "denial_act",
    "facts_for_encounter",
    "x12_import",
]
