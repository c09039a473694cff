"""Forms validate and convert; the services save."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import cast

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Fieldset, Layout, Row, Submit
from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from localflavor.us.forms import USZipCodeField
from localflavor.us.us_states import USPS_CHOICES

from refills import ndc, safety
from refills.models import Encounter, Order, Patient, ProviderVisit, Role
from refills.services import (
    CORRECTABLE_FIELDS,
    ENCOUNTER_FIELDS,
    ORDER_FIELDS,
    RefillError,
    hard_stops,
)
from refills.services import diagnosis_codes_clean as _diagnosis_codes_clean

User = get_user_model()

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _help(text: str) -> HTML:
    return HTML(f'<p class="form-text mt-0 mb-2">{text}</p>')


def _row(*fields: str) -> Row:
    """The fields side by side, one column each."""
    return Row(*(Column(field) for field in fields))


def _form_helper(*layout: object) -> FormHelper:
    """A helper laying out a form the server validates. The browser's own checks stop at the
    first missing field with a generic bubble; the server reports every problem at once, in
    the summary at the top and at each field."""
    helper = FormHelper()
    helper.attrs = {"novalidate": True}
    helper.layout = Layout(*layout)
    return helper


class DiagnosisCodesField(forms.CharField):
    """Comma- or space-separated ICD-10-CM codes, with or without the dot."""

    default_error_messages = {"icd10": "%(message)s"}

    def to_python(self, value):
        text = super().to_python(value) or ""
        raw = [c for c in text.replace(",", " ").replace(";", " ").split() if c]
        try:
            return _diagnosis_codes_clean(raw)
        except RefillError as exc:
            raise forms.ValidationError(
                self.error_messages["icd10"], code="icd10", params={"message": exc.message}
            ) from exc


def practitioners():
    return (
        User.objects.filter(
            is_active=True,
            groups__name=Role.PROVIDER,
            clinician__credential__in=["MD", "DO", "NP", "PA"],
        )
        .select_related("clinician")
        .order_by("last_name", "first_name")
        .distinct()
    )


class NDCField(forms.CharField):
    """An NDC typed from the label or scanned from its barcode, cleaned to 11 digits.

    ``stocked`` returns the 11-digit NDCs that settle ten digits without hyphens (a scan):
    with none, such input is refused as ambiguous.
    """

    def __init__(self, *, stocked=None, **kwargs):
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)
        self.stocked = stocked or (lambda: ())
        self.widget.attrs.setdefault("autocomplete", "off")
        self.widget.attrs.setdefault("spellcheck", "false")

    def to_python(self, value):
        text = super().to_python(value)
        if text in self.empty_values:
            return ""
        try:
            return ndc.normalize(text, stocked=self.stocked())
        except ndc.NDCError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from exc


class SubmissionTokenField(forms.UUIDField):
    """The one-time token of a form that creates a record.

    A missing or mangled token only loses the protection against a double submission, so
    it is dropped rather than refused: the nurse's entry is never lost over it.
    """

    widget = forms.HiddenInput

    def to_python(self, value):
        try:
            return super().to_python(value)
        except ValidationError:
            return None


class PractitionerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.clinician.display_name


class ServiceSavedModelForm(forms.ModelForm):
    """A model form whose service runs full_clean (constraints included) when it saves: the
    form's job is field conversion and showing the checks' messages at their fields."""

    def _post_clean(self):
        pass

    def add_field_errors(self, errors: Mapping[str, str], code: str) -> None:
        """Each of ``errors`` ({field: message}) at its field, unless the form has no such
        field or the field already has an error."""
        for field, message in errors.items():
            if field in self.fields and field not in self.errors:
                self.add_error(field, forms.ValidationError(message, code=code))


class PatientSearchForm(forms.Form):
    q = forms.CharField(
        label="Find a patient",
        max_length=80,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "Name or MRN", "autofocus": True}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True


# The states, DC, the territories and the military "states" the USPS delivers to.
_USPS_CODES = frozenset(code for code, _ in USPS_CHOICES)


class PatientForm(forms.ModelForm):
    diagnosis_codes = DiagnosisCodesField(
        label="Active cancer diagnoses (ICD-10-CM)",
        max_length=200,
        help_text="Billable codes, separated by commas, for example C18.9, C78.7.",
    )
    postal_code = USZipCodeField(
        label="ZIP code",
        error_messages={"invalid": "Enter the ZIP code as 12345 or 12345-6789."},
    )

    class Meta:
        model = Patient
        fields = [
            "mrn",
            "last_name",
            "first_name",
            "date_of_birth",
            "sex",
            "address_line1",
            "address_line2",
            "city",
            "state",
            "postal_code",
            "allergies",
            "height_cm",
        ]
        widgets = {"date_of_birth": DATE, "allergies": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["diagnosis_codes"] = ", ".join(
                d.code for d in self.instance.diagnoses.all()
            )
        self.helper = _form_helper(
            Fieldset(
                "Identity",
                _help("As on the insurance card: the claim carries these exactly."),
                _row("mrn", "last_name", "first_name"),
                _row("date_of_birth", "sex"),
            ),
            Fieldset(
                "Address",
                _help("The patient's home address, as the payer has it."),
                "address_line1",
                "address_line2",
                _row("city", "state", "postal_code"),
            ),
            Fieldset("Diagnoses", "diagnosis_codes"),
            Fieldset(
                "Clinical",
                _help("Shown on every clinical page of the patient."),
                "allergies",
                "height_cm",
            ),
            Submit("save", "Save patient"),
        )

    def clean_state(self):
        state = self.cleaned_data["state"].strip().upper()
        if state not in _USPS_CODES:
            raise forms.ValidationError(
                "Use the two-letter USPS code of a US state or territory, for example IL.",
                code="state",
            )
        return state

    def clean_date_of_birth(self):
        born = self.cleaned_data["date_of_birth"]
        if born > timezone.localdate():
            raise forms.ValidationError("The date of birth cannot be in the future.", code="future")
        return born

    def clean_mrn(self):
        return self.cleaned_data["mrn"].strip()


class EncounterForm(ServiceSavedModelForm):
    supervising_practitioner = PractitionerChoiceField(
        queryset=User.objects.none(),
        required=False,
        help_text="The physician, NP or PA available in the office during the refill.",
    )
    submission_id = SubmissionTokenField(required=False)
    drug_ndc = NDCField(
        label="NDC",
        required=False,
        stocked=ndc.stocked,
        help_text="As on the label, with its hyphens (63323-117-10), or scan the barcode.",
    )
    drug_discarded_mg = forms.DecimalField(
        label="Discarded (mg)",
        required=False,
        min_value=0,
        max_digits=8,
        decimal_places=2,
        help_text="Left in the vial and thrown away; empty or 0 when none.",
    )
    drug_supplied_by_practice = forms.BooleanField(
        label="The practice supplied the drug (not brought by the patient)",
        required=False,
        initial=True,
    )

    class Meta:
        model = Encounter
        fields = list(ENCOUNTER_FIELDS)
        widgets = {
            "date_of_service": DATE,
            "weight_measured_on": DATE,
            "cbc_collected_on": DATE,
            "cmp_collected_on": DATE,
            "drug_expires_on": DATE,
            "infusion_started_at": DATETIME,
            "tolerance_notes": forms.Textarea(attrs={"rows": 2}),
            "adverse_reaction": forms.Textarea(attrs={"rows": 2}),
        }
        error_messages = {
            "weight_kg": {"required": "Weigh the patient today and enter the weight."},
            "drug_lot": {"required": "Enter the lot number from the drug label."},
            "drug_expires_on": {"required": "Enter the expiry date from the drug label."},
            "infusion_started_at": {"required": "Enter when the infusion started."},
            "adverse_reaction": {"required": 'Answer this: write "none" or describe it.'},
        }

    def __init__(
        self,
        *args,
        now=None,
        order_for: Callable[[dt.date], tuple[Order | None, str]] | None = None,
        tolerance_percent: Decimal = Decimal("5"),
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.now = now or timezone.now()
        # The order a refill on a given day is checked against, or why there is none.
        self.order_for = order_for
        self.tolerance_percent = tolerance_percent
        self.order: Order | None = None
        if self.instance.pk:
            del self.fields["submission_id"]
        elif not self.is_bound:
            self.initial["submission_id"] = uuid.uuid4()
        cast(
            forms.ModelChoiceField, self.fields["supervising_practitioner"]
        ).queryset = practitioners()
        cast(forms.DateTimeField, self.fields["infusion_started_at"]).input_formats = [
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%d %H:%M",
        ]
        for name in (
            "weight_kg",
            "drug_concentration_mg_ml",
            "drug_dose_mg",
            "drug_volume_ml",
            "rate_ml_h",
            "pump_volume_ml",
        ):
            self.fields[name].widget.attrs["inputmode"] = "decimal"
        self.helper = _form_helper(
            Fieldset(
                "1. Visit",
                _help("Date and place of the refill, and who supervised it."),
                _row("date_of_service", "place_of_service"),
                "supervising_practitioner",
            ),
            Fieldset(
                "2. Assessment and labs",
                _help("Today's weight; CBC and CMP drawn within the lab window."),
                _row("weight_kg", "weight_measured_on"),
                _row("cbc_collected_on", "cmp_collected_on"),
                _row("anc", "platelets", "creatinine"),
                "tolerance_notes",
            ),
            Fieldset(
                "3. Drug",
                _help(
                    "Filled in from the order: check each value against the label. A second "
                    "clinician checks the pump blind."
                ),
                _row("drug_name", "drug_antineoplastic"),
                _row("drug_concentration_mg_ml", "drug_dose_mg", "drug_volume_ml"),
                _row("drug_lot", "drug_expires_on", "drug_ndc"),
                _row("drug_discarded_mg", "drug_supplied_by_practice"),
            ),
            Fieldset(
                "4. Pump",
                _help("Program, prime and watch it run before the patient leaves."),
                _row("pump_type", "service"),
                _row("pump_model", "pump_serial"),
                _row("rate_ml_h", "pump_volume_ml"),
                _row("pump_programmed", "pump_primed", "pump_function_verified"),
            ),
            Fieldset(
                "5. Teaching",
                _help("Alarms and site care, with teach-back."),
                _row("teaching_alarms", "teaching_site_care"),
                _row("taught_person", "teach_back_done"),
            ),
            Fieldset(
                "6. Infusion start and departure",
                _help("Time in the clinic's time zone."),
                "infusion_started_at",
                "adverse_reaction",
            ),
            Fieldset(
                "7. Other procedures today",
                _help("Only what you saw done; billing decides what may be reported."),
                _row("port_flush", "blood_draw", "other_chemo"),
            ),
            Submit("save", "Save draft"),
        )
        if "submission_id" in self.fields:
            self.helper.layout.insert(0, "submission_id")

    def clean_adverse_reaction(self):
        return self.cleaned_data["adverse_reaction"].strip()

    def clean_drug_discarded_mg(self):
        return self.cleaned_data["drug_discarded_mg"] or Decimal("0")

    def clean_drug_lot(self):
        return self.cleaned_data["drug_lot"].strip().upper()

    def clean(self):
        cleaned = super().clean()
        self.add_field_errors(hard_stops(cleaned, now=self.now), "hard_stop")
        self.add_field_errors(safety.impossible_values(cleaned), "impossible")
        day = cleaned.get("date_of_service")
        if self.order_for is not None and day is not None and "date_of_service" not in self.errors:
            self.order, problem = self.order_for(day)
            if self.order is None:
                # At the date: the order in force on it is what is missing.
                self.add_error("date_of_service", forms.ValidationError(problem, code="no_order"))
            else:
                found = safety.entry_errors(
                    cleaned, self.order, tolerance_percent=self.tolerance_percent
                )
                for field, message in found.items():
                    if field not in self.errors:
                        self.add_error(field, forms.ValidationError(message, code="order"))
        return cleaned


class VerificationForm(forms.Form):
    username = forms.CharField(
        label="Your username", max_length=150, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    password = forms.CharField(
        label="Your password",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    drug_concentration_mg_ml = forms.DecimalField(
        label="Concentration on the label (mg/mL)", max_digits=8, decimal_places=3, min_value=0
    )
    rate_ml_h = forms.DecimalField(
        label="Rate programmed on the pump (mL/h)", max_digits=6, decimal_places=2, min_value=0
    )
    pump_volume_ml = forms.DecimalField(
        label="Volume programmed on the pump (mL)", max_digits=7, decimal_places=2, min_value=0
    )
    label_checked = forms.BooleanField(
        label="I checked the patient, drug name, lot and expiry against the label.",
        error_messages={"required": "Check the label before you verify."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("drug_concentration_mg_ml", "rate_ml_h", "pump_volume_ml"):
            self.fields[name].widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})
        self.helper = _form_helper(
            Fieldset(
                "Second clinician",
                _help("Sign in as yourself. The first nurse's entry is hidden until you submit."),
                _row("username", "password"),
            ),
            Fieldset(
                "Independent check",
                _help("Read the concentration on the label, the rate and volume on the pump."),
                _row("drug_concentration_mg_ml", "rate_ml_h", "pump_volume_ml"),
                "label_checked",
            ),
            Submit("verify", "Verify"),
        )


class SignForm(forms.Form):
    attest = forms.BooleanField(
        label="I performed this refill and the documentation is complete and accurate.",
        error_messages={"required": "Confirm the attestation to sign."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout("attest", Submit("sign", "Sign and lock"))


class AddendumForm(forms.Form):
    text = forms.CharField(
        label="Addendum",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What you add or correct, and why. The signed record stays as it was.",
    )

    reason = forms.CharField(
        label="Reason for correcting a refill you did not sign",
        max_length=500,
        required=False,
        help_text="Required unless you signed this refill; the nurse who signed it is told.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in CORRECTABLE_FIELDS:
            model_field = Encounter._meta.get_field(name)
            label = f"Correct: {model_field.verbose_name}"
            if isinstance(model_field, type(Encounter._meta.get_field("pump_primed"))):
                field = forms.NullBooleanField(
                    label=label,
                    required=False,
                    widget=forms.Select(
                        choices=[("unknown", "Unchanged"), ("true", "Yes"), ("false", "No")]
                    ),
                )
            elif name.endswith("_on"):
                field = forms.DateField(label=label, required=False, widget=DATE)
            else:
                field = forms.CharField(label=label, required=False, max_length=2000)
            self.fields[name] = field
        self.helper = _form_helper(
            "text",
            "reason",
            Fieldset(
                "Corrections (optional)",
                _help("Leave a field unchanged unless this addendum corrects it."),
                *CORRECTABLE_FIELDS,
            ),
            Submit("add", "Add addendum"),
        )

    def corrections(self) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in CORRECTABLE_FIELDS
            if self.cleaned_data.get(name) not in (None, "")
        }


class OrderForm(ServiceSavedModelForm):
    attest = forms.BooleanField(
        label="I prescribe this order and sign it.",
        error_messages={"required": "Confirm that you sign the order."},
    )

    class Meta:
        model = Order
        fields = list(ORDER_FIELDS)
        widgets = {
            "valid_from": DATE,
            "valid_to": DATE,
            "notes": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "dose_mg": "The dose to give, after rounding the calculated dose.",
            "rate_ml_h": "Final volume divided by the duration.",
        }

    def __init__(self, *args, today: dt.date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()
        for field in self.fields.values():
            if isinstance(field, forms.DecimalField):
                field.widget.attrs["inputmode"] = "decimal"
        self.helper = _form_helper(
            Fieldset(
                "Drug and dose",
                _help(
                    "Body surface area by Mosteller: √(height cm \N{MULTIPLICATION SIGN} "
                    "weight kg / 3600). The calculated dose is shown as you type and kept "
                    "with the order."
                ),
                _row("drug_name", "dose_basis", "dose_per_basis"),
                _row("dosing_height_cm", "dosing_weight_kg"),
                HTML('<p class="form-text" id="order-calculation" aria-live="polite"></p>'),
                "dose_mg",
            ),
            Fieldset(
                "Pump",
                _row("concentration_mg_ml", "final_volume_ml", "infusion_hours", "rate_ml_h"),
            ),
            Fieldset(
                "Treatment parameters",
                _help("The nurse cannot sign a refill outside these until you override it."),
                _row("anc_min", "platelets_min", "creatinine_max"),
            ),
            Fieldset(
                "Validity",
                _row("cycles", "valid_from", "valid_to"),
                "notes",
            ),
            "attest",
            Submit("sign", "Sign order"),
        )

    def clean_drug_name(self):
        return self.cleaned_data["drug_name"].strip()

    def clean(self):
        cleaned = super().clean()
        self.add_field_errors(safety.order_errors(cleaned, today=self.today), "order")
        return cleaned


class OrderDiscontinueForm(forms.Form):
    discontinue_reason = forms.CharField(
        label="Reason", max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _form_helper(
            "discontinue_reason", Submit("discontinue", "Discontinue", css_class="btn-danger")
        )


class OverrideForm(forms.Form):
    reason = forms.CharField(
        label="Your decision and its reason",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example: dose confirmed at the new weight; ANC 1.2 accepted, recheck "
        "in a week.",
    )
    password = forms.CharField(
        label="Your password",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Re-enter your password to sign the override.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _form_helper("reason", "password", Submit("override", "Override"))


class ProviderVisitForm(forms.ModelForm):
    diagnosis_codes = DiagnosisCodesField(
        label="Diagnoses for this visit (ICD-10-CM)",
        required=False,
        max_length=200,
        help_text="The problem you evaluated, for example R11.0; the cancer codes are added.",
    )

    class Meta:
        model = ProviderVisit
        # Who performed it is the signed-in provider, billed with the role of their own
        # profile (credential, NPI): never a choice on the form.
        fields = ["date_of_service", "em_code", "separately_identifiable", "note"]
        widgets = {"date_of_service": DATE, "note": forms.Textarea(attrs={"rows": 5})}
        labels = {"separately_identifiable": "Significant, separately identifiable service"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _form_helper(
            _row("date_of_service", "em_code"),
            "separately_identifiable",
            "note",
            "diagnosis_codes",
            Submit("save", "Record visit"),
        )


class ProviderVisitCorrectionForm(ProviderVisitForm):
    """The provider's own visit, corrected: everything but the day, and why."""

    reason = forms.CharField(
        label="Why is the visit corrected?",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say why the visit is corrected."},
    )

    class Meta(ProviderVisitForm.Meta):
        fields = ["em_code", "separately_identifiable", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and "diagnosis_codes" not in self.initial:
            self.initial["diagnosis_codes"] = ", ".join(self.instance.diagnoses)
        self.helper = _form_helper(
            "em_code",
            "separately_identifiable",
            "note",
            "diagnosis_codes",
            "reason",
            Submit("save", "Save correction"),
        )


class ProviderVisitWithdrawForm(forms.Form):
    reason = forms.CharField(
        label="Why is the visit withdrawn?",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say why the visit is withdrawn."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _form_helper(
            "reason", Submit("withdraw", "Withdraw visit", css_class="btn-danger")
        )
