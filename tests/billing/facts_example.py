"""Complete, clean facts that engine tests vary: `refill-facts/1` (scenario 01) and
`refill-facts/2` (scenario 11), and how the tests change them and read the decision."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from billing.engine import Decision, Finding, SchemaError, parse_facts

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
# The nurse practitioner's same-day E/M for nausea, billed beside the refill.
NP_VISIT: dict[str, Any] = {
    "code": "99214",
    "performed_by": "np.patel",
    "performed_by_role": "nurse_practitioner",
    "separately_identifiable": True,
    "diagnoses": ["R11.0"],
}

# The refill line of BASE as `refill-decision/1` writes it (`/2` adds its "rendering").
REFILL_LINE: dict[str, Any] = {
    "code": "96521",
    "modifiers": [],
    "units": 1,
    "place_of_service": "11",
    "diagnosis_pointers": [1, 2],
    "charge": "175.00",
}

DELETE = object()


def changed(base: dict[str, Any], changes: dict[str, Any] | None = None) -> dict[str, Any]:
    """A copy of `base` with `changes`, which map dotted paths ("drug.dose_mg") to values
    (DELETE removes the key). Practitioner keys hold dots: "practitioners.dr.okafor" is the
    entry "dr.okafor"."""
    data = copy.deepcopy(base)
    for path, value in (changes or {}).items():
        if path.startswith("practitioners."):
            parents, leaf = ["practitioners"], path.removeprefix("practitioners.")
        else:
            *parents, leaf = path.split(".")
        target = data
        for key in parents:
            target = target[key]
        if value is DELETE:
            del target[leaf]
        else:
            target[leaf] = value
    return data


def schema_error(data: object) -> SchemaError:
    with pytest.raises(SchemaError) as caught:
        parse_facts(data)
    return caught.value


def rules_of(decision: Decision) -> list[str]:
    return [finding.rule for finding in decision.findings]


def only(
    decision: Decision, rule: str, severity: str | None = None, code: str | None = None
) -> Finding:
    """The decision's one `rule` finding; given a severity, the finding has it and `code`."""
    matches = [finding for finding in decision.findings if finding.rule == rule]
    assert len(matches) == 1, f"{rule}: {decision.findings}"
    if severity is not None:
        assert (matches[0].severity, matches[0].code) == (severity, code), matches[0]
    return matches[0]
