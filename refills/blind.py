"""The blind double check: which values stay hidden until a second clinician verified them.

Until an encounter is verified its pump values are shown only to the nurse who entered them
(``Encounter.pump_values_visible_to``); every page, admin view and audit trail that shows an
encounter leaves them out for anyone else and shows ``HIDDEN`` in their place.
"""

from __future__ import annotations

# The values the first nurse entered from the label and the pump.
PUMP_VALUE_FIELDS = (
    "drug_concentration_mg_ml",
    "drug_dose_mg",
    "drug_volume_ml",
    "rate_ml_h",
    "pump_volume_ml",
)

# The values the second clinician enters blind and that must match the first entry.
BLIND_CHECK_FIELDS = ("rate_ml_h", "pump_volume_ml", "drug_concentration_mg_ml")

# After this many mismatches by one verifier, another clinician must verify.
MISMATCHES_PER_VERIFIER = 2

HIDDEN = "hidden until verified"
