"""Reads about accounts that several modules share."""

from __future__ import annotations

from accounts.models import PasswordAssignment


def must_set_password(user) -> bool:
    """Whether ``user``'s password is one someone else set (cached on the user object)."""
    if getattr(user, "_must_set_password", None) is None:
        user._must_set_password = PasswordAssignment.objects.filter(user_id=user.pk).exists()
    return user._must_set_password
