"""Named database constraints that say in words what is wrong: the message is what a person
reads when a form or a service trips one.

The conditions below say the common rules (above zero, within a range, filled in) once, so
that each constraint reads as its rule and the fields it applies to."""

from __future__ import annotations

from decimal import Decimal
from functools import reduce
from operator import and_
from typing import Any

from django.db import models
from django.db.models import Q


def check(name: str, condition: Q, message: str) -> models.CheckConstraint:
    return models.CheckConstraint(condition=condition, name=name, violation_error_message=message)


def unique(name: str, fields: list[str], message: str, **options: Any) -> models.UniqueConstraint:
    """``options``: what else a UniqueConstraint takes (``condition``, ``nulls_distinct``)."""
    return models.UniqueConstraint(
        fields=fields, name=name, violation_error_message=message, **options
    )


def _every(fields: tuple[str, ...], lookup: str, value: Any) -> Q:
    return reduce(and_, (Q(**{f"{field}__{lookup}": value}) for field in fields))


def above_zero(*fields: str) -> Q:
    """Every one of ``fields`` is above zero."""
    return _every(fields, "gt", 0)


def filled(*fields: str) -> Q:
    """Every one of ``fields`` is filled in (not NULL), as who signed and when."""
    return _every(fields, "isnull", False)


def between(field: str, low: Decimal, high: Decimal) -> Q:
    """``field`` is from ``low`` to ``high``, both included."""
    return Q(**{f"{field}__gte": low}) & Q(**{f"{field}__lte": high})


def empty_or(field: str, condition: Q) -> Q:
    """``field`` is empty (NULL) or meets ``condition``."""
    return Q(**{f"{field}__isnull": True}) | condition


def empty_or_above_zero(*fields: str) -> Q:
    """Every one of ``fields`` is empty (NULL) or above zero."""
    return reduce(and_, (empty_or(field, above_zero(field)) for field in fields))
