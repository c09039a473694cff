"""The signed-in user, typed: every page but the login page requires one (config.middleware)."""

from __future__ import annotations

from typing import cast

from django.contrib.auth.models import User
from django.http import HttpRequest


def acting_user(request: HttpRequest) -> User:
    return cast(User, request.user)
