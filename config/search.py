"""Search terms kept in the session, so names and MRNs never appear in URLs or access logs.

A search form is POSTed; the term is stored under a key and the view redirects to a plain
GET page (which paginates with ?page=N only).
"""

from __future__ import annotations

from anyascii import anyascii
from django.http import HttpRequest

SESSION_KEY = "searches"


def remember(request: HttpRequest, key: str, terms: dict[str, str]) -> None:
    searches = request.session.get(SESSION_KEY, {})
    searches[key] = {k: v for k, v in terms.items() if v}
    request.session[SESSION_KEY] = searches


def recall(request: HttpRequest, key: str) -> dict[str, str]:
    return dict(request.session.get(SESSION_KEY, {}).get(key, {}))


def fold(text: str) -> str:
    """Text as search compares it: accents and case dropped, spaces collapsed ("García" and
    "garcia" both give "garcia"), the same on every database."""
    return " ".join(anyascii(text).casefold().split())
