"""Failed sign-ins slow down one username at one address, never the account everywhere.

django-axes records every failure per username and client address (``AXES_LOCKOUT_PARAMETERS``).
After ``AXES_FAILURE_LIMIT`` failures that pair waits ``LOGIN_DELAY_FIRST_SECONDS`` before the
next try, and each further failure doubles the wait up to ``LOGIN_DELAY_MAX_SECONDS``. Tries
during a wait are refused before the password is checked and are not counted. A success, a
day without failures or an administrator's release clears the count.

The verify page's password box counts under its own name (``"<username> (verify)"``), so a
stranger at a workstation can slow down only that box for that verifier there, never the
verifier's own sign-in.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math

from axes.conf import settings as axes_settings
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import authenticate
from django.db.models import Max, Sum
from django.http import HttpRequest, HttpResponse

from accounts.selectors import must_set_password

# A credential passed to authenticate() by a page other than the sign-in page.
PURPOSE = "purpose"
VERIFY = "verify"
VERIFY_SUFFIX = " (verify)"


def client_address(request: HttpRequest) -> str | None:
    """The client's address. Behind the proxy (``DJANGO_BEHIND_PROXY``) it is the last entry
    of X-Forwarded-For, the one the proxy appended; anything before it came from the client
    and proves nothing. Otherwise, or when that entry is not an address, the peer's."""
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        last = forwarded.rsplit(",", 1)[-1].strip()
        try:
            return str(ipaddress.ip_address(last))
        except ValueError:
            pass
    return request.META.get("REMOTE_ADDR") or None


def lockout_username(request: HttpRequest, credentials: dict | None) -> str | None:
    """The name failures count under: the username, or for the verify page the username
    with a suffix no real username can carry (usernames have no spaces or brackets)."""
    if credentials:
        username = credentials.get(axes_settings.AXES_USERNAME_FORM_FIELD)
        purpose = credentials.get(PURPOSE)
    else:
        username = request.POST.get(axes_settings.AXES_USERNAME_FORM_FIELD)
        purpose = None
    if username and purpose == VERIFY:
        return f"{username}{VERIFY_SUFFIX}"
    return username


def delay_after(failures: int) -> dt.timedelta:
    """The wait after ``failures`` failures in a row (none below the limit)."""
    over = failures - settings.AXES_FAILURE_LIMIT
    if over < 0:
        return dt.timedelta(0)
    first, most = settings.LOGIN_DELAY_FIRST_SECONDS, settings.LOGIN_DELAY_MAX_SECONDS
    return dt.timedelta(seconds=min(first * 2 ** min(over, 32), most))


def blocked_until(failures: int, last_failure: dt.datetime | None) -> dt.datetime | None:
    if last_failure is None or failures < settings.AXES_FAILURE_LIMIT:
        return None
    return last_failure + delay_after(failures)


def attempt_time(request: HttpRequest) -> dt.datetime:
    """When this sign-in attempt was made, as axes stamped it on the request."""
    when: dt.datetime = request.axes_attempt_time  # type: ignore[attr-defined]
    return when


class ThrottlingHandler(AxesDatabaseHandler):
    """axes' database handler with a growing wait instead of a fixed lockout."""

    def blocked_until(self, request: HttpRequest, credentials: dict | None = None):
        """When the username at this address may try again, or None if it may now."""
        failures, last = 0, None
        for attempts in self.get_user_attempts(request, credentials):
            counted = attempts.aggregate(n=Sum("failures_since_start"), last=Max("attempt_time"))
            if (counted["n"] or 0) > failures:
                failures, last = counted["n"], counted["last"]
        until = blocked_until(failures, last)
        if until is None or until <= attempt_time(request):
            return None
        return until

    def is_locked(self, request, credentials=None) -> bool:
        if not axes_settings.AXES_LOCK_OUT_AT_FAILURE:
            return False
        return self.blocked_until(request, credentials) is not None


def wait_message(request: HttpRequest, credentials: dict | None) -> str:
    """What the person at the keyboard reads while the username waits at this address."""
    AxesProxyHandler.update_request(request)
    until = AxesProxyHandler.get_implementation().blocked_until(request, credentials)
    seconds = (until - attempt_time(request)).total_seconds() if until else 60
    minutes = max(1, math.ceil(seconds / 60))
    what = "verifications" if (credentials or {}).get(PURPOSE) == VERIFY else "sign-ins"
    return (
        f"Too many failed {what} for this username from this computer. Try again in "
        f"{minutes} minute{'s' if minutes != 1 else ''}, or ask an administrator to release "
        "the lock."
    )


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """The page itself (which says how long to wait, next to the form) as 429."""
    if original_response is None:
        return HttpResponse(wait_message(request, credentials), status=429)
    if original_response.status_code == 200:
        original_response.status_code = 429
    return original_response


def verifier_authenticate(request: HttpRequest, username: str, password: str):
    """The clinician who typed their own password into the verify page, or None and why not.

    Failures count for that username at this address under the verify page's own name, and
    a password that someone else set is not enough: whoever set it could be verifying."""
    credentials = {"username": username, "password": password, PURPOSE: VERIFY}
    verifier = authenticate(request, **credentials)
    if verifier is None:
        if getattr(request, "axes_locked_out", False):
            return None, wait_message(request, credentials)
        return None, "Username or password is not correct."
    axes_reset(ip=client_address(request), username=lockout_username(request, credentials))
    if must_set_password(verifier):
        return None, (
            "This clinician's password was set by an administrator. They must sign in and "
            "choose their own before they can verify."
        )
    return verifier, None
