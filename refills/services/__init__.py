"""Every write to refill documentation goes through these functions.

Each one checks the current state, writes inside one transaction with the row locked, and
leaves a history record carrying who and why. Errors are ``RefillError`` with, where it
belongs to one field, the field's name, so a view can show the message next to it. One
module per concept; the names callers use are all here.
"""

from __future__ import annotations

from refills.errors import DuplicateSubmissionError, HardStopError, RefillError
from refills.services.addenda import addendum_create, encounter_effective_values
from refills.services.checks import (
    MAX_WEIGHT_KG,
    MIN_WEIGHT_KG,
    diagnosis_codes_clean,
    hard_stops,
)
from refills.services.drafts import draft_discard, draft_save
from refills.services.encounters import (
    VerificationResult,
    encounter_create,
    encounter_override,
    encounter_sign,
    encounter_update,
    encounter_verify,
)
from refills.services.fields import BLIND_CHECK_FIELDS, CORRECTABLE_FIELDS, ENCOUNTER_FIELDS
from refills.services.orders import ORDER_FIELDS, order_create, order_discontinue
from refills.services.patients import patient_create, patient_update
from refills.services.visits import (
    CORRECTABLE_VISIT_FIELDS,
    VisitChange,
    provider_visit_check_changeable,
    provider_visit_correct,
    provider_visit_record,
    provider_visit_withdraw,
)

__all__ = [
    "BLIND_CHECK_FIELDS",
    "CORRECTABLE_FIELDS",
    "CORRECTABLE_VISIT_FIELDS",
    "ENCOUNTER_FIELDS",
    "MAX_WEIGHT_KG",
    "MIN_WEIGHT_KG",
    "ORDER_FIELDS",
    "DuplicateSubmissionError",
    "HardStopError",
    "RefillError",
    "VerificationResult",
    "VisitChange",
    "addendum_create",
    "diagnosis_codes_clean",
    "draft_discard",
    "draft_save",
    "encounter_create",
    "encounter_effective_values",
    "encounter_override",
    "encounter_sign",
    "encounter_update",
    "encounter_verify",
    "hard_stops",
    "order_create",
    "order_discontinue",
    "patient_create",
    "patient_update",
    "provider_visit_check_changeable",
    "provider_visit_correct",
    "provider_visit_record",
    "provider_visit_withdraw",
]
