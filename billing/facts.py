"""The one place where the database becomes ``refill-facts/1``, the engine's input."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone

from billing.models import ChargeMasterItem, Coverage
from refills.models import Encounter, ProviderVisit
from refills.services import encounter_effective_values

CENTS = Decimal("0.01")


def _username(user) -> str | None:
    return user.get_username() if user is not None else None


def facts_for_encounter(
    encounter: Encounter,
    coverage: Coverage,
    *,
    visits: Iterable[ProviderVisit],
    charge_items: Iterable[ChargeMasterItem],
) -> dict[str, Any]:
    """The one place where the database becomes ``refill-facts/1``.

    Uses the documentation as corrected by addenda, the same-day provider ``visits`` (in
    the order they were recorded), the payer's policy flags as they are now, and the
    ``charge_items`` in force on the date of service (by code, then start). Reads nothing
    itself: the encounter comes with its people, addenda and patient diagnoses loaded.
    """
    values = encounter_effective_values(encounter)
    day = encounter.date_of_service
    payer = coverage.payer
    zone = timezone.get_default_timezone()  # the clinic's (settings.TIME_ZONE)
    started = values["infusion_started_at"]
    verified_by = [_username(encounter.performing_nurse)]
    if encounter.verified_by_id:
        verified_by.append(_username(encounter.verified_by))

    same_day: list[dict[str, Any]] = [
        {
            "code": visit.em_code,
            "performed_by_role": visit.performed_by_role,
            "separately_identifiable": visit.separately_identifiable,
            "diagnoses": list(visit.diagnoses),
        }
        for visit in visits
    ]
    if values["port_flush"]:
        same_day.append({"code": "96523"})
    for field in ("blood_draw", "other_chemo"):
        if values[field]:
            same_day.append({"code": values[field]})

    charges = {item.code: str(item.charge.quantize(CENTS)) for item in charge_items}
    return {
        "schema": "refill-facts/1",
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
        "drug": {
            "name": values["drug_name"],
            "antineoplastic": values["drug_antineoplastic"],
            "lot": values["drug_lot"] or None,
            "expires_on": values["drug_expires_on"].isoformat()
            if values["drug_expires_on"]
            else None,
        },
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
            "supervising_practitioner": _username(values["supervising_practitioner"]),
        },
        "same_day_services": same_day,
        "charges": charges,
        "lab_window_days": settings.LAB_WINDOW_DAYS,
    }


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None
