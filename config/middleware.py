"""Pages and files the app makes carry patient data: the browser must not keep them; and
sessions end after SESSION_IDLE_SECONDS without a request from the person."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware
from django.utils.cache import add_never_cache_headers


class NoStoreMiddleware:
    """Cache-Control: no-store on every response Django makes. Static files are served by
    WhiteNoise before this middleware, with their own caching."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        add_never_cache_headers(response)
        return response


# When the person behind the session last made a request (seconds since the epoch).
ACTIVE_AT_KEY = "active_at"


def mark_background(request) -> None:
    """This request was made by a page on its own (a form saving its draft, the idle countdown
    asking how long is left), not by the person: it must not postpone the idle logoff."""
    request.background = True


class IdleSessionMiddleware(SessionMiddleware):
    """Django's session middleware, with an idle logoff that only a person's requests postpone.

    Every other request saves the session (SESSION_SAVE_EVERY_REQUEST), moving its expiry to
    SESSION_IDLE_SECONDS from now, and notes the time in the session so a page can tell how
    long is left. A background request is answered without saving the session, so neither
    moves.
    """

    def process_response(self, request, response):
        session = getattr(request, "session", None)
        if session is None:
            return super().process_response(request, response)
        if getattr(request, "background", False) and not session.modified:
            return response
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            session[ACTIVE_AT_KEY] = int(time.time())
        return super().process_response(request, response)


def idle_seconds_left(request) -> int:
    """Seconds until the session ends for idleness; 0 when there is no signed-in session."""
    if not request.user.is_authenticated:
        return 0
    active_at = request.session.get(ACTIVE_AT_KEY)
    if active_at is None:
        return settings.SESSION_COOKIE_AGE
    return max(0, int(active_at + settings.SESSION_COOKIE_AGE - time.time()))
