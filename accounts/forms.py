"""Sign-in, the holder's own password, and the account forms of the admin."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Layout, Submit
from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, UserChangeForm
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.urls import reverse
from django.utils.html import format_html

from accounts import lockout
from accounts.services import ACCESS_FIELDS, ADMIN_ASSIGNABLE, roles_refusal


class LoginForm(AuthenticationForm):
    """Django's form sets the username's length limit on the widget only; a longer name
    would reach the backends and the lockout log (a 255-character column) unchecked."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Your username and password did not match. Both are case-sensitive.",
    }

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        username = self.fields["username"]
        username.validators.append(MaxLengthValidator(username.max_length))

    def get_invalid_login_error(self):
        if getattr(self.request, "axes_locked_out", False):
            message = lockout.wait_message(
                self.request, {"username": self.cleaned_data.get("username")}
            )
            return ValidationError(message, code="throttled")
        return super().get_invalid_login_error()


class OwnPasswordForm(PasswordChangeForm):
    """The holder's own password. Cancel goes back to the start page; while the account is
    held until the holder chooses a password, there is nowhere else to go, so Cancel signs
    out instead."""

    def __init__(self, *args, held: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.attrs = {"novalidate": True, "data-guard": "unsaved"}
        if self.is_bound:
            self.helper.attrs["data-unsaved"] = "true"
        if held:
            cancel = format_html(
                '<button type="submit" formaction="{}" formnovalidate '
                'class="btn btn-outline-secondary ms-2" data-leave>Cancel</button>'
                '<span class="small text-body-secondary ms-2">(signs you out)</span>',
                reverse("logout"),
            )
        else:
            cancel = format_html(
                '<a class="btn btn-outline-secondary ms-2" href="{}" data-leave>Cancel</a>',
                reverse("home"),
            )
        self.helper.layout = Layout(
            "old_password",
            "new_password1",
            "new_password2",
            Submit("save", "Change password"),
            HTML(cancel),
        )


REASON_HELP = (
    "Why the access changes (required for a change of roles, active status or rights). "
    "Kept in the account's audit trail."
)


class StaffUserChangeForm(UserChangeForm):
    """The account form of the admin. The admin gives it the fields the signed-in person
    may change (see ``StaffUserAdmin``); ``actor`` is that person."""

    reason = forms.CharField(
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=REASON_HELP,
    )
    actor = None

    def clean(self):
        cleaned = super().clean()
        if "groups" in self.fields and "groups" in cleaned and self.actor is not None:
            before = (
                {group.name for group in self.instance.groups.all()} if self.instance.pk else set()
            )
            after = {group.name for group in cleaned["groups"]}
            refusal = roles_refusal(self.actor, self.instance, before, after)
            if refusal:
                self.add_error("groups", refusal)
        if ACCESS_FIELDS & set(self.changed_data) and not cleaned.get("reason", "").strip():
            self.add_error("reason", "Say why the access changes.")
        return cleaned


def staff_roles_help() -> str:
    return "Roles an administrator may grant: " + ", ".join(sorted(ADMIN_ASSIGNABLE)) + "."
