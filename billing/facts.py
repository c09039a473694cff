"""The one place where the database becomes ``refill-facts/2``, the engine's input."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone

from billing.engine.facts import FACTS_SCHEMA_V2, json_number
from billing.models import ChargeMasterItem, Coverage, DrugCatalogueItem, StockedNDC
from billing.money import money
from refills import ndc as ndc_codes
from refills.models import ClinicianProfile, Encounter, ProviderVisit
from refills.services import encounter_effective_values

# NDC quantities go to three decimals (CTP04 of the 837P).
NDC_QUANTITY_STEP = Decimal("0.001")
ESTABLISHED_YEARS = 3


def _username(user) -> str | None:
    return user.get_username() if user is not None else None


def established_since(day: dt.date) -> dt.date:
    """The first day of the three years before ``day`` that make a patient established: the
    same date three years earlier (28 February for 29 February)."""
    try:
        return day.replace(year=day.year - ESTABLISHED_YEARS)
    except ValueError:
        return day.replace(year=day.year - ESTABLISHED_YEARS, day=28)


def is_established(day: dt.date, documented: Iterable[dt.date]) -> bool:
    """Whether the practice documented a signed refill or a provider visit for the patient on
    any of the ``documented`` days within the three years before ``day`` (that day excluded,
    the first day included)."""
    since = established_since(day)
    return any(since <= other < day for other in documented)


def practitioner_entry(user) -> dict[str, Any]:
    """``{npi, role}`` of a practitioner as their clinician profile says now."""
    profile: ClinicianProfile | None = getattr(user, "clinician", None)
    if profile is None:
        return {"npi": None, "role": ProviderVisit.PerformedByRole.REGISTERED_NURSE.value}
    return {"npi": profile.npi or None, "role": profile.performed_by_role}


def drug_used(
    drug_name: str, recorded_ndc: str, drug_items: Iterable[DrugCatalogueItem]
) -> tuple[str | None, DrugCatalogueItem | None, StockedNDC | None]:
    """The NDC the nurse recorded (11 digits, or None), the catalogue item billed for the drug
    and the stocked package the NDC names.

    ``drug_items`` are those in force on the date of service, with their NDCs loaded, the
    latest start first. The NDC decides the item; without a stocked NDC, the item whose name
    is the drug's (trimmed, ignoring case), when exactly one code goes by that name.
    """
    items = list(drug_items)
    stocked_ndcs = {s.ndc: s for item in items for s in item.ndcs.all()}
    ndc = None
    if recorded_ndc:
        try:
            ndc = ndc_codes.normalize(recorded_ndc, stocked=stocked_ndcs)
        except ndc_codes.NDCError:
            ndc = None  # written before NDCs were checked: billed as if not recorded
    stocked = stocked_ndcs.get(ndc) if ndc else None
    if stocked is not None:
        return ndc, stocked.item, stocked
    name = drug_name.strip().casefold()
    named = [item for item in items if item.name.strip().casefold() == name]
    if len({item.hcpcs for item in named}) == 1:
        return ndc, named[0], None
    return ndc, None, None


def _drug(
    values: dict[str, Any], item: DrugCatalogueItem | None, stocked: StockedNDC | None, ndc
) -> dict[str, Any]:
    drug: dict[str, Any] = {
        "name": values["drug_name"],
        "antineoplastic": values["drug_antineoplastic"],
        "lot": values["drug_lot"] or None,
        "expires_on": _iso(values["drug_expires_on"]),
    }
    if values["drug_supplied_by_practice"] is not None:
        drug["supplied_by_practice"] = values["drug_supplied_by_practice"]
    if item is not None:
        drug["hcpcs"] = item.hcpcs
        drug["hcpcs_unit_mg"] = json_number(item.billing_unit_mg)
    dose = values["drug_dose_mg"]
    # The contract refuses a dose of 0 or less: without a dose there is none to bill (R63).
    if dose is not None and dose > 0:
        drug["dose_mg"] = json_number(dose)
    drug["discarded_mg"] = json_number(values["drug_discarded_mg"] or Decimal("0"))
    if stocked is not None:
        drug["container"] = stocked.container
        drug["ndc_unit"] = stocked.package_unit
        if dose is not None and dose > 0:
            quantity = (dose / stocked.mg_per_package_unit).quantize(
                NDC_QUANTITY_STEP, rounding=ROUND_HALF_UP
            )
            if quantity > 0:
                drug["ndc_quantity"] = json_number(quantity)
    if ndc:
        drug["ndc"] = ndc
    return drug


def facts_for_encounter(
    encounter: Encounter,
    coverage: Coverage,
    *,
    visits: Iterable[ProviderVisit],
    charge_items: Iterable[ChargeMasterItem],
    drug_items: Iterable[DrugCatalogueItem] = (),
    established: bool | None = None,
) -> dict[str, Any]:
    """The one place where the database becomes ``refill-facts/2``.

    Uses the documentation as corrected by addenda, the same-day provider ``visits`` (in
    the order they were recorded), the payer's policy flags and the practitioners' profiles
    as they are now, the ``charge_items`` and ``drug_items`` (with their NDCs) in force on the
    date of service, and whether the patient is ``established`` (``is_established``; None
    when unknown). Reads nothing itself: the encounter comes with its people and their
    profiles, addenda and patient diagnoses loaded, each visit with its provider's profile.
    """
    values = encounter_effective_values(encounter)
    day = encounter.date_of_service
    payer = coverage.payer
    zone = timezone.get_default_timezone()  # the clinic's (settings.TIME_ZONE)
    started = values["infusion_started_at"]
    verified_by = [_username(encounter.performing_nurse)]
    if encounter.verified_by_id:
        verified_by.append(_username(encounter.verified_by))

    practitioners: dict[str, dict[str, Any]] = {}
    supervising = values["supervising_practitioner"]
    if supervising is not None:
        practitioners[supervising.get_username()] = practitioner_entry(supervising)
    same_day: list[dict[str, Any]] = []
    for visit in visits:
        performer = visit.provider.get_username()
        practitioners.setdefault(performer, practitioner_entry(visit.provider))
        same_day.append(
            {
                "code": visit.em_code,
                "performed_by": performer,
                "performed_by_role": visit.performed_by_role,
                "separately_identifiable": visit.separately_identifiable,
                "diagnoses": list(visit.diagnoses),
            }
        )
    if values["port_flush"]:
        same_day.append({"code": "96523"})
    for field in ("blood_draw", "other_chemo"):
        if values[field]:
            same_day.append({"code": values[field]})

    charges = {item.code: str(money(item.charge)) for item in charge_items}
    ndc, item, stocked = drug_used(values["drug_name"], values["drug_ndc"], drug_items)
    if item is not None:
        charges[item.hcpcs] = str(money(item.charge_per_unit))
    facts: dict[str, Any] = {
        "schema": FACTS_SCHEMA_V2,
        "payer": {
            "code": payer.code,
            "program": payer.program,
            "allows_99211_with_drug_admin": payer.allows_99211_with_drug_admin,
            "modifier25_requires_note": payer.modifier25_requires_note,
        },
        "claim_type": "professional",
        "date_of_service": day.isoformat(),
        "place_of_service": values["place_of_service"],
        "diagnoses": [d.code for d in encounter.patient.diagnoses.all()],
        "pump": {"type": values["pump_type"], "service": values["service"]},
        "drug": _drug(values, item, stocked, ndc),
        "documentation": {
            "weight_kg": float(values["weight_kg"]) if values["weight_kg"] is not None else None,
            "weight_measured_on": _iso(values["weight_measured_on"]),
            "cbc_collected_on": _iso(values["cbc_collected_on"]),
            "cmp_collected_on": _iso(values["cmp_collected_on"]),
            "verified_by": verified_by,
            "pump_programmed": values["pump_programmed"],
            "pump_primed": values["pump_primed"],
            "pump_function_verified": values["pump_function_verified"],
            "teaching": {
                "alarms": values["teaching_alarms"],
                "site_care": values["teaching_site_care"],
            },
            "infusion_started_at": started.astimezone(zone).isoformat() if started else None,
            "adverse_reaction": values["adverse_reaction"] or None,
            "signed_by": _username(encounter.signed_by),
            "supervising_practitioner": _username(supervising),
        },
        "same_day_services": same_day,
        "charges": charges,
        "lab_window_days": settings.LAB_WINDOW_DAYS,
        "practitioners": practitioners,
    }
    if established is not None:
        facts["patient"] = {"established": established}
    return facts


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None
