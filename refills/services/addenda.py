"""Addenda: what corrects or completes signed documentation, which is never edited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, cast

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Field
from django.utils import timezone

from config.history import record_change
from refills.errors import RefillError
from refills.models import Addendum, Encounter
from refills.services.checks import check_hard_stops
from refills.services.fields import CORRECTABLE_FIELDS, ENCOUNTER_FIELDS
from refills.signals import documentation_changed


def addendum_create(
    *,
    by: User,
    encounter: Encounter,
    text: str,
    reason: str = "",
    corrections: Mapping[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> Addendum:
    now = now or timezone.now()
    corrections = dict(corrections or {})
    if not text.strip():
        raise RefillError("Say what the addendum adds or corrects.", field="text", code="required")
    unknown = sorted(set(corrections) - set(CORRECTABLE_FIELDS))
    if unknown:
        raise RefillError(f"{', '.join(unknown)} cannot be corrected by addendum.", code="field")
    with transaction.atomic():
        encounter = Encounter.objects.select_for_update().get(pk=encounter.pk)
        if encounter.status != Encounter.Status.SIGNED:
            raise RefillError(
                "Addenda are for signed encounters; edit the draft instead.", code="state"
            )
        if by.pk != encounter.signed_by_id and not reason.strip():
            raise RefillError(
                "You did not sign this refill: say why you correct it. The nurse who signed "
                "it is told.",
                field="reason",
                code="required",
            )
        effective = dict(encounter_effective_values(encounter))
        effective.update(corrections)
        check_hard_stops(effective, now)
        addendum = Addendum(
            encounter=encounter,
            author=by,
            text=text.strip(),
            reason=reason.strip(),
            corrections=_jsonable(corrections),
        )
        record_change(addendum, by=by, reason="addendum")
        addendum.save()
        documentation_changed.send(
            sender=Addendum, encounter=encounter, by=by, reason="addendum", now=now
        )
    return addendum


def _jsonable(values: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, dt.date):
            out[key] = value.isoformat()
        elif isinstance(value, Decimal):
            out[key] = str(value)
        else:
            out[key] = value
    return out


def encounter_effective_values(encounter: Encounter) -> dict[str, Any]:
    """The documented values with every addendum's corrections applied in order."""
    values = {f: getattr(encounter, f) for f in ENCOUNTER_FIELDS}
    for addendum in encounter.addenda.all():
        for field, raw in addendum.corrections.items():
            model_field = cast(Field, Encounter._meta.get_field(field))
            values[field] = model_field.to_python(raw)
    return values
