"""The audit trail page of a record (a patient, a refill, a claim): who changed what, when
and why, from the record's history."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def audit_page(
    request: HttpRequest, *, title: str, patient: Any, back: str, entries: Sequence[Any]
) -> HttpResponse:
    """``patient``: whose record it is (the page's banner); ``back``: the record's page."""
    return render(
        request,
        "audit.html",
        {"title": title, "subject": patient, "back": back, "entries": entries},
    )
