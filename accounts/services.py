"""Who may change which account, and the audit of every change to access.

A superuser may do anything, with a reason on record. An administrator (the Admin role,
without superuser rights) manages clinic staff: accounts that hold only the Nurse, Provider
or Biller role and no administrator rights. They may create such accounts, change their
details, activate or deactivate them, set their password and grant or remove those three
roles; never the Admin role, staff or superuser rights, or single permissions, never on an
administrator's account, and never anything about their own access. So the Admin role and a
clinical role meet on one account only by a superuser's hand.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from accounts.lockout import VERIFY_SUFFIX
from accounts.models import AccountEvent, PasswordAssignment, SignInLockout
from refills.models import ClinicianProfile, Role

ADMIN_ASSIGNABLE = frozenset({Role.NURSE.value, Role.PROVIDER.value, Role.BILLER.value})
CLINICAL = frozenset({Role.NURSE.value, Role.PROVIDER.value})
# Form fields, and the snapshot keys they become, whose change needs a reason.
ACCESS_FIELDS = frozenset({"groups", "is_active", "is_staff", "is_superuser", "user_permissions"})
ACCESS_SNAPSHOT = ("roles", "is_active", "is_staff", "is_superuser", "permissions")


def role_names(user) -> set[str]:
    return {group.name for group in user.groups.all()}


def is_staff_account(user) -> bool:
    """An account an administrator may manage: no administrator rights, only staff roles."""
    return (
        not user.is_superuser
        and not user.is_staff
        and not user.user_permissions.exists()
        and role_names(user) <= ADMIN_ASSIGNABLE
    )


def may_manage(actor, user) -> bool:
    """Whether ``actor`` may change ``user``'s access (roles, active, password)."""
    if actor.is_superuser:
        return True
    return (
        actor.is_active
        and actor.has_perm("auth.change_user")
        and user.pk != actor.pk
        and is_staff_account(user)
    )


def roles_refusal(actor, user, before: set[str], after: set[str]) -> str | None:
    """Why ``actor`` may not move ``user`` from roles ``before`` to ``after``; None if they may."""
    if before == after:
        return None
    if Role.PROVIDER.value in after - before:
        # Whoever grants it: a provider bills in their own name (NPI, taxonomy, credential).
        refusal = _provider_refusal(user)
        if refusal:
            return refusal
    if actor.is_superuser:
        return None
    if user.pk == actor.pk:
        return "You cannot change your own roles."
    beyond = sorted((before ^ after) - ADMIN_ASSIGNABLE)
    if beyond:
        return f"Only a superuser can grant or remove the {', '.join(beyond)} role."
    if Role.ADMIN.value in after and after & CLINICAL:
        return "Only a superuser can give one account the Admin role and a clinical role."
    return None


def _provider_refusal(user) -> str | None:
    profile = ClinicianProfile.objects.filter(user_id=user.pk).first() if user.pk else None
    if profile is None:
        return (
            "A provider bills in their own name: add their clinician profile (credential, NPI, "
            "taxonomy code) first, then grant the Provider role."
        )
    problems = profile.provider_problems()
    if problems:
        missing = " ".join(error.messages[0] for error in problems.values())
        return f"{missing} Complete their clinician profile first, then grant the Provider role."
    return None


def event_record(
    *,
    kind: AccountEvent.Kind,
    by,
    subject=None,
    subject_username: str | None = None,
    detail: dict | None = None,
    reason: str = "",
    address: str | None = None,
    now=None,
) -> AccountEvent:
    return AccountEvent.objects.create(
        at=now or timezone.now(),
        kind=kind,
        actor=by if by is not None and by.pk else None,
        actor_username=by.get_username() if by is not None else "",
        subject=subject,
        subject_username=subject_username or (subject.get_username() if subject else ""),
        detail=detail or {},
        reason=reason.strip(),
        address=address,
    )


def account_created(*, user, by, address: str | None) -> None:
    with transaction.atomic():
        event_record(kind=AccountEvent.Kind.CREATED, by=by, subject=user, address=address)
        if user.has_usable_password():
            _password_assigned(user=user, by=by, address=address)


def account_changed(
    *,
    user,
    by,
    before: dict,
    after: dict,
    reason: str,
    address: str | None,
) -> None:
    """Record what changed between two snapshots (see ``account_snapshot``), checking
    again, whatever form or path brought the change, that ``by`` may make it."""
    if before == after:
        return
    if not by.is_superuser:
        if (
            before["is_superuser"] != after["is_superuser"]
            or before["is_staff"] != after["is_staff"]
        ):
            raise PermissionDenied("Only a superuser can grant administrator rights.")
        if before["permissions"] != after["permissions"]:
            raise PermissionDenied("Only a superuser can grant single permissions.")
        if user.pk == by.pk and (
            before["is_active"] != after["is_active"] or before["roles"] != after["roles"]
        ):
            raise PermissionDenied("You cannot change your own access.")
    refusal = roles_refusal(by, user, set(before["roles"]), set(after["roles"]))
    if refusal:
        raise PermissionDenied(refusal)
    if any(before[field] != after[field] for field in ACCESS_SNAPSHOT) and not reason.strip():
        raise PermissionDenied("A change of access needs a reason.")
    now = timezone.now()
    common = {"by": by, "subject": user, "reason": reason, "address": address, "now": now}
    details = {
        field: [before[field], after[field]]
        for field in ("username", "first_name", "last_name", "email")
        if before[field] != after[field]
    }
    if details:
        event_record(kind=AccountEvent.Kind.DETAILS, detail=details, **common)
    if before["roles"] != after["roles"]:
        event_record(
            kind=AccountEvent.Kind.ROLES,
            detail={
                "added": sorted(set(after["roles"]) - set(before["roles"])),
                "removed": sorted(set(before["roles"]) - set(after["roles"])),
                "roles": after["roles"],
            },
            **common,
        )
    if before["is_active"] != after["is_active"]:
        event_record(kind=AccountEvent.Kind.ACTIVE, detail={"active": after["is_active"]}, **common)
    rights = {
        field: [before[field], after[field]]
        for field in ("is_staff", "is_superuser", "permissions")
        if before[field] != after[field]
    }
    if rights:
        event_record(kind=AccountEvent.Kind.RIGHTS, detail=rights, **common)


def account_snapshot(user) -> dict:
    """The parts of an account whose changes are audited, read from the database."""
    User = get_user_model()
    stored = User.objects.get(pk=user.pk)
    return {
        "username": stored.get_username(),
        "first_name": stored.first_name,
        "last_name": stored.last_name,
        "email": stored.email,
        "is_active": stored.is_active,
        "is_staff": stored.is_staff,
        "is_superuser": stored.is_superuser,
        "roles": sorted(role_names(stored)),
        "permissions": sorted(
            f"{app}.{codename}"
            for app, codename in stored.user_permissions.values_list(
                "content_type__app_label", "codename"
            )
        ),
    }


def password_set_by_other(*, user, by, address: str | None) -> None:
    """``by`` set or removed ``user``'s password (an administrator's reset)."""
    if user.pk == by.pk:
        raise PermissionDenied("Change your own password on your password page.")
    if not may_manage(by, user):
        raise PermissionDenied("You cannot set this account's password.")
    with transaction.atomic():
        if user.has_usable_password():
            _password_assigned(user=user, by=by, address=address)
        else:
            PasswordAssignment.objects.filter(user=user).delete()
            event_record(
                kind=AccountEvent.Kind.PASSWORD_DISABLED, by=by, subject=user, address=address
            )


def _password_assigned(*, user, by, address: str | None) -> None:
    now = timezone.now()
    PasswordAssignment.objects.update_or_create(user=user, defaults={"set_by": by, "set_at": now})
    user._must_set_password = True
    event_record(kind=AccountEvent.Kind.PASSWORD_SET, by=by, subject=user, address=address, now=now)


def password_changed_by_holder(*, user: User, address: str | None) -> None:
    """The account holder chose their own password (the old one was checked)."""
    with transaction.atomic():
        assigned = PasswordAssignment.objects.filter(user=user).first()
        detail = {}
        if assigned is not None:
            detail = {"replaced_password_set_by": assigned.set_by_id}
            assigned.delete()
        user._must_set_password = False  # type: ignore[attr-defined]
        event_record(
            kind=AccountEvent.Kind.PASSWORD_CHANGED,
            by=user,
            subject=user,
            detail=detail,
            address=address,
        )


def role_permissions_changed(
    *, group, by, before: Iterable[str], after: Iterable[str], address: str | None
) -> None:
    if not by.is_superuser:
        raise PermissionDenied("Only a superuser can change what a role may do.")
    before, after = set(before), set(after)
    if before == after:
        return
    event_record(
        kind=AccountEvent.Kind.ROLE_PERMISSIONS,
        by=by,
        subject_username=f"role {group.name}",
        detail={"added": sorted(after - before), "removed": sorted(before - after)},
        address=address,
    )


def lockouts_release(*, lockouts: Iterable[SignInLockout], by, address: str | None) -> int:
    """Clear the failed sign-ins of each username at each address, with a record."""
    User = get_user_model()
    released = 0
    with transaction.atomic():
        for username, ip_address in sorted({(x.username, x.ip_address) for x in lockouts}):
            rows = SignInLockout.objects.filter(username=username, ip_address=ip_address)
            failures = sum(rows.values_list("failures_since_start", flat=True))
            deleted, _ = rows.delete()
            if not deleted:
                continue
            account = (username or "").removesuffix(VERIFY_SUFFIX)
            event_record(
                kind=AccountEvent.Kind.LOCKOUT_RELEASED,
                by=by,
                subject=User.objects.filter(username=account).first(),
                subject_username=username or "",
                detail={"address": ip_address, "failures": failures},
                address=address,
            )
            released += 1
    return released
