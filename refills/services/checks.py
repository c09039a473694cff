"""The checks every write runs before it saves: hard stops, model validation, diagnoses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone

import icd10cm
from refills.errors import HardStopError, RefillError

MIN_WEIGHT_KG = Decimal("1")
MAX_WEIGHT_KG = Decimal("400")


def save_or_refuse(instance: models.Model, error: RefillError) -> None:
    """Save ``instance`` in a savepoint; a constraint the database refuses there (another
    transaction won a race after the checks looked) is answered with ``error``."""
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as exc:
        raise error from exc


def hard_stops(data: Mapping[str, Any], *, now: dt.datetime) -> dict[str, str]:
    """The clinical hard stops, as {field: message}; empty when none applies.

    Shared by the form (so each message sits next to its field) and the services (so no
    path around the form can save what the form refuses).
    """
    errors: dict[str, str] = {}
    dos = data.get("date_of_service")
    expires = data.get("drug_expires_on")
    if dos and expires and expires < dos:
        errors["drug_expires_on"] = (
            f"This lot expired on {expires:%Y-%m-%d}, before the date of service. "
            "Do not use it: take a lot that is in date."
        )
    for field, label in (("cbc_collected_on", "CBC"), ("cmp_collected_on", "CMP")):
        collected = data.get(field)
        if dos and collected and collected > dos:
            errors[field] = f"The {label} cannot be collected after the date of service."
    weight = data.get("weight_kg")
    if weight is not None and not (MIN_WEIGHT_KG <= weight <= MAX_WEIGHT_KG):
        errors["weight_kg"] = "Weight must be between 1 and 400 kg."
    measured = data.get("weight_measured_on")
    if dos and measured and measured > dos:
        errors["weight_measured_on"] = "The weight cannot be measured after the date of service."
    started = data.get("infusion_started_at")
    if started and started > now:
        errors["infusion_started_at"] = "The infusion start time cannot be in the future."
    if dos and dos > timezone.localdate(now):
        errors["date_of_service"] = "The date of service cannot be in the future."
    reaction = data.get("adverse_reaction")
    if reaction is not None and not str(reaction).strip():
        errors["adverse_reaction"] = 'Answer this: write "none" or describe the reaction.'
    return errors


def check_hard_stops(data: Mapping[str, Any], now: dt.datetime) -> None:
    errors = hard_stops(data, now=now)
    if errors:
        raise HardStopError(errors)


def full_clean(instance, exclude: tuple[str, ...] = ()) -> None:
    try:
        instance.full_clean(exclude=list(exclude), validate_constraints=True)
    except ValidationError as exc:
        errors = {
            field: " ".join(str(m) for m in messages)
            for field, messages in exc.message_dict.items()
        }
        raise HardStopError(errors) from exc


def diagnosis_codes_clean(codes: list[str]) -> list[str]:
    """Dotted, de-duplicated billable ICD-10-CM codes; raises on the first invalid one."""
    cleaned: list[str] = []
    for raw in codes:
        if not raw.strip():
            continue
        code = icd10cm.normalize(raw)
        if not icd10cm.is_billable(code):
            raise RefillError(
                f"{raw.strip()} is not a billable ICD-10-CM code (use the full code, "
                "for example C18.9).",
                field="diagnoses",
                code="icd10",
            )
        if code not in cleaned:
            cleaned.append(code)
    return cleaned
