"""Who may do what in refill documentation.

A missing role is a 403; an object outside the user's reach is a 404 (the selectors return
only what a user may see, so nothing hints that other records exist).
"""

from __future__ import annotations

from django.contrib.auth.mixins import PermissionRequiredMixin

from refills.models import Role


def has_role(user, *roles: Role) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    names = {r.value for r in roles}
    return any(g.name in names for g in user.groups.all())


def can_document(user) -> bool:
    return user.has_perm("refills.add_encounter")


def can_view_documentation(user) -> bool:
    return user.has_perm("refills.view_encounter")


def can_verify(user) -> bool:
    return user.has_perm("refills.verify_encounter")


def can_record_visit(user) -> bool:
    return user.has_perm("refills.add_providervisit")


def can_register_patient(user) -> bool:
    return user.has_perm("refills.add_patient")


class PermissionRequired(PermissionRequiredMixin):
    """403 for a logged-in user without the permission (login itself is enforced globally)."""

    raise_exception = True
