from __future__ import annotations

import datetime as dt

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms
from django.utils import timezone

from billing import dashboard
from billing.models import Claim, ClaimExport, DenialAction, Payer
from billing.selectors import QUEUE_SORTS
from billing.services.bulk import MAX_BULK_CLAIMS
from billing.services.remittance import MAX_FILE_BYTES

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def reason_field() -> forms.CharField:
    """Why the biller does something that needs a reason (a hold, a release, a correction,
    the next action on a denial); as long as the reason columns hold."""
    return forms.CharField(
        max_length=500,
        widget=forms.TextInput(attrs={"placeholder": "Why"}),
        error_messages={"required": "Give a reason."},
    )


def optional_reason_field(label: str | None = None) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=500,
        required=False,
        error_messages={"max_length": "Keep the reason under 500 characters."},
    )


class CodeFilterField(forms.RegexField):
    """An optional filter on a code (a rule ID, a CARC) in a short box, upper-cased."""

    def __init__(
        self, regex: str, *, label: str, max_length: int, invalid: str, placeholder: str = ""
    ) -> None:
        attrs: dict[str, str | int] = {"placeholder": placeholder} if placeholder else {}
        super().__init__(
            regex,
            label=label,
            required=False,
            max_length=max_length,
            error_messages={"invalid": invalid},
            widget=forms.TextInput(attrs={**attrs, "size": 4}),
        )

    def clean(self, value: str) -> str:
        return super().clean(value).upper()


class QueueFilterForm(forms.Form):
    """Filters carry no PHI, so they live in the query string and can be bookmarked."""

    status = forms.ChoiceField(
        choices=[("", "Open (not void)"), *Claim.Status.choices], required=False
    )
    payer = forms.ModelChoiceField(queryset=Payer.objects.all(), required=False)
    date_from = forms.DateField(label="From", required=False, widget=DATE)
    date_to = forms.DateField(label="To", required=False, widget=DATE)
    rule = CodeFilterField(
        r"\A[Rr][0-9]{2}\Z",
        label="Rule ID",
        max_length=3,
        invalid="A rule ID looks like R31.",
        placeholder="R31",
    )
    # Only the keys of QUEUE_SORTS reach the query; the column headers link to them too.
    sort = forms.ChoiceField(
        label="Sort by",
        choices=[(key, label) for key, (label, _) in QUEUE_SORTS.items()],
        required=False,
        error_messages={"invalid_choice": "Choose an order from the list."},
    )
    # Set by the dashboard's links; kept through a change of the other filters.
    age = forms.ChoiceField(
        label="Unpaid, days since export",
        choices=[("", "Any"), *((b.key, b.label) for b in dashboard.AGE_BUCKETS)],
        required=False,
    )
    outcome = forms.ChoiceField(
        label="Outcome",
        choices=[("", "Any"), *((k, label) for k, (label, _) in dashboard.OUTCOMES.items())],
        required=False,
    )
    carc = CodeFilterField(
        r"\A[A-Za-z0-9]{1,5}\Z",
        label="Denial reason (CARC)",
        max_length=5,
        invalid="A CARC is up to five letters and digits, like 97.",
    )
    paid_in = forms.ChoiceField(
        label="Paid, days after export",
        choices=[("", "Any"), *((b.key, b.label) for b in dashboard.PAYMENT_BUCKETS)],
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.layout = Layout(
            Row(
                Column("status"),
                Column("payer"),
                Column("date_from"),
                Column("date_to"),
                Column("rule"),
                Column("sort"),
            ),
            # The dashboard's links set these; a biller may set them too.
            Row(Column("age"), Column("outcome"), Column("carc"), Column("paid_in")),
            Submit("filter", "Filter", css_class="btn-secondary"),
        )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", forms.ValidationError("Ends before it starts.", code="order"))
        return cleaned


class ClaimSearchForm(forms.Form):
    q = forms.CharField(
        label="Patient name or MRN",
        max_length=80,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "Name or MRN"}),
    )


class ReasonForm(forms.Form):
    reason = reason_field()


class RedecideForm(forms.Form):
    """Why a claim is decided again; optional (the queue's and the hold's buttons send none)."""

    reason = optional_reason_field()


class DashboardForm(forms.Form):
    """The dates of service the dashboard's figures cover (A/R aging is always as of today)."""

    date_from = forms.DateField(label="Dates of service from", required=False, widget=DATE)
    date_to = forms.DateField(label="To", required=False, widget=DATE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.layout = Layout(
            Row(Column("date_from"), Column("date_to")),
            Submit("show", "Show", css_class="btn-secondary"),
        )

    def clean(self):
        cleaned = super().clean()
        if "date_from" not in cleaned or "date_to" not in cleaned:
            return cleaned
        # An end left empty is today; a start left empty, the default period before the end.
        end = cleaned["date_to"] or timezone.localdate()
        start = cleaned["date_from"] or end - dt.timedelta(days=dashboard.DEFAULT_DAYS - 1)
        cleaned["date_from"], cleaned["date_to"] = start, end
        if end < start:
            self.add_error("date_to", forms.ValidationError("Ends before it starts.", code="order"))
        elif (end - start).days + 1 > dashboard.MAX_DAYS:
            self.add_error(
                "date_from",
                forms.ValidationError(
                    "Choose at most %(days)s days.",
                    code="long",
                    params={"days": dashboard.MAX_DAYS},
                ),
            )
        return cleaned


class X12UploadForm(forms.Form):
    file = forms.FileField(
        label="999, 277CA or 835 file",
        error_messages={
            "required": "Choose a file to import.",
            "empty": "The file is empty.",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "post"
        self.helper.form_action = "billing:import_create"
        self.helper.attrs = {"enctype": "multipart/form-data"}
        self.helper.layout = Layout("file", Submit("import", "Import", css_class="btn-primary"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                "The file is larger than %(mb)s MB.",
                code="size",
                params={"mb": MAX_FILE_BYTES // (1024 * 1024)},
            )
        return upload


# The next actions a biller may take on a denial, after an empty choice.
DENIAL_ACTION_CHOICES = [("", "Choose…"), *DenialAction.Action.choices]


class DenialActionForm(forms.Form):
    action = forms.ChoiceField(
        label="Next action",
        choices=DENIAL_ACTION_CHOICES,
        error_messages={
            "required": "Choose the next action.",
            "invalid_choice": "Choose an action from the list.",
        },
    )
    reason = reason_field()


class DenialFilterForm(forms.Form):
    payer = forms.ModelChoiceField(
        queryset=Payer.objects.all(), required=False, empty_label="Every payer"
    )


class ClaimIdsField(forms.Field):
    """The claims ticked in the queue: one or more claim ids, as many checkboxes send them."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {
        "required": "Select at least one claim.",
        "invalid": "The selection is not a list of claims.",
        "too_many": "Select at most %(limit)s claims at once.",
    }

    def to_python(self, value) -> list[int]:
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        ids = []
        for item in value:
            if not (isinstance(item, str) and item.isascii() and item.isdigit()):
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
            number = int(item)
            if not 0 < number < 2**31:
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
            ids.append(number)
        if len(set(ids)) > MAX_BULK_CLAIMS:
            raise forms.ValidationError(
                self.error_messages["too_many"], code="too_many", params={"limit": MAX_BULK_CLAIMS}
            )
        return sorted(set(ids))


class BulkActionForm(forms.Form):
    """Approve or hold the selected claims; a hold gives one reason for all of them."""

    claims = ClaimIdsField()
    action = forms.ChoiceField(
        choices=[("approve", "Approve"), ("hold", "Hold")],
        error_messages={
            "required": "Choose approve or hold.",
            "invalid_choice": "Choose approve or hold.",
        },
    )
    reason = optional_reason_field("Hold reason")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("action") == "hold" and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", forms.ValidationError("Give a reason.", code="required"))
        return cleaned


class ExportSelectionForm(forms.Form):
    claims = ClaimIdsField()
    format = forms.ChoiceField(
        choices=ClaimExport.Format.choices,
        error_messages={
            "required": "Choose 837P or CSV.",
            "invalid_choice": "Choose 837P or CSV.",
        },
    )


class CorrectionForm(forms.Form):
    frequency = forms.ChoiceField(
        choices=[
            (Claim.Frequency.REPLACEMENT, "Send a replacement (frequency 7)"),
            (Claim.Frequency.CANCEL, "Cancel with the payer (frequency 8)"),
        ],
        error_messages={
            "required": "Choose a replacement or a cancellation.",
            "invalid_choice": "Choose a replacement or a cancellation.",
        },
    )
    reason = reason_field()
