"""An account signed in with a password someone else chose goes nowhere but to the page
where its holder chooses their own (and may sign out)."""

from __future__ import annotations

from django.shortcuts import redirect
from django.urls import reverse

from accounts.views import HOLD_KEY


class OwnPasswordMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.session.get(HOLD_KEY) and request.path not in {
            reverse("accounts:password_change"),
            reverse("accounts:session_idle"),
            reverse("logout"),
        }:
            return redirect("accounts:password_change")
        return self.get_response(request)
