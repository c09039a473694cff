"""Complete, clean facts that engine tests vary: `refill-facts/1` (scenario 01) and
`refill-facts/2` (scenario 11)."""

from __future__ import annotations

from typing import Any

BASE: dict[str, Any] = {
    "schema": "refill-facts/1",
    "payer": {
        "code": "MEDICARE",
        "program": "medicare",
        "allows_99211_with_drug_admin": False,
        "modifier25_requires_note": False,
    },
    "claim_type": "professional",
    "date_of_service": "2026-03-04",
    "place_of_service": "11",
    "diagnoses": ["C18.9"],
    "pump": {"type": "external", "service": "refill"},
    "drug": {
        "name": "fluorouracil",
        "antineoplastic": True,
        "lot": "F5U2291",
        "expires_on": "2026-09-30",
    },
    "documentation": {
        "weight_kg": 71.4,
        "weight_measured_on": "2026-03-04",
        "cbc_collected_on": "2026-03-03",
        "cmp_collected_on": "2026-03-03",
        "verified_by": ["rn.alvarez", "rn.chen"],
        "pump_programmed": True,
        "pump_primed": True,
        "pump_function_verified": True,
        "teaching": {"alarms": True, "site_care": True},
        "infusion_started_at": "2026-03-04T10:15:00-05:00",
        "adverse_reaction": "none",
        "signed_by": "rn.alvarez",
        "supervising_practitioner": "dr.okafor",
    },
    "same_day_services": [],
    "charges": {
        "96521": "175.00",
        "96522": "160.00",
        "99211": "30.00",
        "99212": "80.00",
        "99213": "120.00",
        "99214": "175.00",
        "99215": "240.00",
        "99204": "210.00",
    },
}

# `refill-facts/2`: the same refill with who is who, the patient and the drug (scenario 11).
PRACTITIONERS: dict[str, Any] = {
    "dr.okafor": {"npi": "1234567893", "role": "physician"},
    "np.patel": {"npi": "1245319599", "role": "nurse_practitioner"},
    "pa.ruiz": {"npi": "1555555550", "role": "physician_assistant"},
    "rn.alvarez": {"npi": None, "role": "registered_nurse"},
    "dr.lee": {"npi": None, "role": "physician"},
}
BASE_V2: dict[str, Any] = {
    **BASE,
    "schema": "refill-facts/2",
    "drug": {
        **BASE["drug"],
        "supplied_by_practice": True,
        "hcpcs": "J9190",
        "hcpcs_unit_mg": 500,
        "dose_mg": 2400,
        "discarded_mg": 0,
        "container": "single_dose",
        "ndc": "63323011710",
        "ndc_quantity": 48,
        "ndc_unit": "ML",
    },
    "charges": {**BASE["charges"], "J9190": "12.40"},
    "practitioners": PRACTITIONERS,
    "patient": {"established": True},
}
