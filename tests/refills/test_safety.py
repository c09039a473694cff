"""The entry checks and the provider concerns against the order, each at its boundary."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from refills.models import Order, mosteller_bsa
from refills.safety import entry_errors, impossible_values, pending, provider_concerns
from tests.factories import encounter_data, order_data

FIVE = Decimal("5")


def order(**overrides) -> Order:
    return Order(**order_data(**overrides))


def errors(**overrides) -> dict[str, str]:
    return entry_errors(
        encounter_data(dt.date(2026, 3, 4), **overrides), order(), tolerance_percent=FIVE
    )


def test_the_factory_values_pass_every_check():
    assert errors() == {}
    assert provider_concerns(encounter_data(dt.date(2026, 3, 4)), order()) == []


@pytest.mark.parametrize(
    ("height", "weight", "bsa"),
    [("170.0", "71.4", "1.84"), ("180.0", "80.0", "2.00"), ("152.4", "45.0", "1.38")],
)
def test_mosteller(height, weight, bsa):
    assert mosteller_bsa(Decimal(height), Decimal(weight)) == Decimal(bsa)


def test_formulas_show_their_working():
    o = order(bsa_m2=Decimal("1.84"), calculated_dose_mg=Decimal("2392.00"))
    assert o.bsa_formula == "√(170.0 cm \N{MULTIPLICATION SIGN} 71.4 kg / 3600) = 1.84 m²"
    assert o.dose_formula == "1300.000 mg/m² \N{MULTIPLICATION SIGN} 1.84 m² = 2392.00 mg"


# Dose against the order: 2400 mg ordered, 5% is 120 mg. The volume moves with the dose so
# that only the dose check speaks.
@pytest.mark.parametrize(
    ("dose", "refused"),
    [("2520.00", False), ("2280.00", False), ("2520.01", True), ("2279.99", True)],
)
def test_dose_exactly_five_percent_away_passes(dose, refused):
    dose = Decimal(dose)
    found = errors(drug_dose_mg=dose, drug_volume_ml=(dose / 50).quantize(Decimal("0.01")))
    assert ("drug_dose_mg" in found) is refused
    assert set(found) <= {"drug_dose_mg"}


def test_dose_message_names_the_order_and_the_tolerance():
    found = errors(drug_dose_mg=Decimal("2640.00"), drug_volume_ml=Decimal("52.80"))
    assert found == {
        "drug_dose_mg": "This dose is 10.0% away from the ordered 2400.00 mg; at most 5% is "
        "allowed."
    }


def test_the_tolerance_is_the_setting():
    data = encounter_data(
        dt.date(2026, 3, 4), drug_dose_mg=Decimal("2640.00"), drug_volume_ml=Decimal("52.80")
    )
    assert entry_errors(data, order(), tolerance_percent=Decimal("10")) == {}
    assert "drug_dose_mg" in entry_errors(data, order(), tolerance_percent=Decimal("9.99"))


@pytest.mark.parametrize(
    ("volume", "refused"), [("50.40", False), ("45.60", False), ("50.41", True), ("45.59", True)]
)
def test_concentration_times_volume_within_five_percent_of_the_dose(volume, refused):
    # 50 mg/mL x 50.40 mL = 2520 mg: exactly 5% over the 2400 mg dose.
    found = errors(drug_volume_ml=Decimal(volume))
    assert found.keys() == ({"drug_volume_ml"} if refused else set())


@pytest.mark.parametrize(
    ("rate", "refused"), [("2.10", False), ("1.90", False), ("2.11", True), ("1.89", True)]
)
def test_rate_times_duration_within_five_percent_of_the_pump_volume(rate, refused):
    # 2.10 mL/h x 48 h = 100.8 mL: exactly 5% over the 96 mL programmed.
    found = errors(rate_ml_h=Decimal(rate))
    assert found.keys() == ({"rate_ml_h"} if refused else set())


def test_rate_message():
    assert errors(rate_ml_h=Decimal("2.50"))["rate_ml_h"] == (
        "2.50 mL/h over the ordered 48 hours is 120 mL, not the programmed 96.00 mL. Check the "
        "rate and the volume on the pump."
    )


def test_another_drug_or_concentration_is_refused():
    found = errors(
        drug_name="Irinotecan", drug_concentration_mg_ml=Decimal("20.000"), drug_volume_ml=120
    )
    assert found == {
        "drug_name": "The order is for fluorouracil. Give the ordered drug, or ask the provider "
        "for a new order.",
        "drug_concentration_mg_ml": "The order's concentration is 50.000 mg/mL. Check the label; "
        "a different bag needs a new order.",
    }


def test_the_drug_name_ignores_case_and_spaces():
    assert errors(drug_name="  Fluorouracil ") == {}


@pytest.mark.parametrize(
    "field",
    [
        "drug_concentration_mg_ml",
        "drug_dose_mg",
        "drug_volume_ml",
        "rate_ml_h",
        "pump_volume_ml",
        "anc",
        "platelets",
        "creatinine",
    ],
)
@pytest.mark.parametrize("value", ["0", "-1"])
def test_zero_or_negative_values_cannot_be_true(field, value):
    found = impossible_values(encounter_data(dt.date(2026, 3, 4), **{field: Decimal(value)}))
    assert list(found) == [field]
    assert found[field].endswith("must be above zero.")


@pytest.mark.parametrize(
    "field", ["date_of_service", "weight_measured_on", "cbc_collected_on", "drug_expires_on"]
)
def test_dates_before_1900_cannot_be_true(field):
    data = encounter_data(dt.date(2026, 3, 4), **{field: dt.date(1899, 12, 31)})
    assert impossible_values(data)[field] == "A date before 1900 cannot be right: check the year."
    data[field] = dt.date(1900, 1, 1)
    assert field not in impossible_values(data)


def test_the_infusion_cannot_start_after_the_date_of_service():
    day = dt.date(2026, 3, 4)
    late = timezone.make_aware(dt.datetime(2026, 3, 5, 0, 0))
    assert impossible_values(encounter_data(day, infusion_started_at=late)) == {
        "infusion_started_at": "The infusion cannot start after the date of service."
    }
    just_in = timezone.make_aware(dt.datetime(2026, 3, 4, 23, 59))
    assert impossible_values(encounter_data(day, infusion_started_at=just_in)) == {}


# Provider concerns: the order's dosing weight is 71.4 kg, so 10% is 7.14 kg.
@pytest.mark.parametrize(
    ("weight", "concern"),
    [("78.5", False), ("64.3", False), ("78.54", True), ("64.26", True), ("90.0", True)],
)
def test_weight_exactly_ten_percent_away_needs_the_provider(weight, concern):
    found = provider_concerns(
        {"weight_kg": Decimal(weight)},
        order(creatinine_max=None, anc_min=Decimal(0), platelets_min=Decimal(0)),
    )
    assert [c.code for c in found] == (["weight"] if concern else [])


def test_weight_concern_message_and_key():
    (found,) = provider_concerns(
        {
            "weight_kg": Decimal("80.0"),
            "anc": Decimal("2"),
            "platelets": Decimal("150"),
            "creatinine": Decimal("1"),
        },
        order(),
    )
    assert (found.key, found.message) == (
        "weight=80.0",
        "Weight 80.0 kg is 12.0% away from the order's dosing weight of 71.4 kg: the provider "
        "re-doses or confirms the dose.",
    )


# Each lab at its limit raises no concern; the first value past the limit raises one.
@pytest.mark.parametrize(
    ("field", "limit", "past"),
    [("anc", "1.50", "1.49"), ("platelets", "100", "99"), ("creatinine", "1.50", "1.51")],
)
@pytest.mark.parametrize("concern", [False, True])
def test_lab_limits_at_their_boundary(field, limit, past, concern):
    values = {
        "weight_kg": Decimal("71.4"),
        "anc": Decimal("2.00"),
        "platelets": Decimal("150"),
        "creatinine": Decimal("0.90"),
        field: Decimal(past if concern else limit),
    }
    assert [c.code for c in provider_concerns(values, order())] == ([field] if concern else [])


def test_low_anc_message():
    values = {
        "weight_kg": Decimal("71.4"),
        "anc": Decimal("1.20"),
        "platelets": Decimal("150"),
        "creatinine": Decimal("0.90"),
    }
    (found,) = provider_concerns(values, order())
    assert (found.key, found.message) == (
        "anc=1.20",
        "ANC 1.20 x10^9/L is below the order's minimum of 1.50 x10^9/L.",
    )


def test_a_missing_lab_the_order_limits_needs_the_provider():
    values = {
        "weight_kg": Decimal("71.4"),
        "anc": None,
        "platelets": Decimal("150"),
        "creatinine": None,
    }
    assert [c.key for c in provider_concerns(values, order())] == ["anc=none", "creatinine=none"]
    assert [c.key for c in provider_concerns(values, order(creatinine_max=None))] == ["anc=none"]


def test_an_override_answers_only_the_value_it_was_given_for():
    values = {
        "weight_kg": Decimal("71.4"),
        "anc": Decimal("1.20"),
        "platelets": Decimal("150"),
        "creatinine": Decimal("0.90"),
    }
    concerns = provider_concerns(values, order())
    assert pending(concerns, ["anc=1.20"]) == []
    assert [c.key for c in pending(concerns, ["anc=1.30"])] == ["anc=1.20"]
