"""Named database constraints that say in words what is wrong: the message is what a person
reads when a form or a service trips one."""

from __future__ import annotations

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
