"""Orders: a provider writes and signs them; a new order replaces the active one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from config.history import record_change
from refills import safety
from refills.errors import HardStopError, RefillError
from refills.models import Order, Patient
from refills.services.checks import full_clean

ORDER_FIELDS = (
    "drug_name",
    "dose_basis",
    "dose_per_basis",
    "dosing_height_cm",
    "dosing_weight_kg",
    "dose_mg",
    "concentration_mg_ml",
    "final_volume_ml",
    "infusion_hours",
    "rate_ml_h",
    "cycles",
    "valid_from",
    "valid_to",
    "anc_min",
    "platelets_min",
    "creatinine_max",
    "notes",
)


def order_create(
    *,
    by: User,
    patient: Patient,
    data: Mapping[str, Any],
    now: dt.datetime | None = None,
) -> Order:
    """Sign a new order for the patient; the active one, if any, is discontinued by it."""
    now = now or timezone.now()
    if not by.has_perm("refills.add_order"):
        raise RefillError("Only a provider can write an order.", code="role")
    errors = safety.order_errors(data, today=timezone.localdate(now))
    if errors:
        raise HardStopError(errors)
    calculation = safety.order_calculation(data)
    if calculation is None:
        raise HardStopError({"dose_per_basis": "The dose cannot be calculated from these values."})
    bsa, calculated = calculation
    with transaction.atomic():
        # Lock the patient so two orders written at once cannot both become active.
        Patient.objects.select_for_update().get(pk=patient.pk)
        for previous in Order.objects.select_for_update().filter(
            patient=patient, status=Order.Status.ACTIVE
        ):
            _discontinue(previous, by=by, reason="replaced by a new order", now=now)
        order = Order(
            patient=patient,
            bsa_m2=bsa,
            calculated_dose_mg=calculated,
            signed_by=by,
            signed_at=now,
            status=Order.Status.ACTIVE,
            **{f: data[f] for f in ORDER_FIELDS if f in data},
        )
        full_clean(order)
        record_change(order, by=by, reason="order signed")
        order.save()
    return order


def order_discontinue(
    *, by: User, order: Order, reason: str, now: dt.datetime | None = None
) -> Order:
    now = now or timezone.now()
    if not by.has_perm("refills.change_order"):
        raise RefillError("Only a provider can discontinue an order.", code="role")
    if not reason.strip():
        raise RefillError(
            "Say why the order is discontinued.", field="discontinue_reason", code="required"
        )
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status != Order.Status.ACTIVE:
            raise RefillError("This order is already discontinued.", code="state")
        _discontinue(order, by=by, reason=reason.strip(), now=now)
    return order


def _discontinue(order: Order, *, by: User, reason: str, now: dt.datetime) -> None:
    order.status = Order.Status.DISCONTINUED
    order.discontinued_by = by
    order.discontinued_at = now
    order.discontinue_reason = reason
    record_change(order, by=by, reason=f"discontinued: {reason}")
    order.save()
