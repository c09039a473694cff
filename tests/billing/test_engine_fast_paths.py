"""The parser's fast paths read exactly what its checked paths read.

Each object of the facts (payer, drug, documentation, same-day service) has a fast path for
what the app sends every day and a checked path that reads each field on its own. Whatever
the object, both must give equal facts or the same schema error.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.engine import SchemaError, facts, parse_facts
from tests.billing.facts_example import BASE, BASE_V2
from tests.billing.test_engine_hostile import REPLACEMENTS

# Values a field may hold that the fast path must judge as the checked path does.
NEAR_VALID_VALUES = [
    None,
    False,
    True,
    0,
    1,
    71,
    71.4,
    -1.0,
    1000.0,
    1000.5,
    10**309,
    float("nan"),
    "",
    " ",
    "x",
    " J9190",
    "j9190",
    "J9190",
    "2026-03-04",
    "2026-02-30",
    "2026-03-04T10:15:00-05:00",
    "2026-03-04 10:15:00-05:00",
    "medicare",
    "commercial",
    "physician",
    "registered_nurse",
    "single_dose",
    "multi_dose",
    "vial",
    "ML",
    "mL",
    "63323011710",
    "6332301171",
    ["rn.alvarez", "rn.chen"],
    ["rn.alvarez"],
    ["rn.alvarez", 7],
    {"alarms": True, "site_care": True},
    {"alarms": True, "site_care": None},
    ["R11.0"],
    ["."],
    [" r11.0 "],
    2400,
    2400.0,
    -0.0,
    0.001,
    ["C18.9", ""],
    "\u0661\u0661",
]
NEAR_VALID = st.sampled_from(NEAR_VALID_VALUES)
SERVICES = [
    {"code": "99213", "performed_by_role": "physician", "separately_identifiable": True},
    {
        "code": "99214",
        "performed_by_role": "nurse_practitioner",
        "separately_identifiable": True,
        "performed_by": "np.patel",
        "diagnoses": ["R11.0"],
    },
    {"code": "96523"},
    {"code": "j9190 ", "diagnoses": []},
]
OBJECTS = {
    "payer": [BASE["payer"]],
    "drug": [BASE_V2["drug"], BASE["drug"]],
    "drug_v1": [BASE["drug"], BASE_V2["drug"]],
    "documentation": [BASE["documentation"]],
    "service": SERVICES,
}
READERS = {
    "payer": (facts._payer, facts._payer_checked),
    "drug": (
        lambda obj: facts._drug(obj, True),
        lambda obj: facts._drug_checked(obj, True),
    ),
    "drug_v1": (
        lambda obj: facts._drug(obj, False),
        lambda obj: facts._drug_checked(obj, False),
    ),
    "documentation": (facts._documentation, facts._documentation_checked),
    "service": (
        lambda obj: facts._same_day_service(obj, 0, True),
        lambda obj: facts._same_day_service_checked(obj, 0, True),
    ),
}


def outcome(read: Any, obj: Any) -> Any:
    try:
        return read(obj)
    except SchemaError as error:
        return ("refused", str(error))


@st.composite
def objects(draw: st.DrawFn) -> tuple[str, Any]:
    kind = draw(st.sampled_from(sorted(READERS)))
    obj = copy.deepcopy(draw(st.sampled_from(OBJECTS[kind])))
    keys = sorted({*obj, "diagnoses", "performed_by", "teaching", "ndc"})
    for _ in range(draw(st.integers(0, 3))):
        key = draw(st.sampled_from(keys))
        if draw(st.integers(0, 5)) == 0:
            obj.pop(key, None)
        else:
            obj[key] = draw(NEAR_VALID | REPLACEMENTS)
    return kind, obj


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(objects())
def test_fast_and_checked_paths_agree(case):
    kind, obj = case
    fast, checked = READERS[kind]

    assert outcome(fast, obj) == outcome(checked, obj)


ABSENT = object()


@pytest.mark.parametrize("kind", sorted(READERS))
def test_every_single_field_change_reads_the_same_on_both_paths(kind):
    """Each field of each clean example, set to each value above or removed, one at a time."""
    fast, checked = READERS[kind]
    for clean in OBJECTS[kind]:
        for key in sorted({*clean, "diagnoses", "performed_by"}):
            for value in [ABSENT, *NEAR_VALID_VALUES]:
                obj = copy.deepcopy(clean)
                if value is ABSENT:
                    obj.pop(key, None)
                else:
                    obj[key] = copy.deepcopy(value)
                assert outcome(fast, obj) == outcome(checked, obj), (key, value)


@pytest.mark.parametrize("kind", sorted(READERS))
def test_the_examples_take_the_fast_path(kind, monkeypatch):
    """The clean examples are read without the checked path (else the above proves little)."""
    name = {
        "payer": "_payer_checked",
        "drug": "_drug_checked",
        "drug_v1": "_drug_checked",
        "documentation": "_documentation_checked",
        "service": "_same_day_service_checked",
    }[kind]

    def refuse(*args: Any) -> None:
        raise AssertionError(f"{name} was called")

    monkeypatch.setattr(facts, name, refuse)
    fast, _checked = READERS[kind]
    clean = OBJECTS[kind][:2] if kind == "service" else OBJECTS[kind][:1]
    for obj in clean:
        fast(obj)


@pytest.mark.parametrize("key", ["type", "service"])
def test_the_pump_reads_the_same_on_both_paths(key):
    for value in [ABSENT, "external", "implanted", "refill", "initiation", *NEAR_VALID_VALUES]:
        obj = copy.deepcopy(BASE["pump"])
        if value is ABSENT:
            del obj[key]
        else:
            obj[key] = copy.deepcopy(value)
        assert outcome(facts._pump, obj) == outcome(facts._pump_checked, obj), value


def test_charges_and_practitioners_are_read_again_once_changed():
    """The last charges and practitioners read are remembered as they were given: the same
    object changed in place, or the same practitioners in another order, read anew."""
    data = copy.deepcopy(BASE_V2)
    first = parse_facts(data)
    data["charges"]["96521"] = "1.00"
    doctor = next(iter(data["practitioners"]))
    data["practitioners"][doctor]["npi"] = None
    changed = parse_facts(data)
    data["practitioners"] = dict(reversed(data["practitioners"].items()))
    reordered = parse_facts(data)

    assert first.charge_for("96521") == Decimal("175.00")
    assert changed.charge_for("96521") == Decimal("1.00")
    assert first.practitioner(doctor).npi == "1234567893"
    assert changed.practitioner(doctor).npi is None
    assert [p.key for p in reordered.practitioners] == [p.key for p in changed.practitioners][::-1]
