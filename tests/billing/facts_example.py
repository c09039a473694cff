"""A complete, clean `refill-facts/1` example (scenario 01) that engine tests vary."""

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
