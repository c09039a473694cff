"""Staff accounts: who changed whose access, and passwords that someone else chose.

Roles are the auth groups named in ``refills.models.Role``; the rules about who may grant
which role live in ``accounts.services``.
"""

from __future__ import annotations

from axes.models import AccessAttempt
from django.conf import settings
from django.db import models
from django.db.models import Q

from config.users import optional_user


class AccountEventError(Exception):
    """An audit record was about to be rewritten or deleted."""


class AccountEvent(models.Model):
    """One change to a staff account's access, kept as written: who, when, from where,
    what changed and why. Names are copied so the record outlives the accounts."""

    class Kind(models.TextChoices):
        CREATED = "created", "Account created"
        DETAILS = "details", "Details changed"
        ROLES = "roles", "Roles changed"
        ACTIVE = "active", "Activated or deactivated"
        RIGHTS = "rights", "Administrator rights or permissions changed"
        PASSWORD_SET = "password_set", "Password set by someone else"
        PASSWORD_DISABLED = "password_disabled", "Password sign-in disabled"
        PASSWORD_CHANGED = "password_changed", "Password chosen by the account holder"
        ROLE_PERMISSIONS = "role_permissions", "Permissions of a role changed"
        LOCKOUT_RELEASED = "lockout_released", "Sign-in lockout released"

    at = models.DateTimeField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = optional_user(on_delete=models.SET_NULL, related_name="+")
    actor_username = models.CharField(max_length=150)
    subject = optional_user(on_delete=models.SET_NULL, related_name="account_events")
    subject_username = models.CharField(max_length=255)
    detail = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True)
    address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        default_permissions = ("view",)
        indexes = [models.Index(fields=["subject", "-at"], name="accountevent_subject_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject_username}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AccountEventError("Account events are kept as written.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AccountEventError("Account events are kept as written.")


class PasswordAssignment(models.Model):
    """A password that someone other than the account holder set (a new account, a reset).

    While one exists the holder must choose their own password before doing anything else,
    and may neither sign nor verify: whoever set it knows it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="password_assignment",
    )
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    set_at = models.DateTimeField()

    class Meta:
        default_permissions = ()
        constraints = [
            models.CheckConstraint(
                condition=~Q(set_by=models.F("user")),
                name="passwordassignment_not_by_holder",
                violation_error_message=(
                    "Nobody sets their own password here: another administrator must."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"password of {self.user_id} set by {self.set_by_id}"


class SignInLockout(AccessAttempt):
    """The failed sign-ins django-axes keeps, one row per username, address and browser,
    as administrators see and release them."""

    class Meta:
        proxy = True
        verbose_name = "sign-in lockout"
        default_permissions = ("view",)
        permissions = [("release_signinlockout", "Can release a sign-in lockout")]
