"""Safety checks of a refill against its order.

Entry checks refuse to save (each message belongs to one field); provider concerns let the
refill be saved and verified but not signed until a provider overrides them. The form and
the services share these functions, so no path around the form saves what it refuses.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils import timezone

from refills.models import CENT, TIMES, Order, mosteller_bsa

# Concentration times volume against the dose, and rate times duration against the programmed
# volume: arithmetic that must agree within this many percent.
ARITHMETIC_TOLERANCE_PERCENT = Decimal("5")
# A weight this many percent away from the order's dosing weight needs the provider.
WEIGHT_CHANGE_PERCENT = Decimal("10")
EARLIEST_DATE = dt.date(1900, 1, 1)

POSITIVE_FIELDS = {
    "drug_concentration_mg_ml": "The concentration",
    "drug_dose_mg": "The dose",
    "drug_volume_ml": "The volume",
    "rate_ml_h": "The rate",
    "pump_volume_ml": "The programmed volume",
    "anc": "The ANC",
    "platelets": "The platelet count",
    "creatinine": "The creatinine",
}
DATE_FIELDS = (
    "date_of_service",
    "weight_measured_on",
    "cbc_collected_on",
    "cmp_collected_on",
    "drug_expires_on",
)


def percent_apart(value: Decimal, reference: Decimal) -> Decimal:
    """How far ``value`` is from ``reference``, in percent of the reference, to 0.1."""
    return (abs(value - reference) * 100 / reference).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )


def _plain(value: Decimal) -> str:
    """2400.000 as "2400", 2.50 as "2.5": without trailing zeros and never as 2.4E+3."""
    return format(value.normalize(), "f")


def _beyond(value: Decimal, reference: Decimal, percent: Decimal) -> bool:
    # Exact arithmetic: exactly ``percent`` away is still within.
    return abs(value - reference) * 100 > percent * reference


def _product_off(
    factor: Decimal | None, other: Decimal | None, expected: Decimal | None
) -> Decimal | None:
    """``factor`` times ``other`` when that is more than ARITHMETIC_TOLERANCE_PERCENT away
    from ``expected``; None when it is within, or while one of them is missing or not above
    zero (other checks answer those)."""
    if factor is None or other is None or expected is None:
        return None
    if factor <= 0 or other <= 0 or expected <= 0:
        return None
    product = factor * other
    return product if _beyond(product, expected, ARITHMETIC_TOLERANCE_PERCENT) else None


def impossible_values(data: Mapping[str, Any]) -> dict[str, str]:
    """Values that cannot be true, whatever the order says."""
    errors: dict[str, str] = {}
    for field, label in POSITIVE_FIELDS.items():
        value = data.get(field)
        if value is not None and value <= 0:
            errors[field] = f"{label} must be above zero."
    for field in DATE_FIELDS:
        value = data.get(field)
        if value is not None and value < EARLIEST_DATE:
            errors[field] = "A date before 1900 cannot be right: check the year."
    started = data.get("infusion_started_at")
    if started is not None:
        if started.date() < EARLIEST_DATE:
            errors["infusion_started_at"] = "A date before 1900 cannot be right: check the year."
        else:
            dos = data.get("date_of_service")
            if dos is not None and _local_date(started) > dos:
                errors["infusion_started_at"] = (
                    "The infusion cannot start after the date of service."
                )
    return errors


def _local_date(moment: dt.datetime) -> dt.date:
    return timezone.localdate(moment) if timezone.is_aware(moment) else moment.date()


def entry_errors(
    data: Mapping[str, Any], order: Order, *, tolerance_percent: Decimal
) -> dict[str, str]:
    """What the documented drug and pump values get wrong against the order."""
    errors: dict[str, str] = {}
    drug = (data.get("drug_name") or "").strip()
    if drug and drug.casefold() != order.drug_name.strip().casefold():
        errors["drug_name"] = (
            f"The order is for {order.drug_name}. Give the ordered drug, or ask the provider "
            "for a new order."
        )
    concentration = data.get("drug_concentration_mg_ml")
    if concentration is not None and concentration != order.concentration_mg_ml:
        errors["drug_concentration_mg_ml"] = (
            f"The order's concentration is {order.concentration_mg_ml} mg/mL. Check the label; "
            "a different bag needs a new order."
        )
    dose = data.get("drug_dose_mg")
    if dose is not None and dose > 0 and _beyond(dose, order.dose_mg, tolerance_percent):
        errors["drug_dose_mg"] = (
            f"This dose is {percent_apart(dose, order.dose_mg)}% away from the ordered "
            f"{order.dose_mg} mg; at most {_plain(tolerance_percent)}% is allowed."
        )
    volume = data.get("drug_volume_ml")
    if (drug_mg := _product_off(concentration, volume, dose)) is not None:
        errors["drug_volume_ml"] = (
            f"{concentration} mg/mL {TIMES} {volume} mL is "
            f"{_plain(drug_mg)} mg, not the {dose} mg dose. "
            "Check the concentration, volume and dose."
        )
    rate = data.get("rate_ml_h")
    pump_volume = data.get("pump_volume_ml")
    if (infused := _product_off(rate, order.infusion_hours, pump_volume)) is not None:
        errors["rate_ml_h"] = (
            f"{rate} mL/h over the ordered {_plain(order.infusion_hours)} hours is "
            f"{_plain(infused)} mL, not the programmed "
            f"{pump_volume} mL. Check the rate and the volume on the pump."
        )
    return errors


@dataclass(frozen=True)
class Concern:
    """A finding only a provider may let pass. ``key`` names the finding with the value it
    was about, so an override answers exactly that value."""

    code: str
    key: str
    message: str


def provider_concerns(values: Mapping[str, Any], order: Order) -> list[Concern]:
    """The weight and lab findings against the order's limits, in a fixed order."""
    concerns = []
    weight = values.get("weight_kg")
    dosing = order.dosing_weight_kg
    # Exactly 10% away already needs the provider.
    if weight is not None and abs(weight - dosing) * 100 >= WEIGHT_CHANGE_PERCENT * dosing:
        concerns.append(
            Concern(
                "weight",
                f"weight={weight}",
                f"Weight {weight} kg is {percent_apart(weight, dosing)}% away from the order's "
                f"dosing weight of {dosing} kg: the provider "
                "re-doses or confirms the dose.",
            )
        )
    for field, label, limit, low in (
        ("anc", "ANC", order.anc_min, True),
        ("platelets", "Platelets", order.platelets_min, True),
        ("creatinine", "Creatinine", order.creatinine_max, False),
    ):
        if limit is None or (low and limit == 0):
            continue
        value = values.get(field)
        unit = "mg/dL" if field == "creatinine" else "x10^9/L"
        if value is None:
            concerns.append(
                Concern(
                    field,
                    f"{field}=none",
                    f"{label} is not documented; the order requires "
                    f"{'at least' if low else 'at most'} {limit} {unit}.",
                )
            )
        elif (low and value < limit) or (not low and value > limit):
            concerns.append(
                Concern(
                    field,
                    f"{field}={value}",
                    f"{label} {value} {unit} is {'below' if low else 'above'} the order's "
                    f"{'minimum' if low else 'maximum'} of {limit} {unit}.",
                )
            )
    return concerns


def pending(concerns: Iterable[Concern], overridden: Iterable[str]) -> list[Concern]:
    """The concerns no provider override answers yet."""
    answered = set(overridden)
    return [c for c in concerns if c.key not in answered]


# Orders

# How far the provider's rounded dose may be from the calculated one.
ROUNDING_TOLERANCE_PERCENT = Decimal("10")
ORDER_POSITIVE_FIELDS = {
    "dose_per_basis": "The dose per basis",
    "dose_mg": "The dose",
    "concentration_mg_ml": "The concentration",
    "final_volume_ml": "The final volume",
    "infusion_hours": "The duration",
    "rate_ml_h": "The pump rate",
}


def order_calculation(data: Mapping[str, Any]) -> tuple[Decimal, Decimal] | None:
    """(BSA in m², calculated dose in mg) from the dose basis and the dosing height and
    weight, or None while one of them is missing or impossible."""
    height, weight = data.get("dosing_height_cm"), data.get("dosing_weight_kg")
    per, basis = data.get("dose_per_basis"), data.get("dose_basis")
    if height is None or weight is None or per is None or basis is None:
        return None
    if height <= 0 or weight <= 0 or per <= 0:
        return None
    bsa = mosteller_bsa(height, weight)
    factor = {
        Order.DoseBasis.PER_M2: bsa,
        Order.DoseBasis.PER_KG: weight,
        Order.DoseBasis.FLAT: Decimal(1),
    }.get(basis)
    if factor is None:
        return None
    return bsa, (per * factor).quantize(CENT, rounding=ROUND_HALF_UP)


def order_errors(data: Mapping[str, Any], *, today: dt.date) -> dict[str, str]:
    """What is wrong with an order as the provider entered it, as {field: message}."""
    errors: dict[str, str] = {}
    for field, label in ORDER_POSITIVE_FIELDS.items():
        value = data.get(field)
        if value is not None and value <= 0:
            errors[field] = f"{label} must be above zero."
    height = data.get("dosing_height_cm")
    if height is not None and not Decimal(30) <= height <= Decimal(250):
        errors["dosing_height_cm"] = "The dosing height must be between 30 and 250 cm."
    weight = data.get("dosing_weight_kg")
    if weight is not None and not Decimal(1) <= weight <= Decimal(400):
        errors["dosing_weight_kg"] = "The dosing weight must be between 1 and 400 kg."
    cycles = data.get("cycles")
    if cycles is not None and cycles < 1:
        errors["cycles"] = "An order is for at least one refill or cycle."
    for field, label in (
        ("anc_min", "ANC"),
        ("platelets_min", "platelet"),
        ("creatinine_max", "creatinine"),
    ):
        value = data.get(field)
        if value is not None and (value < 0 or (field == "creatinine_max" and value == 0)):
            errors[field] = f"The {label} limit must be above zero (leave it empty for none)."
    start, end = data.get("valid_from"), data.get("valid_to")
    for field, value in (("valid_from", start), ("valid_to", end)):
        if value is not None and value < EARLIEST_DATE:
            errors[field] = "A date before 1900 cannot be right: check the year."
    if start and end and not {"valid_from", "valid_to"} & errors.keys() and end < start:
        errors["valid_to"] = "The order cannot end before it starts."
    elif end and "valid_to" not in errors and end < today:
        errors["valid_to"] = "This order would already have ended."
    calculation = order_calculation(data)
    dose = data.get("dose_mg")
    if calculation and dose is not None and dose > 0 and "dose_mg" not in errors:
        _, calculated = calculation
        if _beyond(dose, calculated, ROUNDING_TOLERANCE_PERCENT):
            errors["dose_mg"] = (
                f"The calculated dose is {calculated} mg; {dose} mg is "
                f"{percent_apart(dose, calculated)}% away. Round by at most "
                f"{_plain(ROUNDING_TOLERANCE_PERCENT)}%."
            )
    rate, hours, volume = (
        data.get("rate_ml_h"),
        data.get("infusion_hours"),
        data.get("final_volume_ml"),
    )
    if hours is not None and (infused := _product_off(rate, hours, volume)) is not None:
        errors["rate_ml_h"] = (
            f"{rate} mL/h over {_plain(hours)} hours is {_plain(infused)} mL, not the "
            f"final volume of {volume} mL."
        )
    return errors
