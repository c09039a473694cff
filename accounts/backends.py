"""A password someone else set is not enough to sign or verify documentation."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from accounts.selectors import must_set_password

# The two acts of the blind double check: each stands for "this clinician, and no one else".
PERSONAL_ACTS = frozenset({"refills.sign_encounter", "refills.verify_encounter"})


class OwnPasswordBackend:
    """Authenticates no one and loads no one (no get_user, so sessions never name it).
    Before ModelBackend in AUTHENTICATION_BACKENDS, it denies the personal acts to an account
    whose password was set by someone else (PermissionDenied from a backend ends the
    permission check as False) until its holder chooses their own."""

    def authenticate(self, request, **credentials):
        return None

    def has_perm(self, user_obj, perm, obj=None) -> bool:
        if perm in PERSONAL_ACTS and user_obj.is_authenticated and must_set_password(user_obj):
            raise PermissionDenied
        return False
