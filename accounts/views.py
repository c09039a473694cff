"""Sign-in and the holder's own password."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse_lazy
from django.views.decorators.http import require_http_methods

from accounts import lockout, services
from accounts.forms import LoginForm, OwnPasswordForm
from accounts.selectors import must_set_password
from config.middleware import idle_seconds_left, mark_background

# Set at sign-in while the account's password is one someone else chose.
HOLD_KEY = "accounts_held_until_own_password"


class SignInView(auth_views.LoginView):
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        if must_set_password(form.get_user()):
            self.request.session[HOLD_KEY] = True
            return redirect("accounts:password_change")
        return response


class OwnPasswordView(auth_views.PasswordChangeView):
    form_class = OwnPasswordForm
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("home")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "held": self.request.session.get(HOLD_KEY, False)}

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "must_set": self.request.session.get(HOLD_KEY, False),
        }

    def form_valid(self, form):
        response = super().form_valid(form)
        services.password_changed_by_holder(
            user=form.user, address=lockout.client_address(self.request)
        )
        self.request.session.pop(HOLD_KEY, None)
        messages.success(self.request, "Password changed.")
        return response


@login_not_required
@require_http_methods(["GET", "POST"])
def session_idle(request: HttpRequest) -> JsonResponse:
    """The idle countdown's endpoint. GET: seconds until the idle logoff, asked by the page on
    its own, so it does not postpone it. POST ("Stay signed in"): the person is here, and the
    session's idle time starts again. Without a session both answer 0."""
    if request.method == "GET":
        mark_background(request)
        return JsonResponse({"seconds_left": idle_seconds_left(request)})
    if not request.user.is_authenticated:
        return JsonResponse({"seconds_left": 0})
    return JsonResponse({"seconds_left": settings.SESSION_COOKIE_AGE})
