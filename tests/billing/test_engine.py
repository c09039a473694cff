"""The billing engine, rule by rule (R01-R52), and its input schema. No database."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from billing.engine import (
    ENGINE_VERSION,
    Decision,
    Finding,
    Line,
    RefillFacts,
    decide,
    parse_facts,
)
from tests.billing.facts_example import (
    BASE,
    DELETE,
    REFILL_LINE,
    changed,
    only,
    rules_of,
    schema_error,
)

DOCUMENTATION_RULES = {f"R{n}" for n in range(30, 41)}
DIAGNOSIS_RULES = {"R50", "R51", "R52"}


def build(changes: dict[str, Any] | None = None) -> dict[str, Any]:
    """A valid facts dict; `changes` maps dotted paths ("documentation.signed_by") to values."""
    return changed(BASE, changes)


def run(changes: dict[str, Any] | None = None) -> Decision:
    return decide(parse_facts(build(changes)))


def em(code: str = "99213", role: str = "physician", identifiable: bool = True, **extra: Any):
    return {
        "code": code,
        "performed_by_role": role,
        "separately_identifiable": identifiable,
        **extra,
    }


def with_services(*services: dict[str, Any], **changes: Any) -> Decision:
    return run({"same_day_services": list(services), **changes})


def lines_of(decision: Decision) -> list[tuple[str, tuple[str, ...], int]]:
    return [(line.code, line.modifiers, line.units) for line in decision.lines]


REFILL_ONLY = [("96521", (), 1)]


# Schema -----------------------------------------------------------------------------------


def test_parse_builds_typed_frozen_facts():
    facts = parse_facts(build())

    assert isinstance(facts, RefillFacts)
    assert facts.date_of_service == date(2026, 3, 4)
    assert facts.documentation.infusion_started_at == datetime(
        2026, 3, 4, 10, 15, tzinfo=timezone(timedelta(hours=-5))
    )
    assert facts.documentation.verified_by == ("rn.alvarez", "rn.chen")
    assert facts.charge_for("96521") == Decimal("175.00")
    assert facts.charge_for("96523") is None
    assert facts.lab_window_days == 7
    with pytest.raises(AttributeError):
        facts.place_of_service = "22"  # type: ignore[misc]


def test_unknown_keys_are_ignored():
    data = build({"encounter_id": 42, "payer.name": "Medicare Part B", "pump.brand": "CADD"})

    assert parse_facts(data) == parse_facts(build())


def test_same_day_services_may_be_omitted():
    assert parse_facts(build({"same_day_services": DELETE})).same_day_services == ()


def test_charges_may_be_omitted_and_lines_then_carry_no_charge():
    decision = run({"charges": DELETE})

    assert decision.lines[0].charge is None
    assert decision.to_dict()["lines"][0]["charge"] is None


def test_lab_window_days_is_read_when_given():
    assert parse_facts(build({"lab_window_days": 3})).lab_window_days == 3


@pytest.mark.parametrize("value", [-1, "7", 7.5, True])
def test_lab_window_days_must_be_a_whole_number_of_zero_or_more(value):
    assert schema_error(build({"lab_window_days": value})).field == "lab_window_days"


@pytest.mark.parametrize("schema", ["refill-facts/3", "refill-decision/1", "", 1])
def test_wrong_schema_name_is_refused(schema):
    error = schema_error(build({"schema": schema}))

    assert error.field == "schema"


@pytest.mark.parametrize(
    "path",
    [
        "schema",
        "payer",
        "claim_type",
        "date_of_service",
        "place_of_service",
        "diagnoses",
        "pump",
        "drug",
        "documentation",
        "payer.program",
        "payer.allows_99211_with_drug_admin",
        "pump.type",
        "pump.service",
        "drug.antineoplastic",
    ],
)
def test_missing_required_field_names_it(path):
    error = schema_error(build({path: DELETE}))

    assert error.field == path
    assert str(error) == f"{path}: is required"


def test_naive_datetime_is_refused_with_the_field_path():
    error = schema_error(build({"documentation.infusion_started_at": "2026-03-04T10:15:00"}))

    assert str(error) == (
        "documentation.infusion_started_at: datetime needs a UTC offset (Z or +HH:MM)"
    )


def test_utc_z_suffix_counts_as_an_offset():
    facts = parse_facts(build({"documentation.infusion_started_at": "2026-03-04T15:15:00Z"}))

    assert facts.documentation.infusion_started_at.utcoffset() == timedelta(0)


@pytest.mark.parametrize("claim_type", ["institutional", "Professional", ""])
def test_claim_type_other_than_professional_is_refused(claim_type):
    assert schema_error(build({"claim_type": claim_type})).field == "claim_type"


@pytest.mark.parametrize("program", ["medicaid", "MEDICARE", ""])
def test_payer_program_other_than_medicare_or_commercial_is_refused(program):
    assert schema_error(build({"payer.program": program})).field == "payer.program"


@pytest.mark.parametrize("amount", [175, 175.0, "abc", "1e2", "-5.00", "NaN", "175.005", ""])
def test_charge_that_is_not_a_decimal_string_is_refused(amount):
    error = schema_error(build({"charges.96521": amount}))

    assert error.field == "charges.96521"


def test_charge_with_fewer_decimals_is_formatted_with_two():
    assert run({"charges": {"96521": "175.5"}}).to_dict()["lines"][0]["charge"] == "175.50"


@pytest.mark.parametrize("value", ["2026-02-30", "03/04/2026", "20260304", 20260304])
def test_bad_date_is_refused(value):
    assert schema_error(build({"date_of_service": value})).field == "date_of_service"


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("pump.type", "internal"),
        ("pump.service", "refil"),
        ("place_of_service", 11),
        ("diagnoses", "C18.9"),
        ("diagnoses", ["C18.9", 7]),
        ("payer.modifier25_requires_note", "no"),
        ("drug.antineoplastic", 1),
        ("documentation.weight_kg", "71.4"),
        ("documentation.verified_by", "rn.alvarez"),
        ("documentation.pump_primed", "yes"),
        ("documentation.teaching", ["alarms"]),
        ("documentation.cbc_collected_on", "yesterday"),
        ("same_day_services", {"code": "99213"}),
    ],
)
def test_wrong_type_or_value_names_the_field(path, value):
    error = schema_error(build({path: value}))

    assert error.field.startswith(path)
    assert "\n" not in str(error)


def test_bad_performed_by_role_is_refused():
    error = schema_error(build({"same_day_services": [em(role="medical_assistant")]}))

    assert error.field == "same_day_services[0].performed_by_role"


@pytest.mark.parametrize("key", ["performed_by_role", "separately_identifiable"])
def test_em_code_requires_role_and_separately_identifiable(key):
    service = em()
    del service[key]

    error = schema_error(build({"same_day_services": [service]}))

    assert error.field == f"same_day_services[0].{key}"


def test_non_em_code_needs_neither_role_nor_separately_identifiable():
    facts = parse_facts(build({"same_day_services": [{"code": "96523"}]}))

    assert facts.same_day_services[0].performed_by_role is None


def test_documentation_fields_may_be_null_or_false():
    documentation = dict.fromkeys(BASE["documentation"])
    documentation["pump_primed"] = False
    documentation["teaching"] = False

    decision = run({"documentation": documentation})

    assert decision.status == "hold"
    # R32 and R33 read the drug, not the documentation block.
    assert DOCUMENTATION_RULES - {"R32", "R33"} <= set(rules_of(decision))


def test_root_must_be_an_object():
    assert str(schema_error(["not", "facts"])) == "facts: must be an object, got a list"


def test_facts_round_trip_through_to_dict():
    facts = parse_facts(build({"same_day_services": [em(diagnoses=["R11.0"]), {"code": "96523"}]}))

    assert parse_facts(json.loads(json.dumps(facts.to_dict()))) == facts


# R01-R07: service selection -----------------------------------------------------------


def test_r01_external_refill_is_one_unit_of_96521_without_modifier():
    decision = run()

    assert decision.status == "billable"
    line = decision.lines[0]
    assert (line.code, line.modifiers, line.units) == ("96521", (), 1)
    assert line.place_of_service == "11"
    assert line.charge == Decimal("175.00")
    assert line.diagnosis_pointers == (1, 2)
    finding = only(decision, "R01")
    assert (finding.severity, finding.code) == ("info", "96521")


def test_r01_clean_refill_has_only_info_findings():
    assert rules_of(run()) == ["R01", "R50"]


def test_r02_implanted_pump_bills_96522_instead():
    decision = run({"pump.type": "implanted"})

    assert decision.status == "billable"
    assert lines_of(decision) == [("96522", (), 1)]
    assert decision.lines[0].charge == Decimal("160.00")
    assert (only(decision, "R02").severity, only(decision, "R02").code) == ("info", "96522")
    assert "R01" not in rules_of(decision)


def test_r03_initiation_is_not_billable_and_skips_documentation_and_diagnoses():
    decision = run(
        {
            "pump.service": "initiation",
            "documentation.verified_by": ["rn.alvarez"],
            "diagnoses": ["XYZ"],
        }
    )

    assert decision.status == "not_billable"
    assert decision.lines == ()
    assert decision.diagnoses == ()
    assert [(f.rule, f.severity, f.code) for f in decision.findings] == [("R03", "deny", "96521")]
    assert "96416" in decision.findings[0].message


@pytest.mark.parametrize("start_code", ["96416", "G0498", "g0498"])
def test_r03_pump_start_among_same_day_services_refuses_the_refill(start_code):
    decision = with_services({"code": start_code}, **{"pump.type": "implanted"})

    assert decision.status == "not_billable"
    assert [(f.rule, f.severity, f.code) for f in decision.findings] == [("R03", "deny", "96522")]


def test_r03_refusal_does_not_bill_a_same_day_em():
    decision = with_services(em(), {"code": "96416"})

    assert decision.lines == ()
    assert rules_of(decision) == ["R03"]


def test_r04_flush_only_is_not_billable():
    decision = run({"pump.service": "flush_only", "pump.type": "implanted"})

    assert decision.status == "not_billable"
    assert decision.lines == ()
    assert [(f.rule, f.severity, f.code) for f in decision.findings] == [("R04", "deny", "96522")]
    assert "96523" in decision.findings[0].message


def test_every_applicable_refusal_is_listed():
    decision = with_services(
        {"code": "G0498"}, **{"pump.service": "flush_only", "place_of_service": "22"}
    )

    assert rules_of(decision) == ["R03", "R04", "R06"]
    assert {f.severity for f in decision.findings} == {"deny"}


def test_r05_drug_not_antineoplastic_holds_but_keeps_the_line():
    decision = run({"drug.antineoplastic": False})

    assert decision.status == "hold"
    assert lines_of(decision) == REFILL_ONLY
    assert (only(decision, "R05").severity, only(decision, "R05").code) == ("hold", "96521")


def test_r05_applies_to_96522_as_well():
    decision = run({"drug.antineoplastic": False, "pump.type": "implanted"})

    assert decision.status == "hold"
    assert lines_of(decision) == [("96522", (), 1)]
    assert only(decision, "R05").code == "96522"


@pytest.mark.parametrize("place", ["19", "21", "22", "23"])
def test_r06_facility_place_of_service_refuses_the_refill(place):
    decision = run({"place_of_service": place})

    assert decision.status == "not_billable"
    assert decision.lines == ()
    assert [(f.rule, f.severity, f.code) for f in decision.findings] == [("R06", "deny", "96521")]


@pytest.mark.parametrize("place", ["20", "24", "49"])
def test_r06_other_places_of_service_are_not_facilities(place):
    decision = run({"place_of_service": place})

    assert decision.status == "billable"
    assert "R06" not in rules_of(decision)
    assert decision.lines[0].place_of_service == place


def test_r07_home_for_medicare_is_refused():
    decision = run({"place_of_service": "12", "documentation.signed_by": None})

    assert decision.status == "not_billable"
    assert [(f.rule, f.severity, f.code) for f in decision.findings] == [("R07", "deny", "96521")]


def test_r07_home_for_other_payers_holds_with_the_line():
    decision = run({"place_of_service": "12", "payer.program": "commercial"})

    assert decision.status == "hold"
    assert lines_of(decision) == REFILL_ONLY
    assert (only(decision, "R07").severity, only(decision, "R07").code) == ("hold", "96521")
    assert decision.lines[0].place_of_service == "12"


# R10-R14: same-day services -----------------------------------------------------------


@pytest.mark.parametrize("program", ["medicare", "commercial"])
def test_r10_same_day_96523_is_denied_for_every_payer(program):
    decision = with_services({"code": "96523"}, **{"payer.program": program})

    assert decision.status == "billable"
    assert lines_of(decision) == REFILL_ONLY
    assert (only(decision, "R10").severity, only(decision, "R10").code) == ("deny", "96523")


@pytest.mark.parametrize("code", ["36591", "36592"])
def test_r11_status_t_blood_draw_is_denied(code):
    decision = with_services({"code": code}, **{"payer.program": "commercial"})

    assert decision.status == "billable"
    assert lines_of(decision) == REFILL_ONLY
    assert (only(decision, "R11").severity, only(decision, "R11").code) == ("deny", code)


@pytest.mark.parametrize("code", ["96409", "96411", "96413", "96415", "96417"])
def test_r12_other_chemo_administration_holds(code):
    decision = with_services({"code": code})

    assert decision.status == "hold"
    assert lines_of(decision) == REFILL_ONLY
    assert (only(decision, "R12").severity, only(decision, "R12").code) == ("hold", code)


@pytest.mark.parametrize("code", ["96410", "96412", "96414"])
def test_r12_means_exactly_its_five_codes(code):
    decision = with_services({"code": code})

    assert "R12" not in rules_of(decision)
    assert (only(decision, "R14").severity, only(decision, "R14").code) == ("warn", code)


def test_r13_duplicate_refill_is_denied_and_the_refill_line_stays():
    decision = with_services({"code": "96521"})

    assert decision.status == "billable"
    assert lines_of(decision) == REFILL_ONLY
    assert (only(decision, "R13").severity, only(decision, "R13").code) == ("deny", "96521")


def test_r13_names_the_listed_duplicate_code():
    decision = with_services({"code": "96522"})

    assert lines_of(decision) == REFILL_ONLY
    assert only(decision, "R13").code == "96522"


def test_r14_unnamed_code_warns_and_nothing_else():
    decision = with_services({"code": "j9190", "diagnoses": ["R11.0"]})

    assert decision.status == "billable"
    assert lines_of(decision) == REFILL_ONLY
    about_code = [f for f in decision.findings if f.code == "J9190"]
    assert [(f.rule, f.severity) for f in about_code] == [("R14", "warn")]
    assert "check it by hand" in about_code[0].message
    assert decision.diagnoses == ("Z51.11", "C18.9")


# R20-R25: E/M and modifier 25 --------------------------------------------------------------


@pytest.mark.parametrize("role", ["physician", "nurse_practitioner", "physician_assistant"])
def test_r20_separately_identifiable_em_by_a_practitioner_gets_modifier_25(role):
    decision = with_services(em(role=role))

    assert decision.status == "billable"
    assert lines_of(decision) == [("96521", (), 1), ("99213", ("25",), 1)]
    assert decision.lines[1].charge == Decimal("120.00")
    assert (only(decision, "R20").severity, only(decision, "R20").code) == ("info", "99213")


@pytest.mark.parametrize("code", ["99202", "99203", "99204", "99205", "99212", "99215"])
def test_r20_applies_to_every_em_level(code):
    decision = with_services(em(code=code))

    assert lines_of(decision) == [("96521", (), 1), (code, ("25",), 1)]


def test_r20_em_without_a_charge_carries_null_charge():
    decision = with_services(em(code="99205"))

    assert decision.lines[1].charge is None
    assert decision.to_dict()["lines"][1]["charge"] is None


def test_r21_em_not_separately_identifiable_is_denied():
    decision = with_services(em(identifiable=False, diagnoses=["R11.0"]))

    assert decision.status == "billable"
    assert lines_of(decision) == REFILL_ONLY
    assert (only(decision, "R21").severity, only(decision, "R21").code) == ("deny", "99213")
    assert decision.diagnoses == ("Z51.11", "C18.9")


@pytest.mark.parametrize("allows", [False, True])
def test_r22_99211_is_denied_for_medicare_even_when_the_flag_is_set(allows):
    decision = with_services(
        em(code="99211", role="registered_nurse"),
        **{"payer.allows_99211_with_drug_admin": allows},
    )

    assert decision.status == "billable"
    assert lines_of(decision) == REFILL_ONLY
    assert (only(decision, "R22").severity, only(decision, "R22").code) == ("deny", "99211")


def test_r22_99211_is_denied_for_other_payers_without_the_policy():
    decision = with_services(em(code="99211"), **{"payer.program": "commercial"})

    assert lines_of(decision) == REFILL_ONLY
    assert only(decision, "R22").severity == "deny"


def test_r22_policy_bills_99211_with_modifier_25_whoever_performed_it():
    decision = with_services(
        em(code="99211", role="registered_nurse"),
        **{"payer.program": "commercial", "payer.allows_99211_with_drug_admin": True},
    )

    assert decision.status == "billable"
    assert lines_of(decision) == [("96521", (), 1), ("99211", ("25",), 1)]
    assert decision.lines[1].charge == Decimal("30.00")
    assert only(decision, "R20").code == "99211"
    assert "R23" not in rules_of(decision)


def test_r22_policy_still_applies_r21():
    decision = with_services(
        em(code="99211", identifiable=False),
        **{"payer.program": "commercial", "payer.allows_99211_with_drug_admin": True},
    )

    assert lines_of(decision) == REFILL_ONLY
    assert (only(decision, "R21").severity, only(decision, "R21").code) == ("deny", "99211")


@pytest.mark.parametrize("code", ["99204", "99212", "99213"])
def test_r23_em_by_a_registered_nurse_is_denied(code):
    decision = with_services(em(code=code, role="registered_nurse"))

    assert lines_of(decision) == REFILL_ONLY
    assert (only(decision, "R23").severity, only(decision, "R23").code) == ("deny", code)
    assert "R20" not in rules_of(decision)


def test_r24_payer_requiring_the_note_warns_on_the_em_line():
    decision = with_services(em(), **{"payer.modifier25_requires_note": True})

    assert decision.status == "billable"
    assert (only(decision, "R24").severity, only(decision, "R24").code) == ("warn", "99213")


def test_r24_is_silent_when_the_em_is_denied():
    decision = with_services(em(identifiable=False), **{"payer.modifier25_requires_note": True})

    assert "R24" not in rules_of(decision)


def test_r25_refill_line_keeps_no_modifier_beside_a_modifier_25_em():
    decision = with_services(em(code="99204"))

    assert [line.modifiers for line in decision.lines] == [(), ("25",)]
    assert only(decision, "R25", "info", "96521").message == (
        "96521 carries no modifier: modifier 25 goes on the E/M line 99204 only."
    )


@pytest.mark.parametrize("code", ["96521", "96522", "96523"])
def test_r25_line_refuses_modifier_25_off_an_em_code(code):
    with pytest.raises(ValueError, match="modifier 25"):
        Line(code, ("25",), 1, "11", (1,), None)


def test_r25_refill_line_refuses_any_modifier():
    with pytest.raises(ValueError, match="no modifier"):
        Line("96521", ("59",), 1, "11", (1,), None)


# R30-R40: documentation ------------------------------------------------------------------


def held(decision: Decision, rule: str) -> Finding:
    assert decision.status == "hold"
    assert lines_of(decision) == REFILL_ONLY
    return only(decision, rule, "hold", "96521")


@pytest.mark.parametrize("value", [None, False])
def test_r30_missing_weight_holds_naming_it(value):
    assert "weight" in held(run({"documentation.weight_kg": value}), "R30").message


def test_r30_weight_not_measured_on_the_date_of_service_holds():
    finding = held(run({"documentation.weight_measured_on": "2026-03-03"}), "R30")

    assert "2026-03-03" in finding.message


def test_r31_missing_cbc_holds_naming_it():
    finding = held(run({"documentation.cbc_collected_on": None}), "R31")

    assert "CBC" in finding.message
    assert "CMP" not in finding.message


def test_r31_lab_after_the_date_of_service_holds():
    assert "CMP" in held(run({"documentation.cmp_collected_on": "2026-03-05"}), "R31").message


def test_r31_lab_collected_exactly_the_window_before_passes():
    decision = run({"documentation.cbc_collected_on": "2026-02-25"})

    assert decision.status == "billable"
    assert "R31" not in rules_of(decision)


def test_r31_lab_a_day_older_than_the_window_holds():
    assert "CBC" in held(run({"documentation.cbc_collected_on": "2026-02-24"}), "R31").message


@pytest.mark.parametrize(("collected", "holds"), [("2026-03-01", False), ("2026-02-28", True)])
def test_r31_lab_window_days_overrides_the_default(collected, holds):
    decision = run({"lab_window_days": 3, "documentation.cmp_collected_on": collected})

    assert ("R31" in rules_of(decision)) is holds


def test_r31_zero_day_window_accepts_labs_from_the_date_of_service():
    decision = run(
        {
            "lab_window_days": 0,
            "documentation.cbc_collected_on": "2026-03-04",
            "documentation.cmp_collected_on": "2026-03-04",
        }
    )

    assert decision.status == "billable"


@pytest.mark.parametrize(
    ("path", "value", "named"),
    [
        ("drug.lot", None, "lot"),
        ("drug.lot", "  ", "lot"),
        ("drug.lot", DELETE, "lot"),
        ("drug.expires_on", None, "expiry"),
    ],
)
def test_r32_missing_lot_or_expiry_holds_naming_it(path, value, named):
    assert named in held(run({path: value}), "R32").message


def test_r33_drug_expired_before_the_date_of_service_holds():
    finding = held(run({"drug.expires_on": "2026-03-03"}), "R33")

    assert "2026-03-03" in finding.message


def test_r33_drug_expiring_on_the_date_of_service_has_not_expired():
    decision = run({"drug.expires_on": "2026-03-04"})

    assert decision.status == "billable"
    assert "R33" not in rules_of(decision)


@pytest.mark.parametrize(
    "verifiers",
    [["rn.alvarez"], ["rn.alvarez", " RN.Alvarez "], ["rn.alvarez", ""], [], None],
)
def test_r34_fewer_than_two_distinct_verifiers_holds(verifiers):
    finding = held(run({"documentation.verified_by": verifiers}), "R34")

    assert "verif" in finding.message


def test_r34_two_distinct_verifiers_pass():
    decision = run({"documentation.verified_by": ["RN.Alvarez ", "rn.chen", "rn.alvarez"]})

    assert "R34" not in rules_of(decision)


@pytest.mark.parametrize(
    ("field", "named"),
    [
        ("pump_programmed", "programmed"),
        ("pump_primed", "primed"),
        ("pump_function_verified", "function verified"),
    ],
)
def test_r35_pump_step_not_done_holds_naming_it(field, named):
    finding = held(run({f"documentation.{field}": False}), "R35")

    assert named in finding.message


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"documentation.teaching.alarms": False}, ["alarms"]),
        ({"documentation.teaching.site_care": None}, ["site care"]),
        ({"documentation.teaching": None}, ["alarms", "site care"]),
    ],
)
def test_r36_teaching_not_documented_holds_naming_it(changes, named):
    message = held(run(changes), "R36").message

    assert all(topic in message for topic in named)


def test_r37_missing_infusion_start_holds():
    assert "infusion start" in held(run({"documentation.infusion_started_at": None}), "R37").message


def test_r37_start_on_another_local_date_holds():
    held(run({"documentation.infusion_started_at": "2026-03-03T16:00:00-05:00"}), "R37")


def test_r37_reads_the_local_date_even_when_utc_is_the_next_day():
    # 23:30 at UTC-5 is already 4:30 on 5 March in UTC.
    decision = run({"documentation.infusion_started_at": "2026-03-04T23:30:00-05:00"})

    assert "R37" not in rules_of(decision)


def test_r37_reads_the_local_date_even_when_utc_is_the_date_of_service():
    # 00:30 on 5 March at UTC+1 is 23:30 on 4 March in UTC, but the local date is the 5th.
    held(run({"documentation.infusion_started_at": "2026-03-05T00:30:00+01:00"}), "R37")


@pytest.mark.parametrize("answer", [None, False, "", "   "])
def test_r38_adverse_reaction_not_answered_holds(answer):
    assert (
        "adverse reaction" in held(run({"documentation.adverse_reaction": answer}), "R38").message
    )


def test_r38_none_is_an_answer():
    assert "R38" not in rules_of(run({"documentation.adverse_reaction": "none"}))


def test_r39_unsigned_documentation_holds():
    assert "signature" in held(run({"documentation.signed_by": None}), "R39").message


def test_r40_medicare_office_without_supervising_practitioner_holds():
    finding = held(run({"documentation.supervising_practitioner": None}), "R40")

    assert "supervising practitioner" in finding.message


@pytest.mark.parametrize(
    "changes",
    [{"payer.program": "commercial"}, {"place_of_service": "20"}],
)
def test_r40_applies_to_medicare_office_only(changes):
    decision = run({"documentation.supervising_practitioner": None, **changes})

    assert "R40" not in rules_of(decision)


def test_several_documentation_gaps_each_cite_their_rule():
    decision = run({"documentation.signed_by": None, "documentation.weight_kg": None})

    assert decision.status == "hold"
    assert rules_of(decision) == ["R01", "R30", "R39", "R50"]


# R50-R52: diagnoses --------------------------------------------------------------------


def test_r50_order_is_z5111_malignancies_others_then_em_codes():
    decision = with_services(
        em(diagnoses=["r11.0", "E11.9"]), diagnoses=["E11.9", "C18.9", "c787", "I10"]
    )

    assert decision.diagnoses == ("Z51.11", "C18.9", "C78.7", "E11.9", "I10", "R11.0")
    assert decision.lines[0].diagnosis_pointers == (1, 2)
    assert decision.lines[1].diagnosis_pointers == (6, 4, 2)
    finding = only(decision, "R50")
    assert (finding.severity, finding.code) == ("info", "96521")


def test_r50_normalises_and_drops_duplicates_including_a_given_z5111():
    decision = run({"diagnoses": ["z51.11", "c18.9", " C189 ", "C18.9"]})

    assert decision.diagnoses == ("Z51.11", "C18.9")
    assert decision.lines[0].diagnosis_pointers == (1, 2)


def test_r50_em_pointing_at_a_malignancy_does_not_repeat_it():
    decision = with_services(em(diagnoses=["C18.9"]))

    assert decision.lines[1].diagnosis_pointers == (2,)


def test_r50_em_without_own_codes_points_at_the_first_malignancy():
    decision = with_services(em(), diagnoses=["E11.9", "C78.7", "C18.9"])

    assert decision.diagnoses == ("Z51.11", "C78.7", "C18.9", "E11.9")
    assert decision.lines[1].diagnosis_pointers == (2,)


def test_r50_em_points_at_four_codes_at_most():
    decision = with_services(em(diagnoses=["R11.0", "R53.83", "E86.0", "R63.0", "K52.9"]))

    assert decision.lines[1].diagnosis_pointers == (3, 4, 5, 6)


def test_r50_codes_of_denied_em_are_left_off():
    decision = with_services(
        em(diagnoses=["R11.0"]), em(code="99214", identifiable=False, diagnoses=["K52.9"])
    )

    assert decision.diagnoses == ("Z51.11", "C18.9", "R11.0")


MANY = ["C18.9", "C78.7", "E11.9", "I10", "K52.9", "R53.83", "E86.0", "R63.0", "D64.9", "N17.9"]


def test_r50_twelve_codes_fit_without_a_hold():
    decision = with_services(em(diagnoses=["R11.0"]), diagnoses=MANY)

    assert len(decision.diagnoses) == 12
    assert decision.status == "billable"
    assert decision.lines[1].diagnosis_pointers == (12, 2)


def test_r50_more_than_twelve_codes_keeps_twelve_and_holds_naming_the_rest():
    decision = with_services(em(diagnoses=["R11.0", "E87.6", "G89.3"]), diagnoses=MANY)

    assert decision.diagnoses == ("Z51.11", *MANY, "R11.0")
    assert decision.status == "hold"
    overflow = [f for f in decision.findings if f.rule == "R50" and f.severity == "hold"]
    assert len(overflow) == 1
    assert overflow[0].code is None
    assert "E87.6, G89.3" in overflow[0].message
    assert decision.lines[1].diagnosis_pointers == (12, 2)


def test_r51_no_malignancy_holds_and_the_refill_points_at_z5111_only():
    decision = run({"diagnoses": ["E11.9"]})

    assert decision.status == "hold"
    assert decision.diagnoses == ("Z51.11", "E11.9")
    assert decision.lines[0].diagnosis_pointers == (1,)
    assert (only(decision, "R51").severity, only(decision, "R51").code) == ("hold", "96521")


@pytest.mark.parametrize("code", ["C4A.9", "C7A.00", "C7B.00", "C96.9", "D09.0", "D05.90", "C61"])
def test_r51_counts_every_malignancy_range(code):
    decision = run({"diagnoses": [code]})

    assert decision.status == "billable"
    assert decision.diagnoses == ("Z51.11", code)


@pytest.mark.parametrize("code", ["D10.0", "D49.9"])
def test_r51_benign_and_uncertain_neoplasms_are_not_malignancies(code):
    assert "R51" in rules_of(run({"diagnoses": [code]}))


def test_r51_invalid_malignancy_looking_code_does_not_count():
    decision = run({"diagnoses": ["C18"]})

    assert {"R51", "R52"} <= set(rules_of(decision))
    assert decision.lines[0].diagnosis_pointers == (1,)


def test_r52_invalid_code_holds_naming_it():
    decision = run({"diagnoses": ["C18.9", "XYZ.1"]})

    assert decision.status == "hold"
    finding = only(decision, "R52")
    assert (finding.severity, finding.code) == ("hold", None)
    assert "XYZ.1" in finding.message


def test_r52_checks_codes_of_billed_em_lines_too():
    decision = with_services(em(diagnoses=["R11"]))

    assert "R11" in only(decision, "R52").message


# The decision as a whole ------------------------------------------------------------------


def test_warn_alone_keeps_the_claim_billable():
    decision = with_services({"code": "J9190"})

    assert decision.status == "billable"


def test_findings_come_in_rule_order():
    decision = with_services(
        {"code": "J9190"}, em(), {"code": "96523"}, **{"documentation.signed_by": None}
    )

    assert rules_of(decision) == sorted(rules_of(decision))


def test_to_dict_is_the_refill_decision_contract():
    decision = with_services(em(diagnoses=["R11.0"]))

    assert decision.to_dict() == {
        "schema": "refill-decision/1",
        "status": "billable",
        "diagnoses": ["Z51.11", "C18.9", "R11.0"],
        "lines": [
            REFILL_LINE,
            {
                "code": "99213",
                "modifiers": ["25"],
                "units": 1,
                "place_of_service": "11",
                "diagnosis_pointers": [3, 2],
                "charge": "120.00",
            },
        ],
        "findings": [f.to_dict() for f in decision.findings],
    }
    assert [f["rule"] for f in decision.to_dict()["findings"]] == ["R01", "R20", "R25", "R50"]


def test_decision_refuses_a_status_that_contradicts_its_findings():
    line = Line("96521", (), 1, "11", (1,), None)
    hold = Finding("R39", "hold", "96521", "Missing signature.")

    with pytest.raises(ValueError, match="status"):
        Decision("billable", ("Z51.11",), (line,), (hold,))


def test_decision_refuses_a_pointer_past_its_diagnoses():
    line = Line("96521", (), 1, "11", (1, 2), None)

    with pytest.raises(ValueError, match="pointer"):
        Decision("billable", ("Z51.11",), (line,), ())


@pytest.mark.parametrize("pointers", [(), (1, 2, 3, 4, 5), (0,), (1, 1)])
def test_line_refuses_bad_pointers(pointers):
    with pytest.raises(ValueError):
        Line("99213", ("25",), 1, "11", pointers, None)


def test_finding_refuses_an_unknown_severity():
    with pytest.raises(ValueError, match="severity"):
        Finding("R01", "error", "96521", "x")


def test_engine_version_is_a_calendar_version():
    year, month, patch = ENGINE_VERSION.split(".")

    assert (len(year), int(month) in range(1, 13), patch.isdigit()) == (4, True, True)


# Further readings: diagnosis codes ---------------------------------------------------------


@pytest.mark.parametrize("given", ["c1.89", "C189", " c18.9 ", "C.1.8.9"])
def test_diagnosis_codes_are_normalised_before_anything_reads_them(given):
    decision = run({"diagnoses": [given]})

    assert decision.status == "billable"
    assert decision.diagnoses == ("Z51.11", "C18.9")
    assert decision.lines[0].diagnosis_pointers == (1, 2)


def test_e_m_diagnosis_codes_are_normalised_too():
    decision = with_services(em(diagnoses=["r110", "r.11.0"]))

    assert decision.diagnoses == ("Z51.11", "C18.9", "R11.0")
    assert decision.lines[1].diagnosis_pointers == (3, 2)


def test_an_inner_space_stays_and_the_code_fails_r52():
    decision = run({"diagnoses": ["C18.9", "c1 8.9"]})

    assert decision.diagnoses == ("Z51.11", "C18.9", "C1 .89")
    assert only(decision, "R52").message == (
        "Diagnosis C1 .89 is not a valid, billable ICD-10-CM code (unknown, or a category "
        "that needs more characters). Correct or remove it before release."
    )


@pytest.mark.parametrize("given", ["", " ", ".", " . ", "..", "\t.\n"])
def test_a_code_empty_after_normalisation_is_a_schema_error(given):
    assert schema_error(build({"diagnoses": ["C18.9", given]})).field == "diagnoses[1]"
    error = schema_error(build({"same_day_services": [em(diagnoses=[given])]}))
    assert error.field == "same_day_services[0].diagnoses[0]"


def test_procedure_codes_keep_their_dots():
    decision = with_services({"code": "965.21"})

    assert lines_of(decision) == REFILL_ONLY
    assert [(f.rule, f.severity, f.code) for f in decision.findings if f.code != "96521"] == [
        ("R14", "warn", "965.21")
    ]


# Further readings: only billable malignancies count, from the patient's own codes ----------


def test_a_non_billable_code_in_the_malignancy_ranges_sits_among_the_other_codes():
    decision = run({"diagnoses": ["C18", "E11.9", "C78.7"]})

    assert decision.diagnoses == ("Z51.11", "C78.7", "C18", "E11.9")
    assert decision.lines[0].diagnosis_pointers == (1, 2)
    assert "R51" not in rules_of(decision)
    assert "C18 " in only(decision, "R52").message


def test_a_non_billable_malignancy_alone_does_not_satisfy_r51():
    decision = run({"diagnoses": ["C18"]})

    assert decision.status == "hold"
    assert decision.lines[0].diagnosis_pointers == (1,)
    assert [f.rule for f in decision.findings if f.severity == "hold"] == ["R51", "R52"]


def test_r51_reads_the_patients_diagnoses_only_not_an_e_ms():
    decision = with_services(em(diagnoses=["C18.9"]), diagnoses=["E11.9"])

    assert decision.status == "hold"
    assert decision.diagnoses == ("Z51.11", "E11.9", "C18.9")
    assert decision.lines[0].diagnosis_pointers == (1,)
    assert decision.lines[1].diagnosis_pointers == (3,)
    assert only(decision, "R51", "hold", "96521").message == (
        "No valid, billable malignancy code (C00-C96, D00-D09) among the patient's diagnoses: "
        "Z51.11 must be followed by the cancer being treated, or 96521 lacks medical "
        "necessity. Add the patient's malignancy diagnosis before release."
    )


# Further readings: where an E/M with no codes of its own points -----------------------------


@pytest.mark.parametrize(
    ("patient", "diagnoses", "pointers"),
    [
        (["E11.9", "I10"], ("Z51.11", "E11.9", "I10"), (2,)),
        (["Z51.11", "E11.9"], ("Z51.11", "E11.9"), (2,)),
        (["C18", "E11.9"], ("Z51.11", "C18", "E11.9"), (2,)),
        (["Z51.11"], ("Z51.11",), (1,)),
        ([], ("Z51.11",), (1,)),
    ],
)
def test_an_e_m_with_no_codes_and_no_malignancy_points_at_the_first_other_code(
    patient, diagnoses, pointers
):
    decision = with_services(em(), diagnoses=patient)

    assert decision.diagnoses == diagnoses
    assert decision.lines[1].diagnosis_pointers == pointers


def test_an_e_m_whose_codes_were_all_cut_points_at_the_first_other_code():
    others = ["E11.9", "I10", "K52.9", "R53.83", "E86.0", "R63.0", "D64.9", "N17.9", "K21.9"]
    others += ["J18.9", "L03.90"]
    decision = with_services(em(diagnoses=["R11.0"]), diagnoses=others)

    assert decision.diagnoses == ("Z51.11", *others)
    assert decision.lines[1].diagnosis_pointers == (2,)
    assert [(f.rule, f.severity) for f in decision.findings if f.severity == "hold"] == [
        ("R50", "hold"),
        ("R51", "hold"),
    ]


def test_an_e_m_whose_codes_were_all_cut_points_at_the_first_malignancy():
    decision = with_services(em(diagnoses=["R11.0"]), diagnoses=[*MANY, "K21.9"])

    assert decision.diagnoses == ("Z51.11", *MANY, "K21.9")
    assert decision.lines[1].diagnosis_pointers == (2,)
    overflow = next(f for f in decision.findings if f.severity == "hold")
    assert (overflow.rule, overflow.code) == ("R50", None)
    assert "left off: R11.0." in overflow.message


# Further readings: R31 per lab, 99211, R25 --------------------------------------------------


def test_r31_gives_one_finding_per_failing_lab():
    decision = run(
        {"documentation.cbc_collected_on": None, "documentation.cmp_collected_on": "2026-02-20"}
    )

    assert decision.status == "hold"
    assert [(f.rule, f.severity, f.code, f.message) for f in decision.findings[1:3]] == [
        (
            "R31",
            "hold",
            "96521",
            "96521 on hold, missing: CBC. Record the CBC that cleared this refill.",
        ),
        (
            "R31",
            "hold",
            "96521",
            "96521 on hold, missing: CMP within 7 days of the date of service (collected "
            "2026-02-20, 12 days before). Record the CMP that cleared this refill.",
        ),
    ]


@pytest.mark.parametrize(
    "payer",
    [
        {"payer.program": "medicare", "payer.allows_99211_with_drug_admin": True},
        {"payer.program": "commercial", "payer.allows_99211_with_drug_admin": False},
    ],
)
def test_99211_where_the_payer_does_not_allow_it_is_denied_by_r22_alone(payer):
    decision = with_services(em(code="99211", role="registered_nurse", identifiable=False), **payer)

    about_99211 = [(f.rule, f.severity) for f in decision.findings if f.code == "99211"]
    assert about_99211 == [("R22", "deny")]


def test_99211_allowed_but_not_separately_identifiable_is_denied_by_r21_alone():
    decision = with_services(
        em(code="99211", identifiable=False),
        **{"payer.program": "commercial", "payer.allows_99211_with_drug_admin": True},
    )

    about_99211 = [(f.rule, f.severity) for f in decision.findings if f.code == "99211"]
    assert about_99211 == [("R21", "deny")]


def test_99211_allowed_and_billed_carries_r22_info_beside_r20():
    decision = with_services(
        em(code="99211", role="registered_nurse"),
        **{"payer.code": "AETNA", "payer.program": "commercial"},
        **{"payer.allows_99211_with_drug_admin": True},
    )

    about_99211 = [(f.rule, f.severity, f.message) for f in decision.findings if f.code == "99211"]
    assert about_99211 == [
        (
            "R20",
            "info",
            "99211 is billed with modifier 25: a separately identifiable visit by a registered "
            "nurse the same day as 96521.",
        ),
        (
            "R22",
            "info",
            "99211 is billed: AETNA allows 99211 with drug administration when it is "
            "separately identifiable.",
        ),
    ]


def test_r25_is_reported_once_when_an_e_m_carries_modifier_25_and_never_without():
    assert [f.rule for f in with_services(em()).findings].count("R25") == 1
    assert "R25" not in rules_of(run())
    assert "R25" not in rules_of(with_services(em(identifiable=False)))


# R26: two E/M visits the same day -------------------------------------------------------


def r26(decision: Decision) -> list[tuple[str, str]]:
    return [(f.severity, f.code) for f in decision.findings if f.rule == "R26"]


def test_r26_bills_the_highest_level_and_denies_the_other():
    decision = with_services(
        em(code="99213", diagnoses=["K52.9"]),
        em(code="99214", role="nurse_practitioner", diagnoses=["R11.0"]),
    )

    assert decision.status == "billable"
    assert lines_of(decision) == [("96521", (), 1), ("99214", ("25",), 1)]
    assert decision.lines[1].charge == Decimal("175.00")
    assert decision.diagnoses == ("Z51.11", "C18.9", "R11.0")
    assert r26(decision) == [("deny", "99213")]
    assert only(decision, "R26").message == (
        "99213 is not billed: 99214 (level 4) is billed for the same day, and one practice "
        "bills one E/M a day. Make sure the 99214 note documents both visits and supports "
        "that level."
    )
    assert [f.code for f in decision.findings if f.rule in {"R20", "R25"}] == ["99214", "96521"]


def test_r26_a_tie_bills_the_first_listed():
    decision = with_services(
        em(code="99213", diagnoses=["K52.9"]), em(code="99213", diagnoses=["R11.0"])
    )

    assert lines_of(decision) == [("96521", (), 1), ("99213", ("25",), 1)]
    assert decision.diagnoses == ("Z51.11", "C18.9", "K52.9")
    assert r26(decision) == [("deny", "99213")]


def test_r26_the_level_is_the_last_digit_whatever_the_patient_type():
    decision = with_services(em(code="99205"), em(code="99215"), em(code="99204"))

    assert lines_of(decision) == [("96521", (), 1), ("99205", ("25",), 1)]
    assert r26(decision) == [("deny", "99215"), ("deny", "99204")]


def test_r26_99211_is_level_one():
    decision = with_services(
        em(code="99211", role="registered_nurse"),
        em(code="99212"),
        **{"payer.program": "commercial", "payer.allows_99211_with_drug_admin": True},
    )

    assert lines_of(decision) == [("96521", (), 1), ("99212", ("25",), 1)]
    assert r26(decision) == [("deny", "99211")]
    assert [f.rule for f in decision.findings if f.code == "99211"] == ["R26"]


def test_r26_only_counts_e_ms_that_survive_r20_to_r23():
    decision = with_services(em(code="99215", identifiable=False), em(code="99213"))

    assert lines_of(decision) == [("96521", (), 1), ("99213", ("25",), 1)]
    assert r26(decision) == []
    assert only(decision, "R21").code == "99215"


def test_r26_r24_concerns_the_billed_e_m_only():
    decision = with_services(
        em(code="99213"), em(code="99214"), **{"payer.modifier25_requires_note": True}
    )

    assert only(decision, "R24").code == "99214"
    assert only(decision, "R20").code == "99214"


# Strict input -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["drug.name", "payer.code"])
@pytest.mark.parametrize(
    ("value", "message"),
    [
        (DELETE, "is required"),
        (None, "must not be null"),
        ("", "must not be blank"),
        ("  \t", "must not be blank"),
        (5, "must be a string, got a number"),
    ],
)
def test_drug_name_and_payer_code_are_required_non_blank_strings(path, value, message):
    assert str(schema_error(build({path: value}))) == f"{path}: {message}"


@pytest.mark.parametrize("place", ["11\n", "\u0661\u0661", "1", "111", " 11", "1a", "", 11])
def test_place_of_service_is_exactly_two_ascii_digits(place):
    assert schema_error(build({"place_of_service": place})).field == "place_of_service"


@pytest.mark.parametrize(
    "moment",
    [
        "2026-03-04 10:15:00-05:00",
        "2026-03-04t10:15:00-05:00",
        "2026-03-04T24:00:00Z",
        "2026-03-04T10:60Z",
        "2026-03-04T10:15:60Z",
        "2026-03-04T10:15:00+24:00",
        "2026-03-04T10:15:00+05:60",
        "2026-03-04T10:15:00-0500",
        "2026-03-04T10:15:00z",
        "2026-03-04T10Z",
        "2026-03-04T10:15:00.Z",
        "2026-02-30T10:15Z",
        "2026-03-04T\u0661\u0660:15Z",
        "2026-03-04T10:15:00-05:00\n",
        "2026-03-04",
    ],
)
def test_a_datetime_outside_the_grammar_is_a_schema_error(moment):
    error = schema_error(build({"documentation.infusion_started_at": moment}))

    assert error.field == "documentation.infusion_started_at"


@pytest.mark.parametrize(
    ("moment", "read"),
    [
        ("2026-03-04T10:15Z", datetime(2026, 3, 4, 10, 15, tzinfo=UTC)),
        (
            "2026-03-04T10:15:30.5-05:00",
            datetime(2026, 3, 4, 10, 15, 30, 500000, tzinfo=timezone(timedelta(hours=-5))),
        ),
        (
            "2026-03-04T23:59:59.123456789+14:00",
            datetime(2026, 3, 4, 23, 59, 59, 123456, tzinfo=timezone(timedelta(hours=14))),
        ),
        (
            "2026-03-04T00:00:00-23:59",
            datetime(2026, 3, 4, tzinfo=timezone(-timedelta(hours=23, minutes=59))),
        ),
    ],
)
def test_datetimes_in_the_grammar_are_read_exactly(moment, read):
    facts = parse_facts(build({"documentation.infusion_started_at": moment}))

    started = facts.documentation.infusion_started_at
    assert (started, started.utcoffset()) == (read, read.utcoffset())


@pytest.mark.parametrize("date_field", ["date_of_service", "drug.expires_on"])
@pytest.mark.parametrize("value", ["\u0662\u0660\u0662\u0666-03-04", "2026-03-04\n", "0000-01-01"])
def test_dates_are_ascii_digits_and_real_days(date_field, value):
    assert schema_error(build({date_field: value})).field == date_field


@pytest.mark.parametrize(
    ("amount", "read"),
    [
        ("0", "0.00"),
        ("175", "175.00"),
        ("175.", "175.00"),
        ("175.5", "175.50"),
        ("999999999.99", "999999999.99"),
    ],
)
def test_charges_in_the_grammar_are_read_as_cents(amount, read):
    decision = run({"charges": {"96521": amount}})

    assert decision.to_dict()["lines"][0]["charge"] == read


@pytest.mark.parametrize(
    "amount",
    [
        "1234567890",
        "1" * 27,
        ".5",
        "175.505",
        "+175",
        "\u0661\u0667\u0665",
        "175.00\n",
        " 175",
        "1_000",
        None,
        175,
        ["175"],
    ],
)
def test_a_charge_outside_the_grammar_is_a_schema_error(amount):
    assert schema_error(build({"charges": {"96521": amount}})).field == "charges.96521"


@pytest.mark.parametrize("key", ["", "  "])
def test_a_charge_key_blank_after_trimming_is_a_schema_error(key):
    error = schema_error(build({"charges": {key: "1.00"}}))

    assert error.message == "a charge needs a procedure code"


def test_two_charge_keys_for_one_code_are_a_schema_error():
    error = schema_error(build({"charges": {"96521": "175.00", " 96521 ": "170.00"}}))

    assert str(error) == "charges. 96521 : names the same code as another key (96521)"


@pytest.mark.parametrize("weight", [0.001, 1, 71.4, 1000, 1000.0])
def test_weight_within_bounds_is_documented(weight):
    decision = run({"documentation.weight_kg": weight})

    assert "R30" not in rules_of(decision)
    assert parse_facts(build({"documentation.weight_kg": weight})).documentation.weight_kg == weight


@pytest.mark.parametrize(
    "weight",
    [0, -1, 0.0, -0.0, 1000.01, 1001, 10**309, -(10**309), float("nan"), float("inf"), "71", True],
)
def test_weight_out_of_bounds_or_not_a_number_is_a_schema_error(weight):
    error = schema_error(build({"documentation.weight_kg": weight}))

    assert error.field == "documentation.weight_kg"
    assert len(str(error)) < 200


@pytest.mark.parametrize("weight", [None, False, DELETE])
def test_weight_null_false_or_absent_is_not_documented(weight):
    assert "weight" in held(run({"documentation.weight_kg": weight}), "R30").message


# Every refusal says what is not billed, why, and what to do --------------------------------


@pytest.mark.parametrize(
    ("changes", "rule", "message"),
    [
        (
            {"place_of_service": "22"},
            "R06",
            "No refill is billed on this professional claim: place of service 22 is a facility, "
            "where the practitioner does not report 96521; the facility bills it on its own "
            "claim. Check the place of service; if it is right, nothing is billed here.",
        ),
        (
            {"same_day_services": [{"code": "96523"}]},
            "R10",
            "96523 (port irrigation) is not billed: it is reported only when it is the sole "
            "service that day, and 96521 was performed. Leave it off this claim.",
        ),
        (
            {"same_day_services": [{"code": "36591"}]},
            "R11",
            "36591 (blood draw from a port or catheter) is not billed: status T codes are not "
            "reported with other services the same day. Leave it off this claim.",
        ),
        (
            {"same_day_services": [em(identifiable=False)]},
            "R21",
            "99213 is not billed: it is not separately identifiable from the refill (for example "
            "the nurse's pre-refill assessment), which 96521 already pays for. If the visit "
            "addressed a separate problem, record it as separately identifiable and decide again.",
        ),
        (
            {"same_day_services": [em(code="99211")]},
            "R22",
            "99211 is not billed: Medicare does not pay 99211 with drug administration such as "
            "96521 the same day, even with modifier 25. Leave it off this claim.",
        ),
        (
            {
                "same_day_services": [em(code="99211")],
                "payer.code": "ACME",
                "payer.program": "commercial",
            },
            "R22",
            "99211 is not billed: ACME does not allow 99211 with drug administration such as "
            "96521 the same day. Leave it off this claim, or change the payer's policy if its "
            "contract allows it.",
        ),
        (
            {"same_day_services": [em(role="registered_nurse")]},
            "R23",
            "99213 is not billed: it was performed by a registered nurse, who is not a billing "
            "practitioner for this level of visit. If a physician, NP or PA performed it, "
            "correct who performed it and decide again.",
        ),
    ],
)
def test_refusals_say_what_why_and_what_to_do(changes, rule, message):
    finding = only(run(changes), rule)

    assert (finding.severity, finding.message) == ("deny", message)
