"""`refill-facts/2` in, `refill-decision/2` out: who rendered each line (R41-R44), the drug
(R60-R64), R27, and the version 2 schema. No database."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

import pytest

from billing.engine import Decision, Practitioner, decide, parse_facts
from tests.billing.facts_example import (
    BASE,
    BASE_V2,
    DELETE,
    NP_VISIT,
    REFILL_LINE,
    changed,
    only,
    rules_of,
    schema_error,
)


def build(changes: dict[str, Any] | None = None, base: dict[str, Any] = BASE_V2) -> dict[str, Any]:
    """Valid `/2` facts with `changes` (see facts_example.changed)."""
    return changed(base, changes)


def run(changes: dict[str, Any] | None = None, **more: Any) -> Decision:
    return decide(parse_facts(build({**(changes or {}), **more})))


def em(
    code: str = "99213",
    by: str | None = "dr.okafor",
    role: str = "physician",
    identifiable: bool = True,
    **extra: Any,
) -> dict[str, Any]:
    service = {
        "code": code,
        "performed_by_role": role,
        "separately_identifiable": identifiable,
        **extra,
    }
    if by is not None:
        service["performed_by"] = by
    return service


def with_services(*services: dict[str, Any], **changes: Any) -> Decision:
    return run({"same_day_services": list(services), **changes})


def lines_of(decision: Decision) -> list[tuple[str, tuple[str, ...], int, str | None]]:
    return [(line.code, line.modifiers, line.units, line.rendering) for line in decision.lines]


def charges_of(decision: Decision) -> list[str | None]:
    return [line["charge"] for line in decision.to_dict()["lines"]]


REFILL = ("96521", (), 1, "dr.okafor")
DRUG_JZ = ("J9190", ("JZ",), 5, "dr.okafor")
UNSUPERVISED = {"documentation.supervising_practitioner": None}
COMMERCIAL = {"payer.code": "ACME", "payer.program": "commercial"}


# Schema -----------------------------------------------------------------------------------


def test_parse_reads_the_version_2_keys():
    facts = parse_facts(
        build({"same_day_services": [em(by="np.patel", role="nurse_practitioner")]})
    )

    assert facts.version == 2
    assert facts.patient_established is True
    assert facts.practitioners[:2] == (
        Practitioner("dr.okafor", "1234567893", "physician"),
        Practitioner("np.patel", "1245319599", "nurse_practitioner"),
    )
    assert facts.practitioners[3] == Practitioner("rn.alvarez", None, "registered_nurse")
    drug = facts.drug
    assert (drug.supplied_by_practice, drug.hcpcs, drug.container) == (True, "J9190", "single_dose")
    assert (drug.hcpcs_unit_mg, drug.dose_mg, drug.discarded_mg) == (500, 2400, 0)
    assert all(
        isinstance(amount, Decimal)
        for amount in (drug.hcpcs_unit_mg, drug.dose_mg, drug.discarded_mg, drug.ndc_quantity)
    )
    assert (drug.ndc, drug.ndc_quantity, drug.ndc_unit) == ("63323011710", 48, "ML")
    assert facts.same_day_services[0].performed_by == "np.patel"
    assert facts.practitioner("  NP.Patel ") == facts.practitioners[1]
    assert facts.practitioner("np.smith") is None


def test_version_2_facts_round_trip_through_to_dict():
    facts = parse_facts(
        build(
            {
                "same_day_services": [em(diagnoses=["R11.0"]), {"code": "96523"}],
                "drug.dose_mg": 2400.5,
                "drug.ndc_quantity": 48.02,
                "patient": {},
            }
        )
    )

    again = parse_facts(json.loads(json.dumps(facts.to_dict())))

    assert again == facts
    assert again.drug.dose_mg == Decimal("2400.5")
    assert again.patient_established is None


@pytest.mark.parametrize("amounts", [(2500, 2500.0), (1e16, 10**16), (1e300, 10**300)])
def test_a_whole_amount_written_as_a_float_is_the_integer_it_names(amounts):
    """One JSON number, one decision, findings' words included: 2500.0 mg reads "2500 mg",
    as it does once the facts are written back to JSON."""
    as_float, as_integer = sorted(amounts, key=lambda a: type(a) is int)

    facts = parse_facts(build({"drug.dose_mg": as_float, "drug.ndc_quantity": as_float}))
    decision = decide(facts)

    assert decision == run({"drug.dose_mg": as_integer, "drug.ndc_quantity": as_integer})
    assert decide(parse_facts(json.loads(json.dumps(facts.to_dict())))) == decision
    assert f"{as_integer} mg" in next(f.message for f in decision.findings if f.rule == "R60")


def test_a_version_1_input_ignores_the_version_2_keys():
    data = build({"schema": "refill-facts/1", "practitioners": {"x": {"npi": 1}}, "patient": 7})
    data["drug"]["ndc"] = "not an NDC"

    facts = parse_facts(data)

    assert (facts.version, facts.practitioners, facts.patient_established) == (1, (), None)
    assert facts.drug.supplied_by_practice is None


@pytest.mark.parametrize("npi", [1234567893, 1234567893.0, "123456789", "12345678931", True, {}])
def test_an_npi_that_is_not_ten_digits_as_a_string_is_a_schema_error(npi):
    error = schema_error(build({"practitioners.dr.okafor": {"npi": npi, "role": "physician"}}))

    assert error.field == "practitioners.dr.okafor.npi"


@pytest.mark.parametrize(
    "npi", ["\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669\u0660", "1234567893\n", ""]
)
def test_an_npi_of_other_digits_or_with_a_newline_is_a_schema_error(npi):
    error = schema_error(build({"practitioners.dr.okafor": {"npi": npi, "role": "physician"}}))

    assert error.field == "practitioners.dr.okafor.npi"


@pytest.mark.parametrize("entry", [{"role": "physician"}, {"npi": None, "role": "physician"}])
def test_an_npi_absent_or_null_is_no_npi(entry):
    facts = parse_facts(build({"practitioners.dr.okafor": entry}))

    assert facts.practitioner("dr.okafor") == Practitioner("dr.okafor", None, "physician")


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ({"npi": "1234567893"}, "practitioners.dr.okafor.role"),
        ({"npi": "1234567893", "role": "nurse"}, "practitioners.dr.okafor.role"),
        ({"npi": "1234567893", "role": None}, "practitioners.dr.okafor.role"),
        ("dr.okafor", "practitioners.dr.okafor"),
    ],
)
def test_a_practitioner_needs_a_known_role(entry, field):
    assert schema_error(build({"practitioners.dr.okafor": entry})).field == field


@pytest.mark.parametrize("twin", ["DR.OKAFOR", " dr.okafor", "Dr.Okafor\t"])
def test_practitioner_keys_equal_after_trimming_and_case_are_a_schema_error(twin):
    practitioners = {"dr.okafor": {"npi": "1234567893", "role": "physician"}}
    practitioners[twin] = {"npi": "1245319599", "role": "physician"}

    error = schema_error(build({"practitioners": practitioners}))

    assert str(error) == (
        f"practitioners.{twin}: names the same practitioner as 'dr.okafor' (keys compare "
        "after trimming, ignoring case)"
    )


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("practitioners", ["dr.okafor"]),
        ("patient", True),
        ("patient.established", "yes"),
        ("drug.supplied_by_practice", "yes"),
        ("drug.hcpcs", 9190),
        ("drug.container", "vial"),
        ("drug.container", "Single_dose"),
        ("drug.ndc_unit", "mL"),
        ("drug.ndc_unit", "MG"),
        ("drug.ndc", 63323011710),
        ("drug.ndc", "6332301171"),
        ("drug.ndc", "63323-0117-10"),
        ("drug.ndc", ""),
        ("drug.ndc", "6332301171\u0660"),
        ("drug.ndc", "63323011710\n"),
        ("same_day_services", [em(by=7)]),
    ],
)
def test_version_2_keys_of_the_wrong_type_or_value_are_schema_errors(path, value):
    assert schema_error(build({path: value})).field.startswith(path.split(".")[0])


@pytest.mark.parametrize("amount", ["hcpcs_unit_mg", "dose_mg", "ndc_quantity"])
@pytest.mark.parametrize("value", [0, 0.0, -1, -0.5])
def test_an_amount_that_must_be_positive_refuses_zero_and_less(amount, value):
    error = schema_error(build({f"drug.{amount}": value}))

    assert error.field == f"drug.{amount}"
    assert error.message.startswith("must be greater than 0")


@pytest.mark.parametrize("amount", ["hcpcs_unit_mg", "dose_mg", "discarded_mg", "ndc_quantity"])
@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2400", "must be a number, got a string"),
        (True, "must be a number, got true/false"),
        (float("nan"), "must be a finite number, got nan"),
        (float("inf"), "must be a finite number, got inf"),
        (10**309, "must be a finite number, got one too large to hold"),
        (-1, "must "),
    ],
)
def test_an_amount_is_a_finite_number(amount, value, message):
    error = schema_error(build({f"drug.{amount}": value}))

    assert error.field == f"drug.{amount}"
    assert error.message.startswith(message)


def test_discarded_may_be_zero_but_not_negative():
    assert parse_facts(build({"drug.discarded_mg": 0})).drug.discarded_mg == 0
    assert schema_error(build({"drug.discarded_mg": -0.1})).message == (
        "must not be negative, got -0.1"
    )


def test_hcpcs_is_trimmed_and_upper_cased_and_blank_is_none():
    assert parse_facts(build({"drug.hcpcs": " j9190 "})).drug.hcpcs == "J9190"
    assert parse_facts(build({"drug.hcpcs": "  "})).drug.hcpcs is None


# The version 2 decision -----------------------------------------------------------------


def test_version_2_decision_contract():
    decision = with_services(NP_VISIT, **{"drug.discarded_mg": 600})

    assert decision.to_dict() == {
        "schema": "refill-decision/2",
        "status": "billable",
        "diagnoses": ["Z51.11", "C18.9", "R11.0"],
        "lines": [
            {**REFILL_LINE, "rendering": "dr.okafor"},
            {
                "code": "J9190",
                "modifiers": [],
                "units": 5,
                "place_of_service": "11",
                "diagnosis_pointers": [1, 2],
                "charge": "62.00",
                "rendering": "dr.okafor",
                "ndc": "63323011710",
                "ndc_quantity": 48,
                "ndc_unit": "ML",
            },
            {
                "code": "J9190",
                "modifiers": ["JW"],
                "units": 1,
                "place_of_service": "11",
                "diagnosis_pointers": [1, 2],
                "charge": "12.40",
                "rendering": "dr.okafor",
                "ndc": "63323011710",
                "ndc_quantity": 12,
                "ndc_unit": "ML",
            },
            {
                "code": "99214",
                "modifiers": ["25"],
                "units": 1,
                "place_of_service": "11",
                "diagnosis_pointers": [3, 2],
                "charge": "175.00",
                "rendering": "np.patel",
            },
        ],
        "findings": [f.to_dict() for f in decision.findings],
        "supervising": "dr.okafor",
    }
    assert rules_of(decision) == ["R01", "R20", "R25", "R41", "R50", "R60", "R61"]


def test_a_version_1_input_gets_a_version_1_decision():
    decision = decide(parse_facts(build({"schema": "refill-facts/1"})))
    payload = decision.to_dict()

    assert payload["schema"] == "refill-decision/1"
    assert "supervising" not in payload
    assert [sorted(line) for line in payload["lines"]] == [
        ["charge", "code", "diagnosis_pointers", "modifiers", "place_of_service", "units"]
    ]
    assert not {"R27", "R41", "R42", "R43", "R44", "R60", "R61", "R62", "R63", "R64"} & set(
        rules_of(decision)
    )


def test_a_version_1_input_never_gets_r27_or_r44():
    data = build(
        {
            "schema": "refill-facts/1",
            "same_day_services": [em("99204")],
            "payer.program": "commercial",
            **UNSUPERVISED,
        }
    )

    assert rules_of(decide(parse_facts(data))) == ["R01", "R20", "R25", "R50"]


@pytest.mark.parametrize(
    "refusal",
    [
        {"place_of_service": "22"},
        {"pump.service": "initiation"},
        {"pump.service": "flush_only"},
        {"place_of_service": "12"},
    ],
)
def test_a_refused_refill_refuses_the_drug_line_and_renders_nothing(refusal):
    decision = with_services(em(), **refusal, **{"drug.discarded_mg": 600})

    assert decision.status == "not_billable"
    assert (decision.lines, decision.diagnoses, decision.supervising) == ((), (), None)
    assert {f.severity for f in decision.findings} == {"deny"}
    assert decision.to_dict()["supervising"] is None
    assert decision.to_dict()["schema"] == "refill-decision/2"


# R41-R44: who rendered each line ------------------------------------------------------------


def test_r41_the_refill_line_is_billed_under_the_supervising_practitioner():
    decision = run()

    assert lines_of(decision) == [REFILL, DRUG_JZ]
    assert decision.supervising == "dr.okafor"
    assert only(decision, "R41", "info", "96521").message == (
        "96521 is billed incident-to under dr.okafor (a physician, NPI 1234567893), who "
        "supervised: the refill is a nurse's service."
    )


def test_r41_names_the_practitioner_as_written_in_practitioners():
    decision = run({"documentation.supervising_practitioner": "  DR.Okafor "})

    assert decision.supervising == "dr.okafor"
    assert [line.rendering for line in decision.lines] == ["dr.okafor", "dr.okafor"]


@pytest.mark.parametrize(
    ("supervising", "practitioners", "why"),
    [
        ("dr.smith", None, "dr.smith is not among the practitioners the facts name"),
        ("dr.lee", None, "dr.lee has no NPI"),
        (
            "rn.alvarez",
            None,
            "rn.alvarez is a registered nurse, who cannot supervise incident-to "
            "billing and has no NPI",
        ),
        ("dr.okafor", DELETE, "dr.okafor is not among the practitioners the facts name"),
    ],
)
def test_r42_a_supervising_practitioner_who_cannot_be_billed_under_holds(
    supervising, practitioners, why
):
    changes: dict[str, Any] = {"documentation.supervising_practitioner": supervising}
    if practitioners is DELETE:
        changes["practitioners"] = DELETE
    decision = run(changes)

    assert decision.status == "hold"
    assert lines_of(decision) == [("96521", (), 1, None), ("J9190", ("JZ",), 5, None)]
    assert decision.supervising is None
    assert only(decision, "R42", "hold", "96521").message == (
        f"The supervising practitioner {why}, so 96521 and its drug line have no rendering "
        "practitioner. Record a supervising physician, nurse practitioner or physician "
        "assistant with an NPI (or correct the name) before release."
    )
    assert not {"R41", "R44"} & set(rules_of(decision))


def test_r42_a_registered_nurse_with_an_npi_still_cannot_supervise():
    decision = run(
        {
            "practitioners.rn.alvarez": {"npi": "1234567893", "role": "registered_nurse"},
            "documentation.supervising_practitioner": "rn.alvarez",
        }
    )

    assert "is a registered nurse, who cannot supervise incident-to billing, so" in (
        only(decision, "R42").message
    )


@pytest.mark.parametrize(
    "em_role",
    [
        ("np.patel", "nurse_practitioner"),
        ("pa.ruiz", "physician_assistant"),
        ("dr.okafor", "physician"),
    ],
)
def test_r43_a_billed_e_m_is_billed_under_who_performed_it(em_role):
    by, role = em_role
    decision = with_services(em("99214", by=by.upper(), role=role))

    assert lines_of(decision)[-1] == ("99214", ("25",), 1, by)
    assert "R43" not in rules_of(decision)


@pytest.mark.parametrize(
    ("service", "why"),
    [
        (em(by=None), "it does not say who performed it"),
        (em(by="  "), "it does not say who performed it"),
        (em(by="dr.smith"), "it was performed by dr.smith, who is not among the practitioners"),
        (em(by="dr.lee"), "it was performed by dr.lee, who has no NPI"),
        (
            em(by="np.patel"),
            "it was performed by np.patel, who is a nurse practitioner in the practitioners "
            "while the visit says a physician",
        ),
        (
            em(by="rn.alvarez", role="physician"),
            "it was performed by rn.alvarez, who is a registered nurse in the practitioners "
            "while the visit says a physician; it was performed by rn.alvarez, who has no NPI",
        ),
    ],
)
def test_r43_an_e_m_without_a_billable_performer_holds_with_rendering_null(service, why):
    decision = with_services(service)

    assert decision.status == "hold"
    assert lines_of(decision) == [REFILL, DRUG_JZ, ("99213", ("25",), 1, None)]
    assert only(decision, "R43", "hold", "99213").message == (
        f"99213 has no rendering practitioner: {why}. Record who performed the visit, with "
        "their NPI and role, before release."
    )
    # performed_by_role still decides R20-R23: the E/M is billed.
    assert only(decision, "R20").code == "99213"


ALLOWS_99211 = {**COMMERCIAL, "payer.allows_99211_with_drug_admin": True}


def test_r43_a_nurses_99211_is_billed_incident_to_under_the_supervising_practitioner():
    decision = with_services(em("99211", by="rn.alvarez", role="registered_nurse"), **ALLOWS_99211)

    assert decision.status == "billable"
    assert lines_of(decision)[-1] == ("99211", ("25",), 1, "dr.okafor")
    assert "R43" not in rules_of(decision)


def test_r43_a_nurses_99211_without_a_supervising_practitioner_has_no_rendering_and_no_r43():
    decision = with_services(
        em("99211", by="rn.alvarez", role="registered_nurse"), **ALLOWS_99211, **UNSUPERVISED
    )

    assert lines_of(decision) == [
        ("96521", (), 1, None),
        ("J9190", (), 5, None),
        ("99211", ("25",), 1, None),
    ]
    assert "R43" not in rules_of(decision)
    assert only(decision, "R44").severity == "warn"
    assert decision.status == "billable"


def test_r43_a_nurses_99211_still_needs_who_performed_it():
    decision = with_services(em("99211", by=None, role="registered_nurse"), **ALLOWS_99211)

    assert lines_of(decision)[-1] == ("99211", ("25",), 1, None)
    assert only(decision, "R43").code == "99211"


def test_r44_no_supervising_practitioner_warns_where_r40_does_not_apply():
    decision = run({**COMMERCIAL, **UNSUPERVISED})

    assert decision.status == "billable"
    assert decision.supervising is None
    assert [line.rendering for line in decision.lines] == [None, None]
    assert only(decision, "R44", "warn", "96521").message == (
        "No supervising practitioner is recorded: 96521 goes out under the billing provider "
        "alone, and most payers want an individual NPI. Record the practitioner who "
        "supervised the refill."
    )
    assert "R40" not in rules_of(decision)


@pytest.mark.parametrize("supervising", [None, DELETE, "", "   "])
def test_r44_a_blank_supervising_practitioner_is_none(supervising):
    decision = run(
        {"place_of_service": "20", "documentation.supervising_practitioner": supervising}
    )

    assert only(decision, "R44").severity == "warn"
    assert "R42" not in rules_of(decision)


def test_r44_gives_way_to_r40_for_medicare_at_the_office():
    decision = run(UNSUPERVISED)

    assert decision.status == "hold"
    assert only(decision, "R40").severity == "hold"
    assert "R44" not in rules_of(decision)


# R26 and R27 ------------------------------------------------------------------------------


def test_r26_in_version_2_bills_the_higher_level_under_its_performer():
    decision = with_services(
        em("99213", by="dr.okafor"), em("99214", by="np.patel", role="nurse_practitioner")
    )

    assert lines_of(decision) == [REFILL, DRUG_JZ, ("99214", ("25",), 1, "np.patel")]
    assert [(f.severity, f.code) for f in decision.findings if f.rule == "R26"] == [
        ("deny", "99213")
    ]


def test_r27_new_patient_code_for_an_established_patient_holds():
    decision = with_services(em("99204"))

    assert decision.status == "hold"
    assert lines_of(decision)[-1] == ("99204", ("25",), 1, "dr.okafor")
    assert only(decision, "R27", "hold", "99204").message == (
        "99204 is a new-patient visit, but the practice saw this patient in the three years "
        "before the date of service: bill an established-patient code (99212-99215; 99214 "
        "for the same level) before release."
    )


@pytest.mark.parametrize("patient", [{"established": False}, {}, {"established": None}, DELETE])
def test_r27_needs_the_patient_known_to_be_established(patient):
    decision = with_services(em("99204"), patient=patient)

    assert "R27" not in rules_of(decision)
    assert decision.status == "billable"


def test_r27_an_established_patient_code_for_a_new_patient_is_not_checked():
    decision = with_services(em("99214"), patient={"established": False})

    assert "R27" not in rules_of(decision)


def test_r27_concerns_the_billed_e_m_only():
    denied = with_services(em("99204"), em("99215"))
    billed = with_services(em("99214"), em("99205"))

    assert "R27" not in rules_of(denied)
    assert only(billed, "R27").code == "99205"


# R60-R64: the drug ------------------------------------------------------------------------


def test_r60_the_drug_line_follows_the_refill_line():
    decision = run()

    refill, drug = decision.lines
    assert (drug.code, drug.units, drug.modifiers) == ("J9190", 5, ("JZ",))
    assert drug.diagnosis_pointers == refill.diagnosis_pointers == (1, 2)
    assert (drug.rendering, drug.place_of_service) == ("dr.okafor", "11")
    assert (drug.ndc, drug.ndc_quantity, drug.ndc_unit) == ("63323011710", 48, "ML")
    assert drug.charge == Decimal("62.00")
    assert only(decision, "R60", "info", "J9190").message == (
        "J9190 x5: the practice supplied fluorouracil, 2400 mg at 500 mg per billing unit, "
        "rounded up; billed with the refill's diagnoses and rendering, at 12.40 per unit."
    )


@pytest.mark.parametrize(
    ("dose", "per_unit", "units"),
    [
        (2500, 500, 5),
        (2501, 500, 6),
        (2500.001, 500, 6),
        (499.999, 500, 1),
        (1.1, 0.1, 11),
        (0.3, 0.1, 3),
        (0.7, 0.1, 7),
        (100, 0.3, 334),
        (1e300, 1e-8, 10**308),
    ],
)
def test_r60_units_are_the_dose_over_the_billing_unit_rounded_up_exactly(dose, per_unit, units):
    decision = run(
        {
            "drug.dose_mg": dose,
            "drug.hcpcs_unit_mg": per_unit,
            "payer.program": "commercial",
            "charges.J9190": "0.01",
        }
    )

    assert decision.lines[1].units == units
    assert decision.lines[1].charge == Decimal(units) / 100
    assert charges_of(decision)[1] == f"{units // 100}.{units % 100:02d}"


def test_r60_without_a_per_unit_charge_the_drug_line_has_no_charge():
    decision = run({"charges.J9190": DELETE})

    assert charges_of(decision) == ["175.00", None]
    assert only(decision, "R60").message.endswith(
        ", without a charge: set the per-unit charge of J9190 in the charge master."
    )


def test_medicare_single_dose_with_nothing_discarded_carries_jz():
    decision = run()

    assert lines_of(decision) == [REFILL, DRUG_JZ]
    assert only(decision, "R61", "info", "J9190").message == (
        "J9190 carries modifier JZ: the drug came from a single-dose container and nothing "
        "was discarded, as Medicare asks to be stated."
    )


@pytest.mark.parametrize("discarded", [None, DELETE])
def test_r61_discarded_absent_means_nothing_discarded(discarded):
    assert lines_of(run({"drug.discarded_mg": discarded})) == [REFILL, DRUG_JZ]


def test_r61_a_discard_that_fits_in_the_rounding_carries_jz_and_no_jw_line():
    decision = run({"drug.discarded_mg": 100})

    assert lines_of(decision) == [REFILL, DRUG_JZ]
    assert "the 100 mg discarded fits within the units rounded up" in only(decision, "R61").message


def test_r61_discarded_drug_beyond_the_rounding_goes_on_a_jw_line():
    decision = run({"drug.discarded_mg": 600})

    assert lines_of(decision) == [
        REFILL,
        ("J9190", (), 5, "dr.okafor"),
        ("J9190", ("JW",), 1, "dr.okafor"),
    ]
    jw = decision.lines[2]
    assert jw.diagnosis_pointers == (1, 2)
    assert (jw.ndc, jw.ndc_quantity, jw.ndc_unit) == ("63323011710", Decimal("12.000"), "ML")
    assert charges_of(decision) == ["175.00", "62.00", "12.40"]
    assert only(decision, "R61").message == (
        "600 mg of fluorouracil from a single-dose container was discarded: Medicare pays it "
        "on a second J9190 line with modifier JW, 1 unit(s) (6 units in all, 5 given)."
    )


def test_r61_one_mg_over_a_unit_adds_a_jw_unit():
    decision = run({"drug.discarded_mg": 101})

    assert [line.units for line in decision.lines] == [1, 5, 1]
    assert decision.lines[2].modifiers == ("JW",)
    assert decision.to_dict()["lines"][2]["ndc_quantity"] == 2.02


def test_r61_jw_units_are_the_difference_of_the_totals():
    decision = run({"drug.dose_mg": 1000, "drug.discarded_mg": 1600})

    assert [line.units for line in decision.lines] == [1, 2, 4]
    assert charges_of(decision) == ["175.00", "24.80", "49.60"]
    assert decision.to_dict()["lines"][2]["ndc_quantity"] == 76.8


@pytest.mark.parametrize(
    ("quantity", "discarded", "dose", "per_unit", "shown"),
    [
        (1, 1, 80, 10, 0.013),  # 0.0125: half up, not to even
        (2.5, 1, 1000, 1, 0.003),  # 0.0025
        (1, 1, 3, 1, 0.333),  # 0.3333...
        (2, 1, 3, 1, 0.667),  # 0.6666...
        (0.001, 1, 3, 1, 0),  # 0.000333...: rounds to nothing
    ],
)
def test_r61_jw_ndc_quantity_is_rounded_half_up_to_3_decimals(
    quantity, discarded, dose, per_unit, shown
):
    decision = run(
        {
            "drug.ndc_quantity": quantity,
            "drug.discarded_mg": discarded,
            "drug.dose_mg": dose,
            "drug.hcpcs_unit_mg": per_unit,
        }
    )

    assert decision.lines[2].modifiers == ("JW",)
    assert decision.to_dict()["lines"][2]["ndc_quantity"] == shown


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"drug.container": "multi_dose"},
            "J9190 carries neither JW nor JZ: the drug came from a multi-dose container.",
        ),
        (
            COMMERCIAL,
            "J9190 carries neither JW nor JZ: those modifiers are Medicare's, and ACME is not "
            "Medicare.",
        ),
        (
            {**COMMERCIAL, "drug.container": DELETE},
            "J9190 carries neither JW nor JZ: those modifiers are Medicare's, and ACME is not "
            "Medicare.",
        ),
    ],
)
def test_r61_multi_dose_and_other_payers_get_neither_modifier_nor_a_jw_line(changes, message):
    decision = run({"drug.discarded_mg": 600, **changes})

    assert lines_of(decision) == [REFILL, ("J9190", (), 5, "dr.okafor")]
    r61 = only(decision, "R61")
    assert (r61.severity, r61.message) == ("info", message)
    assert decision.status == "billable"


def test_r61_medicare_without_a_container_holds_and_the_drug_line_carries_neither():
    decision = run({"drug.container": None, "drug.discarded_mg": 600})

    assert decision.status == "hold"
    assert lines_of(decision) == [REFILL, ("J9190", (), 5, "dr.okafor")]
    assert only(decision, "R61", "hold", "J9190").message == (
        "Medicare wants JW or JZ on J9190 from a single-dose container, and the container is "
        "not recorded, so neither can be chosen. Record whether the drug came from a single- "
        "or multi-dose container before release."
    )


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        (["ndc"], "NDC"),
        (["ndc_quantity"], "NDC quantity"),
        (["ndc_unit"], "NDC unit"),
        (["ndc", "ndc_quantity", "ndc_unit"], "NDC, NDC quantity, NDC unit"),
    ],
)
def test_r62_a_drug_line_without_its_ndc_holds(missing, named):
    decision = run({"drug.discarded_mg": 600, **{f"drug.{key}": None for key in missing}})

    assert decision.status == "hold"
    assert [line.code for line in decision.lines] == ["96521", "J9190", "J9190"]
    assert only(decision, "R62", "hold", "J9190").message == (
        f"The J9190 line has no {named}: payers want the NDC of the drug given on drug lines. "
        "Record the NDC used, its quantity and unit before release."
    )
    for line in decision.to_dict()["lines"][1:]:
        assert all(line[f"ndc{key[3:]}"] is None for key in missing)


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        (["hcpcs"], "its HCPCS code"),
        (["hcpcs_unit_mg"], "the amount one billing unit describes"),
        (["dose_mg"], "the dose put in the pump"),
        (
            ["hcpcs", "hcpcs_unit_mg", "dose_mg"],
            "its HCPCS code, the amount one billing unit describes, the dose put in the pump",
        ),
    ],
)
def test_r63_a_supplied_drug_that_cannot_be_billed_holds_without_a_drug_line(missing, named):
    decision = run({f"drug.{key}": DELETE for key in missing})

    assert decision.status == "hold"
    assert lines_of(decision) == [REFILL]
    r63 = only(decision, "R63")
    assert r63.severity == "hold"
    assert r63.message == (
        f"The practice supplied fluorouracil, but no drug line can be built without {named}. "
        "Map the drug to its HCPCS code and billing unit in the charge master and record the "
        "dose before release."
    )
    assert not {"R60", "R61", "R62"} & set(rules_of(decision))


def test_r64_a_drug_the_practice_did_not_supply_is_not_billed():
    decision = run({"drug.supplied_by_practice": False})

    assert lines_of(decision) == [REFILL]
    assert only(decision, "R64", "info", "J9190").message == (
        "No drug line: the practice did not supply fluorouracil, so only the refill is billed."
    )
    assert decision.status == "billable"


@pytest.mark.parametrize("supplied", [None, DELETE])
def test_r64_supplied_by_practice_unknown_says_nothing(supplied):
    decision = run({"drug.supplied_by_practice": supplied})

    assert lines_of(decision) == [REFILL]
    assert not {"R60", "R61", "R62", "R63", "R64"} & set(rules_of(decision))


def test_the_drug_line_takes_the_refill_lines_pointers_and_rendering_with_an_e_m_between():
    decision = with_services(
        em("99214", by="np.patel", role="nurse_practitioner", diagnoses=["R11.0"]),
        diagnoses=["E11.9", "C18.9"],
        **{"drug.discarded_mg": 600},
    )

    assert [(line.code, line.modifiers, line.diagnosis_pointers) for line in decision.lines] == [
        ("96521", (), (1, 2)),
        ("J9190", (), (1, 2)),
        ("J9190", ("JW",), (1, 2)),
        ("99214", ("25",), (4, 2)),
    ]
    assert decision.diagnoses == ("Z51.11", "C18.9", "E11.9", "R11.0")


def test_an_implanted_pump_refill_bills_the_drug_too():
    decision = run({"pump.type": "implanted"})

    assert lines_of(decision) == [("96522", (), 1, "dr.okafor"), DRUG_JZ]


def test_version_1_base_facts_as_version_2_have_no_drug_line():
    decision = decide(parse_facts({**copy.deepcopy(BASE), "schema": "refill-facts/2"}))

    assert lines_of(decision) == [("96521", (), 1, None)]
    assert decision.status == "hold"
    assert only(decision, "R42").severity == "hold"


def test_unknown_keys_are_ignored_in_version_2_too():
    data = build({"encounter_id": 42, "drug.brand": "Adrucil", "patient.mrn": "MRN10001"})
    data["practitioners"]["dr.okafor"]["credential"] = "MD"
    data["same_day_services"] = [{**em(), "note": "seen for nausea"}]

    assert parse_facts(data) == parse_facts(build({"same_day_services": [em()]}))
