"""Properties every decision keeps, whatever valid facts come in."""

from __future__ import annotations

import copy
import json
import math
from datetime import date, datetime, timedelta, timezone
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.engine import Decision, RefillFacts, decide, parse_facts
from billing.engine.codes import EM_CODES, REFILL_CODES
from billing.engine.rules import _documentation_gaps, _fully_documented
from tests.billing.facts_example import BASE

DATE_OF_SERVICE = date(2026, 3, 4)
REFUSALS = {"R03", "R04", "R06", "R07"}
CATALOGUE = {f"R{n:02d}" for n in [*range(1, 8), *range(10, 15), *range(20, 27), *range(30, 41)]}
CATALOGUE |= {"R50", "R51", "R52"}

DIAGNOSIS_POOL = [
    "C18.9",
    "c787",
    "C50.911",
    "C4A.9",
    "D09.0",
    "E11.9",
    "I10",
    "R11.0",
    "K52.9",
    "R53.83",
    "E86.0",
    "D64.9",
    "N17.9",
    "Z51.11",
    "C18",
    "XYZ",
    "D10.0",
]
SAME_DAY_POOL = [
    *sorted(EM_CODES),
    *sorted(EM_CODES),
    "96521",
    "96522",
    "96523",
    "36591",
    "36592",
    "96409",
    "96411",
    "96413",
    "96415",
    "96416",
    "96417",
    "G0498",
    "J9190",
    "96365",
]
ROLES = ["physician", "nurse_practitioner", "physician_assistant", "registered_nurse"]
CHARGE_CODES = ["96521", "96522", "99211", "99213", "99204", "96523"]


def days_around(spread: int = 12) -> st.SearchStrategy[str | None]:
    return st.one_of(
        st.none(),
        st.integers(-spread, 2).map(lambda n: (DATE_OF_SERVICE + timedelta(days=n)).isoformat()),
    )


@st.composite
def infusion_start(draw: st.DrawFn) -> str | None:
    if draw(st.booleans()):
        return None
    offset = timezone(timedelta(hours=draw(st.integers(-12, 14))))
    local = datetime(2026, 3, 3, tzinfo=offset) + timedelta(minutes=draw(st.integers(0, 4319)))
    return local.isoformat()


@st.composite
def same_day_service(draw: st.DrawFn) -> dict[str, Any]:
    code = draw(st.sampled_from(SAME_DAY_POOL))
    service: dict[str, Any] = {"code": code}
    if code in EM_CODES:
        service["performed_by_role"] = draw(st.sampled_from(ROLES))
        service["separately_identifiable"] = draw(st.booleans())
    if draw(st.booleans()):
        service["diagnoses"] = draw(st.lists(st.sampled_from(DIAGNOSIS_POOL), max_size=6))
    return service


CLEAN_DOCUMENTATION = BASE["documentation"]


@st.composite
def documentation(draw: st.DrawFn) -> dict[str, Any]:
    text_or_missing = st.sampled_from([None, False, "", "rn.alvarez", "dr.okafor"])
    return {
        "weight_kg": draw(st.sampled_from([None, False, 48, 71.4])),
        "weight_measured_on": draw(days_around(2)),
        "cbc_collected_on": draw(days_around()),
        "cmp_collected_on": draw(days_around()),
        "verified_by": draw(
            st.one_of(st.none(), st.lists(st.sampled_from(["a", " A ", "b", ""]), max_size=3))
        ),
        "pump_programmed": draw(st.sampled_from([True, False, None])),
        "pump_primed": draw(st.sampled_from([True, False, None])),
        "pump_function_verified": draw(st.sampled_from([True, False, None])),
        "teaching": draw(
            st.one_of(
                st.none(),
                st.fixed_dictionaries({"alarms": st.booleans(), "site_care": st.booleans()}),
            )
        ),
        "infusion_started_at": draw(infusion_start()),
        "adverse_reaction": draw(st.sampled_from([None, "", "none", "nausea"])),
        "signed_by": draw(text_or_missing),
        "supervising_practitioner": draw(text_or_missing),
    }


@st.composite
def valid_facts(draw: st.DrawFn) -> dict[str, Any]:
    data: dict[str, Any] = {
        "schema": "refill-facts/1",
        "payer": {
            "code": draw(st.sampled_from(["MEDICARE", "ACME"])),
            "program": draw(st.sampled_from(["medicare", "commercial"])),
            "allows_99211_with_drug_admin": draw(st.booleans()),
            "modifier25_requires_note": draw(st.booleans()),
        },
        "claim_type": "professional",
        "date_of_service": DATE_OF_SERVICE.isoformat(),
        "place_of_service": draw(st.sampled_from(["11"] * 8 + ["12", "19", "20", "22"])),
        "diagnoses": draw(
            st.one_of(
                st.lists(st.sampled_from(DIAGNOSIS_POOL), max_size=6),
                st.lists(st.sampled_from(DIAGNOSIS_POOL), unique=True, min_size=8),
            )
        ),
        "pump": {
            "type": draw(st.sampled_from(["external", "implanted"])),
            "service": draw(st.sampled_from(["refill"] * 8 + ["initiation", "flush_only"])),
        },
        "drug": {
            "name": "fluorouracil",
            "antineoplastic": draw(st.booleans()),
            "lot": draw(st.sampled_from(["F5U2291", "F5U2291", None, ""])),
            "expires_on": draw(st.one_of(st.just("2026-09-30"), days_around())),
        },
        "documentation": draw(st.one_of(st.just(CLEAN_DOCUMENTATION), documentation())),
        "same_day_services": draw(st.lists(same_day_service(), max_size=4)),
        "charges": draw(
            st.dictionaries(
                st.sampled_from(CHARGE_CODES),
                st.sampled_from(["0", "30.00", "120.5", "175.00", "999.99"]),
                max_size=len(CHARGE_CODES),
            )
        ),
    }
    if draw(st.booleans()):
        data["lab_window_days"] = draw(st.integers(0, 14))
    return data


def decided(data: dict[str, Any]) -> Decision:
    return decide(parse_facts(data))


def decided_through_json(data: dict[str, Any]) -> tuple[RefillFacts, Decision]:
    """The facts and their decision, each of which comes back from JSON unchanged (and the
    facts read back decide the same)."""
    facts = parse_facts(data)
    decision = decide(facts)
    payload = decision.to_dict()
    assert json.loads(json.dumps(payload, allow_nan=False)) == payload
    reparsed = parse_facts(json.loads(json.dumps(facts.to_dict())))
    assert reparsed == facts
    assert decide(reparsed) == decision
    return facts, decision


def shortcut_and_gaps(data: dict[str, Any]) -> tuple[bool, list[Any]]:
    """Whether the fully-documented shortcut passes the facts, and the gaps the documentation
    rules find in them."""
    facts = parse_facts(data)
    gaps: list[Any] = []
    _documentation_gaps(facts, "96521", gaps)
    return _fully_documented(facts), gaps


# Hypothesis spends most of its time building facts, so each test checks a family of
# properties on the same examples rather than drawing fresh facts for every property.


@settings(max_examples=200, deadline=None)
@given(valid_facts())
def test_lines_respect_modifier_pointer_and_status_rules(data):
    decision = decided(data)
    has_refill = any(line.code in REFILL_CODES for line in decision.lines)
    has_hold = any(finding.severity == "hold" for finding in decision.findings)

    for line in decision.lines:
        if "25" in line.modifiers:
            assert line.code in EM_CODES
        if line.code in REFILL_CODES:
            assert line.modifiers == ()
        assert 1 <= len(line.diagnosis_pointers) <= 4
        assert all(1 <= pointer <= len(decision.diagnoses) for pointer in line.diagnosis_pointers)
    assert len(decision.diagnoses) <= 12
    assert len(set(decision.diagnoses)) == len(decision.diagnoses)
    if decision.lines:
        assert decision.diagnoses[0] == "Z51.11"
        assert decision.lines[0].code in REFILL_CODES
        assert decision.lines[0].diagnosis_pointers[0] == 1
    assert (decision.status == "not_billable") is (not has_refill)
    assert (decision.status == "hold") is (has_refill and has_hold)
    assert (decision.status == "billable") is (has_refill and not has_hold)


@settings(max_examples=200, deadline=None)
@given(valid_facts())
def test_findings_cite_catalogue_rules_in_order(data):
    decision = decided(data)
    rules = [finding.rule for finding in decision.findings]

    assert set(rules) <= CATALOGUE
    assert rules == sorted(rules)
    billed_em = [line.code for line in decision.lines if line.code in EM_CODES]
    assert billed_em == [f.code for f in decision.findings if f.rule == "R20"]
    if decision.status == "not_billable":
        assert decision.lines == ()
        assert decision.diagnoses == ()
        assert all(finding.severity == "deny" for finding in decision.findings)
        assert set(rules) <= REFUSALS


@settings(max_examples=300, deadline=None)
@given(st.one_of(valid_facts(), st.just(BASE)))
def test_the_fully_documented_shortcut_agrees_with_the_documentation_rules(data):
    shortcut, gaps = shortcut_and_gaps(data)

    if shortcut:
        assert gaps == []
    # Else the rules run; a shortcut that is only cautious (no gap found) costs time, not truth.


def test_the_clean_example_takes_the_shortcut():
    assert _fully_documented(parse_facts(BASE))


@settings(max_examples=200, deadline=None)
@given(valid_facts())
def test_facts_and_decision_round_trip_through_json(data):
    decided_through_json(data)


# refill-facts/2 ------------------------------------------------------------------------------

CATALOGUE_V2 = CATALOGUE | {"R27", "R41", "R42", "R43", "R44", "R60", "R61", "R62", "R63", "R64"}
PRACTITIONER_NAMES = ["dr.okafor", "np.patel", "pa.ruiz", "rn.alvarez", "dr.lee"]
AMOUNTS = st.one_of(
    st.integers(1, 5000),
    st.decimals(min_value="0.001", max_value="5000", places=3).map(float),
)


@st.composite
def practitioners(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.lists(st.sampled_from(PRACTITIONER_NAMES), unique=True, max_size=5))
    return {
        name: {
            "npi": draw(st.sampled_from(["1234567893", "1245319599", None])),
            "role": draw(st.sampled_from(ROLES)),
        }
        for name in names
    }


@st.composite
def drug_v2(draw: st.DrawFn) -> dict[str, Any]:
    def maybe(strategy: st.SearchStrategy[Any]) -> Any:
        return draw(st.one_of(st.none(), strategy, strategy, strategy))

    return {
        "name": "fluorouracil",
        "antineoplastic": draw(st.booleans()),
        "lot": "F5U2291",
        "expires_on": "2026-09-30",
        "supplied_by_practice": maybe(st.booleans()),
        "hcpcs": maybe(st.sampled_from(["J9190", "j9190 "])),
        "hcpcs_unit_mg": maybe(AMOUNTS),
        "dose_mg": maybe(AMOUNTS),
        "discarded_mg": maybe(st.one_of(st.just(0), AMOUNTS)),
        "container": maybe(st.sampled_from(["single_dose", "multi_dose"])),
        "ndc": maybe(st.just("63323011710")),
        "ndc_quantity": maybe(AMOUNTS),
        "ndc_unit": maybe(st.sampled_from(["UN", "ML", "GR", "F2", "ME"])),
    }


@st.composite
def valid_facts_v2(draw: st.DrawFn) -> dict[str, Any]:
    data = draw(valid_facts())
    data["schema"] = "refill-facts/2"
    data["drug"] = draw(drug_v2())
    data["practitioners"] = draw(practitioners())
    data["patient"] = draw(st.sampled_from([{"established": True}, {"established": False}, {}]))
    if draw(st.booleans()):
        data["documentation"] = {
            **data["documentation"],
            "supervising_practitioner": draw(st.sampled_from([*PRACTITIONER_NAMES, None, " "])),
        }
    for service in data["same_day_services"]:
        service["performed_by"] = draw(st.sampled_from([*PRACTITIONER_NAMES, None, "dr.smith"]))
    if draw(st.booleans()):
        data["charges"]["J9190"] = draw(st.sampled_from(["0", "12.40", "999.99"]))
    return data


def _fraction(amount: Any) -> Fraction:
    return Fraction(str(amount))


@settings(max_examples=150, deadline=None)
@given(valid_facts_v2())
def test_version_2_decisions_keep_line_order_rendering_and_drug_units(data):
    facts, decision = decided_through_json(data)
    rules = [finding.rule for finding in decision.findings]

    assert decision.to_dict()["schema"] == "refill-decision/2"
    assert set(rules) <= CATALOGUE_V2
    assert rules == sorted(rules)
    if decision.status == "not_billable":
        assert (decision.lines, decision.supervising) == ((), None)
        assert set(rules) <= REFUSALS
        return

    refill, *rest = decision.lines
    drug_lines = [line for line in rest if line.drug]
    em_lines = [line for line in rest if not line.drug]
    assert rest == [*drug_lines, *em_lines]
    assert len(em_lines) <= 1
    assert all(line.code in EM_CODES for line in em_lines)
    keys = {practitioner.key for practitioner in facts.practitioners}
    assert (decision.supervising is None) is ("R41" not in rules)
    assert decision.supervising is None or decision.supervising in keys
    for line in (refill, *drug_lines):
        assert line.rendering == decision.supervising
    for line in em_lines:
        assert line.rendering is None or line.rendering in keys

    drug = data["drug"]
    if drug_lines:
        units = math.ceil(_fraction(drug["dose_mg"]) / _fraction(drug["hcpcs_unit_mg"]))
        given = drug_lines[0]
        assert (given.code, given.units) == ("J9190", units)
        assert given.diagnosis_pointers == refill.diagnosis_pointers
        per_unit = facts.charge_for("J9190")
        for line in drug_lines:
            assert line.charge == (None if per_unit is None else per_unit * line.units)
            assert line.ndc == drug["ndc"]
        if len(drug_lines) == 2:
            waste = drug_lines[1]
            assert waste.modifiers == ("JW",)
            total = (_fraction(drug["dose_mg"]) + _fraction(drug["discarded_mg"])) / _fraction(
                drug["hcpcs_unit_mg"]
            )
            assert waste.units == math.ceil(total) - units >= 1
    else:
        assert not drug["supplied_by_practice"] or "R63" in rules


# One change from the clean example each: the shortcut must not pass what a rule holds.
DOCUMENTATION_CHANGES = [
    ("documentation", "weight_kg", None),
    ("documentation", "weight_measured_on", "2026-03-03"),
    ("documentation", "weight_measured_on", None),
    # Each lab: not drawn, drawn the day after, eight days before and seven days before.
    *[
        ("documentation", lab, day)
        for lab in ("cbc_collected_on", "cmp_collected_on")
        for day in (None, "2026-03-05", "2026-02-24", "2026-02-25")
    ],
    ("documentation", "verified_by", ["rn.alvarez"]),
    ("documentation", "verified_by", ["rn.alvarez", " RN.ALVAREZ "]),
    ("documentation", "verified_by", ["rn.alvarez", " "]),
    ("documentation", "verified_by", [" ", "rn.alvarez"]),
    ("documentation", "verified_by", ["rn.alvarez", "rn.chen", "rn.alvarez"]),
    ("documentation", "pump_programmed", False),
    ("documentation", "pump_primed", None),
    ("documentation", "pump_function_verified", False),
    ("documentation", "teaching", {"alarms": True, "site_care": False}),
    ("documentation", "teaching", {"alarms": None, "site_care": True}),
    ("documentation", "infusion_started_at", None),
    ("documentation", "infusion_started_at", "2026-03-05T00:30:00+01:00"),
    ("documentation", "infusion_started_at", "2026-03-04T23:30:00-05:00"),
    ("documentation", "adverse_reaction", " "),
    ("documentation", "signed_by", None),
    ("documentation", "signed_by", ""),
    ("documentation", "supervising_practitioner", None),
    ("documentation", "supervising_practitioner", "  "),
    ("drug", "lot", None),
    ("drug", "lot", " "),
    ("drug", "expires_on", None),
    ("drug", "expires_on", "2026-03-03"),
    ("drug", "expires_on", "2026-03-04"),
    ("", "lab_window_days", 0),
    ("", "place_of_service", "20"),
]


@pytest.mark.parametrize(("where", "key", "value"), DOCUMENTATION_CHANGES)
def test_the_shortcut_passes_nothing_a_documentation_rule_holds(where, key, value):
    data = copy.deepcopy(BASE)
    (data[where] if where else data)[key] = value

    shortcut, gaps = shortcut_and_gaps(data)

    assert not (shortcut and gaps)
