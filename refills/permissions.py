"""Who may do what in refill documentation.

A missing role is a 403; an object outside the user's reach is a 404 (the selectors return
only what a user may see, so nothing hints that other records exist).
"""

from __future__ import annotations

from refills.models import Role


def has_role(user, *roles: Role) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    names = {r.value for r in roles}
    return any(g.name in names for g in user.groups.all())
