"""Staff accounts, typed: the signed-in user (every page but the login page requires one,
config.middleware) and a record's link to an account it may not name."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from django.conf import settings
from django.contrib.auth.models import User
from django.db import models
from django.http import HttpRequest


def acting_user(request: HttpRequest) -> User:
    return cast(User, request.user)


def optional_user(
    *, on_delete: Callable[..., None], related_name: str
) -> models.ForeignKey[User | None, User | None]:
    """A link to a staff account that may be empty (nobody has verified yet, or the account
    is gone); ``on_delete`` says what deleting the account does to the record."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=on_delete,
        related_name=related_name,
        null=True,
        blank=True,
    )
