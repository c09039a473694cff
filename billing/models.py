"""Payers, prices and claims. Status changes happen only in ``billing.services``."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from localflavor.us.models import USPostalCodeField, USZipCodeField
from simple_history.models import HistoricalRecords

from billing.validators import (
    is_po_box,
    normalize_identifier,
    normalize_mbi,
    validate_ein,
    validate_group_number,
    validate_mbi,
    validate_member_id,
)
from config.constraints import check, unique
from config.records import WrittenOnce
from refills.models import Encounter, Patient
from refills.ndc import validate_ndc11
from refills.validators import validate_npi


def dates_ordered(name: str, message: str, *, open_start: bool = False) -> models.CheckConstraint:
    """A dated row's end (when it has one) is not before its start; with ``open_start`` the
    start may be missing too."""
    condition = Q(effective_to__isnull=True)
    if open_start:
        condition |= Q(effective_from__isnull=True)
    return check(name, condition | Q(effective_to__gte=F("effective_from")), message)


class ClaimFilingIndicator(models.TextChoices):
    """The claim filing indicator (837P SBR09), the 005010X222A1 code list."""

    OTHER_NON_FEDERAL = "11", "11 Other non-federal programs"
    PPO = "12", "12 Preferred provider organization (PPO)"
    POS = "13", "13 Point of service (POS)"
    EPO = "14", "14 Exclusive provider organization (EPO)"
    INDEMNITY = "15", "15 Indemnity insurance"
    HMO_MEDICARE_RISK = "16", "16 HMO Medicare risk"
    DENTAL_MAINTENANCE = "17", "17 Dental maintenance organization"
    AUTOMOBILE_MEDICAL = "AM", "AM Automobile medical"
    BLUE_CROSS_BLUE_SHIELD = "BL", "BL Blue Cross/Blue Shield"
    TRICARE = "CH", "CH CHAMPUS (TRICARE)"
    COMMERCIAL = "CI", "CI Commercial insurance company"
    DISABILITY = "DS", "DS Disability"
    FEDERAL_EMPLOYEES = "FI", "FI Federal Employees Program"
    HMO = "HM", "HM Health maintenance organization"
    LIABILITY_MEDICAL = "LM", "LM Liability medical"
    MEDICARE_PART_A = "MA", "MA Medicare Part A"
    MEDICARE_PART_B = "MB", "MB Medicare Part B"
    MEDICAID = "MC", "MC Medicaid"
    OTHER_FEDERAL = "OF", "OF Other federal program"
    TITLE_V = "TV", "TV Title V"
    VETERANS_AFFAIRS = "VA", "VA Veterans Affairs plan"
    WORKERS_COMPENSATION = "WC", "WC Workers' compensation health claim"
    MUTUALLY_DEFINED = "ZZ", "ZZ Mutually defined"


class Payer(models.Model):
    class Program(models.TextChoices):
        MEDICARE = "medicare", "Medicare"
        COMMERCIAL = "commercial", "Commercial"

    ClaimFiling = ClaimFilingIndicator

    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=60)
    program = models.CharField(max_length=12, choices=Program.choices)
    claim_filing_indicator = models.CharField(
        max_length=2,
        choices=ClaimFiling.choices,
        help_text="837P SBR09. Medicare (the program) files MB, Part B; only Medicare files "
        "MA or MB.",
    )
    x12_payer_id = models.CharField("X12 payer ID", max_length=80)
    allows_99211_with_drug_admin = models.BooleanField(
        "allows 99211 with drug administration",
        default=False,
        help_text="Policy: the payer pays 99211 on the same day as a drug administration.",
    )
    modifier25_requires_note = models.BooleanField(
        "modifier 25 requires the E/M note",
        default=False,
        help_text="Policy: the payer wants the E/M note attached to modifier-25 claims.",
    )
    active = models.BooleanField(default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        constraints = [
            check(
                "payer_program_valid",
                Q(program__in=["medicare", "commercial"]),
                "The program must be Medicare or commercial.",
            ),
            # A professional claim to Medicare is Part B; a Part A or B indicator for any
            # other program would send the claim to the wrong adjudication.
            check(
                "payer_claim_filing_indicator_valid",
                Q(program="medicare", claim_filing_indicator="MB")
                | (
                    ~Q(program="medicare")
                    & Q(claim_filing_indicator__in=ClaimFilingIndicator.values)
                    & ~Q(claim_filing_indicator__in=["MA", "MB"])
                ),
                "Medicare claims are filed as Part B (MB); other payers take another claim "
                "filing indicator.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        medicare = self.program == self.Program.MEDICARE
        indicator = self.claim_filing_indicator
        if medicare and indicator and indicator != self.ClaimFiling.MEDICARE_PART_B:
            raise ValidationError(
                {
                    "claim_filing_indicator": ValidationError(
                        "Medicare professional claims file MB (Medicare Part B).",
                        code="medicare_part_b",
                    )
                }
            )
        if not medicare and indicator in ("MA", "MB"):
            raise ValidationError(
                {
                    "claim_filing_indicator": ValidationError(
                        "MA and MB are for Medicare itself: set the program to Medicare, or "
                        "choose the plan's own indicator (16 for a Medicare Advantage HMO).",
                        code="not_medicare",
                    )
                }
            )


class EffectiveQuerySet(models.QuerySet):
    """Dated rows (coverage, charge master, fee schedule, drug catalogue): each applies from
    ``effective_from`` to ``effective_to`` inclusive, or on and on when that is empty."""

    def effective_between(self, first, last):
        """The rows in force on any day from ``first`` to ``last`` (dates or expressions)."""
        return self.filter(effective_from__lte=last).filter(
            Q(effective_to__isnull=True) | Q(effective_to__gte=first)
        )

    def effective_on(self, day):
        return self.effective_between(day, day)


def is_effective_on(row, day: dt.date) -> bool:
    """What ``effective_on`` selects, for a row already loaded."""
    return row.effective_from <= day and (row.effective_to is None or row.effective_to >= day)


class Coverage(models.Model):
    class Priority(models.IntegerChoices):
        PRIMARY = 1, "Primary"
        SECONDARY = 2, "Secondary"
        TERTIARY = 3, "Tertiary"

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="coverages")
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="coverages")
    member_id = models.CharField(
        "member ID",
        max_length=30,
        help_text="As on the card; for Medicare, the 11-character MBI.",
    )
    group_number = models.CharField(
        max_length=30, blank=True, help_text="The plan's group number, where the card shows one."
    )
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.PRIMARY)
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)
    history = HistoricalRecords()
    objects = EffectiveQuerySet.as_manager()

    class Meta:
        ordering = ["patient", "priority", "-effective_from"]
        verbose_name_plural = "coverage"
        constraints = [
            dates_ordered("coverage_dates_ordered", "The coverage cannot end before it starts."),
            check(
                "coverage_priority_valid",
                Q(priority__in=[1, 2, 3]),
                "The coverage priority must be primary, secondary or tertiary.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.payer} ({self.get_priority_display().lower()})"

    def clean(self) -> None:
        """Member and group IDs as the payer reads them: upper case, and an MBI for
        Medicare."""
        errors = {}
        payer = Payer.objects.filter(pk=self.payer_id).first() if self.payer_id else None
        if self.member_id:
            if payer is not None and payer.program == Payer.Program.MEDICARE:
                self.member_id = normalize_mbi(self.member_id)
                validator = validate_mbi
            else:
                self.member_id = normalize_identifier(self.member_id)
                validator = validate_member_id
            try:
                validator(self.member_id)
            except ValidationError as exc:
                errors["member_id"] = exc
        if self.group_number:
            self.group_number = normalize_identifier(self.group_number)
            try:
                validate_group_number(self.group_number)
            except ValidationError as exc:
                errors["group_number"] = exc
        if errors:
            raise ValidationError(errors)


class ChargeMasterItem(models.Model):
    code = models.CharField(max_length=5)
    description = models.CharField(max_length=120)
    charge = models.DecimalField(max_digits=9, decimal_places=2)
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)
    history = HistoricalRecords()
    objects = EffectiveQuerySet.as_manager()

    class Meta:
        ordering = ["code", "-effective_from"]
        verbose_name = "charge master item"
        indexes = [models.Index(fields=["code", "effective_from"], name="chargemaster_code_idx")]
        constraints = [
            check("chargemaster_charge_gte_0", Q(charge__gte=0), "A charge cannot be negative."),
            dates_ordered(
                "chargemaster_dates_ordered", "The charge cannot end before it takes effect."
            ),
            unique(
                "chargemaster_unique_code_start",
                ["code", "effective_from"],
                "This code already has a charge starting on that date.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.description}"


class DrugCatalogueItem(models.Model):
    """A drug the practice buys and bills: its HCPCS code, the amount one billing unit
    describes and the charge per unit, in force between two dates. The NDCs stocked for it
    are its ``ndcs``."""

    name = models.CharField(max_length=80, help_text="As the nurse writes it, e.g. fluorouracil.")
    hcpcs = models.CharField(
        "HCPCS code",
        max_length=5,
        validators=[RegexValidator(r"\A[A-V][0-9]{4}\Z", "A HCPCS code such as J9190.")],
    )
    billing_unit_mg = models.DecimalField(
        "mg per billing unit",
        max_digits=10,
        decimal_places=3,
        help_text="The amount one unit of the HCPCS code describes (J9190: 500 mg).",
    )
    charge_per_unit = models.DecimalField(max_digits=9, decimal_places=2)
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)
    history = HistoricalRecords()
    objects = EffectiveQuerySet.as_manager()

    class Meta:
        ordering = ["name", "-effective_from"]
        verbose_name = "drug catalogue item"
        constraints = [
            check(
                "drugitem_hcpcs_format",
                Q(hcpcs__regex=r"^[A-V][0-9]{4}$"),
                "A HCPCS code is a letter A to V followed by four digits, for example J9190.",
            ),
            check(
                "drugitem_billing_unit_gt_0",
                Q(billing_unit_mg__gt=0),
                "The billing unit must be above zero mg.",
            ),
            check(
                "drugitem_charge_gte_0",
                Q(charge_per_unit__gte=0),
                "The charge per unit cannot be negative.",
            ),
            dates_ordered("drugitem_dates_ordered", "The drug cannot end before it takes effect."),
            unique(
                "drugitem_unique_code_start",
                ["hcpcs", "effective_from"],
                "This HCPCS code already has an entry starting on that date.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.hcpcs}, {self.billing_unit_mg.normalize():f} mg)"


class NdcUnit(models.TextChoices):
    """The unit of an NDC quantity (the 837P's CTP05-1): a stocked package's, and a drug
    line's."""

    UN = "UN", "UN unit (vial, each)"
    ML = "ML", "ML milliliter"
    GR = "GR", "GR gram"
    F2 = "F2", "F2 international unit"
    ME = "ME", "ME milligram"


class StockedNDC(models.Model):
    """One package the practice stocks for a catalogue drug."""

    class Container(models.TextChoices):
        SINGLE_DOSE = "single_dose", "Single-dose"
        MULTI_DOSE = "multi_dose", "Multi-dose"

    item = models.ForeignKey(DrugCatalogueItem, on_delete=models.CASCADE, related_name="ndcs")
    ndc = models.CharField(
        "NDC (11 digits)",
        max_length=11,
        validators=[validate_ndc11],
        help_text="5-4-2 without hyphens: 63323-117-10 on the label is 63323011710.",
    )
    description = models.CharField(max_length=80, blank=True, help_text="e.g. 2.5 g/50 mL vial")
    package_unit = models.CharField(max_length=2, choices=NdcUnit.choices)
    mg_per_package_unit = models.DecimalField(
        "mg per package unit",
        max_digits=10,
        decimal_places=3,
        help_text="Drug in one package unit: per mL for ML (the concentration), per vial for UN.",
    )
    container = models.CharField(max_length=11, choices=Container.choices)
    history = HistoricalRecords()

    class Meta:
        ordering = ["item", "ndc"]
        verbose_name = "stocked NDC"
        constraints = [
            check(
                "stockedndc_11", Q(ndc__regex=r"^[0-9]{11}$"), "An NDC is stored as eleven digits."
            ),
            check(
                "stockedndc_unit_valid",
                Q(package_unit__in=NdcUnit.values),
                "The package unit must be UN, ML, GR, F2 or ME.",
            ),
            check(
                "stockedndc_container_valid",
                Q(container__in=["single_dose", "multi_dose"]),
                "The container must be single-dose or multi-dose.",
            ),
            check(
                "stockedndc_mg_per_unit_gt_0",
                Q(mg_per_package_unit__gt=0),
                "The mg per package unit must be above zero.",
            ),
            unique(
                "stockedndc_unique_per_item",
                ["item", "ndc"],
                "This NDC is already stocked for this drug.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ndc[:5]}-{self.ndc[5:9]}-{self.ndc[9:]}"


class FeeScheduleEntry(models.Model):
    payer = models.ForeignKey(Payer, on_delete=models.CASCADE, related_name="fee_schedule")
    code = models.CharField(max_length=5)
    allowed_amount = models.DecimalField(max_digits=9, decimal_places=2)
    label = models.CharField(max_length=120, blank=True)
    effective_from = models.DateField()
    effective_to = models.DateField(null=True, blank=True)
    history = HistoricalRecords()
    objects = EffectiveQuerySet.as_manager()

    class Meta:
        ordering = ["payer", "code", "-effective_from"]
        verbose_name_plural = "fee schedule entries"
        constraints = [
            check(
                "feeschedule_amount_gte_0",
                Q(allowed_amount__gte=0),
                "An allowed amount cannot be negative.",
            ),
            dates_ordered(
                "feeschedule_dates_ordered", "The fee cannot end before it takes effect."
            ),
            unique(
                "feeschedule_unique_start",
                ["payer", "code", "effective_from"],
                "This payer already has a fee for this code starting on that date.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.payer.code} {self.code} {self.allowed_amount}"


class PracticeSettings(models.Model):
    """The billing provider and EDI identities for the 837P (a single row)."""

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    billing_provider_name = models.CharField(max_length=60)
    npi = models.CharField("NPI", max_length=10, validators=[validate_npi])
    tax_id = models.CharField(
        "tax ID (EIN)", max_length=9, validators=[validate_ein], help_text="Nine digits."
    )
    taxonomy = models.CharField(max_length=10, default="207RX0202X")
    address_line1 = models.CharField(
        max_length=55, help_text="A street address: payers refuse a PO box here (2010AA)."
    )
    address_line2 = models.CharField(max_length=55, blank=True)
    city = models.CharField(max_length=30)
    state = USPostalCodeField()
    postal_code = USZipCodeField(help_text="ZIP+4, as 12345-6789.")
    pay_to_address_line1 = models.CharField(
        "pay-to address",
        max_length=55,
        blank=True,
        help_text="Where payers send payment when it is not the address above, for example "
        "a PO box (837P loop 2010AB). Leave empty to be paid at the billing address.",
    )
    pay_to_address_line2 = models.CharField("pay-to address line 2", max_length=55, blank=True)
    pay_to_city = models.CharField("pay-to city", max_length=30, blank=True)
    pay_to_state = USPostalCodeField("pay-to state", blank=True)
    pay_to_postal_code = USZipCodeField("pay-to ZIP code", blank=True)
    submitter_id = models.CharField("submitter ID", max_length=15)
    receiver_id = models.CharField("receiver ID", max_length=15)
    receiver_name = models.CharField(max_length=60, default="CLEARINGHOUSE")
    contact_name = models.CharField(max_length=60)
    contact_phone = models.CharField(
        max_length=10, validators=[RegexValidator(r"\A[0-9]{10}\Z", "Ten digits.")]
    )
    segment_terminator = models.CharField(max_length=1, default="~")
    element_separator = models.CharField(max_length=1, default="*")
    sub_element_separator = models.CharField(max_length=1, default=":")
    repetition_separator = models.CharField(max_length=1, default="^")
    usage_indicator = models.CharField(
        max_length=1, choices=[("T", "Test"), ("P", "Production")], default="T"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "practice settings"
        verbose_name_plural = "practice settings"
        constraints = [
            check(
                "practicesettings_singleton",
                Q(singleton=True),
                "There is only one set of practice settings: change the existing one.",
            ),
        ]

    def __str__(self) -> str:
        return self.billing_provider_name

    @property
    def has_pay_to_address(self) -> bool:
        return bool(self.pay_to_address_line1)

    def clean(self) -> None:
        from billing.x12 import Separators, X12Error

        errors: dict[str, ValidationError] = {}
        if self.address_line1 and (is_po_box(self.address_line1) or is_po_box(self.address_line2)):
            errors["address_line1"] = ValidationError(
                "The billing provider's address must be where the practice is: put the PO box "
                "in the pay-to address below.",
                code="po_box",
            )
        if self.postal_code and len(self.postal_code.replace("-", "")) != 9:
            errors["postal_code"] = ValidationError(
                "The billing provider's ZIP code needs all nine digits (ZIP+4).", code="zip4"
            )
        pay_to = {
            "pay_to_address_line1": self.pay_to_address_line1,
            "pay_to_city": self.pay_to_city,
            "pay_to_state": self.pay_to_state,
            "pay_to_postal_code": self.pay_to_postal_code,
        }
        if any(pay_to.values()) or self.pay_to_address_line2:
            for field, value in pay_to.items():
                if not value:
                    errors[field] = ValidationError(
                        "A pay-to address needs its street or box, city, state and ZIP code.",
                        code="pay_to_incomplete",
                    )
        if errors:
            raise ValidationError(errors)
        try:
            Separators(
                element=self.element_separator,
                sub_element=self.sub_element_separator,
                segment=self.segment_terminator,
                repetition=self.repetition_separator,
            )
        except X12Error as exc:
            raise ValidationError({"segment_terminator": str(exc)}) from exc


class ClaimExport(WrittenOnce):
    # The file as it was sent: who, when and its hash are the audit record of the export.
    rewrite_message = "Export {pk} was sent as written and cannot be changed."
    delete_message = "Export {pk} was sent and is kept."

    class Format(models.TextChoices):
        X12 = "x12", "X12 837P"
        CSV = "csv", "CSV"

    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    format = models.CharField(max_length=3, choices=Format.choices)
    filename = models.CharField(max_length=80)
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField()
    claim_count = models.PositiveIntegerField()
    interchange_control_number = models.PositiveIntegerField(null=True, blank=True, unique=True)
    # The approved claims the 837P writer refused and the export held instead:
    # [{"claim": "C00000012", "reason": "The member ID cannot go on an 837P: ..."}], by
    # claim number and field, never a name or an ID.
    left_out = models.JSONField(default=list, blank=True)
    # The same claims in the other format, written in the same transaction: an export can be
    # downloaded as an 837P and as a CSV, whichever was asked for first. Empty on exports
    # written before both were kept.
    other_sha256 = models.CharField("SHA-256 of the other format", max_length=64, blank=True)
    other_content = models.BinaryField(default=b"", blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.filename

    @property
    def other_format(self) -> str:
        return self.Format.CSV if self.format == self.Format.X12 else self.Format.X12

    @property
    def formats(self) -> list[str]:
        """The formats this export can be downloaded in, the one asked for first first."""
        return [self.format, self.other_format] if self.other_sha256 else [self.format]

    def file(self, fmt: str) -> tuple[str, bytes]:
        """The file name and content in ``fmt`` (one of ``formats``)."""
        if fmt == self.format:
            return self.filename, bytes(self.content)
        if fmt not in self.formats:
            raise ValueError(f"Export {self.pk} has no {fmt} file.")
        stem = self.filename.rsplit(".", 1)[0]
        return f"{stem}.{fmt}", bytes(self.other_content)


class ClaimState(models.TextChoices):
    """A claim's status (``Claim.Status``), at module level so the constraints can name it."""

    HOLD = "hold", "Hold"
    READY = "ready", "Ready"
    APPROVED = "approved", "Approved"
    EXPORTED = "exported", "Exported"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    PAID = "paid", "Paid"
    PARTIALLY_PAID = "partially_paid", "Partially paid"
    DENIED = "denied", "Denied"
    APPEALED = "appealed", "Appealed"
    CORRECTED = "corrected", "Corrected"
    VOID = "void", "Void"


class Claim(models.Model):
    Status = ClaimState

    class Frequency(models.TextChoices):
        # CLM05-3, the claim frequency type code of the 837P.
        ORIGINAL = "1", "Original"
        REPLACEMENT = "7", "Replacement of a prior claim"
        CANCEL = "8", "Void/cancel of a prior claim"

    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="claims")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="claims")
    payer = models.ForeignKey(
        Payer, on_delete=models.PROTECT, related_name="claims", null=True, blank=True
    )
    coverage = models.ForeignKey(Coverage, on_delete=models.PROTECT, null=True, blank=True)
    date_of_service = models.DateField()
    status = models.CharField(max_length=14, choices=Status.choices)
    decision_status = models.CharField(max_length=14, blank=True)
    void_reason = models.CharField(max_length=200, blank=True)
    hold_reason = models.CharField(max_length=500, blank=True)
    diagnoses = models.JSONField(default=list)
    facts = models.JSONField(null=True, blank=True)
    decision = models.JSONField(null=True, blank=True)
    engine_version = models.CharField(max_length=20, blank=True)
    total_charge = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0.00"))
    decided_at = models.DateTimeField()
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    export = models.ForeignKey(
        ClaimExport, on_delete=models.PROTECT, null=True, blank=True, related_name="claims"
    )
    frequency = models.CharField(
        "claim frequency (CLM05-3)",
        max_length=1,
        choices=Frequency.choices,
        default=Frequency.ORIGINAL,
    )
    # The payer's own number for the claim (277CA REF*1K, 835 CLP07): a replacement or a
    # cancellation names it in REF*F8.
    payer_claim_control_number = models.CharField(max_length=50, blank=True)
    # The payer's last word on the claim (a rejection or denial), in words.
    payer_reason = models.TextField(blank=True)
    # A re-decision produced different lines and cleared the biller's approval: the queue
    # shows it until a biller opens the claim.
    approval_cleared = models.BooleanField(default=False)
    # What a re-decision changed against the claim it supersedes, and why.
    change_summary = models.TextField(blank=True)
    # Sums the dashboard reads off the claim alone, kept by the code that writes what they
    # sum: the fee schedule's expected allowed amount of the lines (when the claim and its
    # lines are created), and, by each 835 posting in its transaction, the allowed and paid
    # amounts of the line payments (a reversal's negative amounts cancel the payment it
    # takes back) and the days from the export (its date in the clinic's zone) to the payment
    # date (BPR16) of the payment that stands: the claim's last payment, when it paid
    # something and is not a reversal.
    expected_allowed = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True, editable=False
    )
    allowed_amount = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True, editable=False
    )
    paid_amount = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True, editable=False
    )
    payment_days = models.IntegerField(null=True, blank=True, editable=False)
    # A claim's facts and decision are written once, when it is decided (a new decision is a
    # new claim), so its history need not copy those kilobytes into every row.
    # The sums above are kept from rows that have their own history.
    history = HistoricalRecords(
        excluded_fields=[
            "facts",
            "decision",
            "expected_allowed",
            "allowed_amount",
            "paid_amount",
            "payment_days",
        ]
    )

    class Meta:
        ordering = ["-date_of_service", "-id"]
        permissions = [
            ("approve_claim", "Can approve, hold and release claims"),
            ("export_claim", "Can export approved claims"),
        ]
        indexes = [
            # One per filter of the biller's queue (the patient one serves its name and MRN
            # search), each ending in the queue's order, date of service then id, so that a
            # page is read off the index even when a day has thousands of claims.
            models.Index(fields=["status", "date_of_service", "id"], name="claim_status_dos_idx"),
            models.Index(fields=["date_of_service", "id"], name="claim_dos_idx"),
            models.Index(fields=["payer", "date_of_service", "id"], name="claim_payer_dos_idx"),
            models.Index(fields=["patient", "date_of_service", "id"], name="claim_patient_dos_idx"),
            # A status and a payer (the biller's usual filter, with dates or not): the page
            # is read off it in the queue's order. The queue's totals by status where the
            # kept ones cannot answer (selectors.queue_totals_query: COUNT(*) and the sum of
            # the charge, grouped by status) are read off it alone, in status order, with no
            # sort, hash or visit to the table.
            models.Index(
                fields=["status", "payer", "date_of_service", "id"],
                include=["total_charge"],
                name="claim_status_payer_dos_idx",
            ),
            # The dashboard: its figures over a period read this index alone (index-only scans),
            # and the claims a payer still owes (A/R aging) are a small index of their own.
            models.Index(
                fields=["date_of_service"],
                include=[
                    "id",
                    "status",
                    "payer",
                    "total_charge",
                    "export",
                    "expected_allowed",
                    "allowed_amount",
                    "paid_amount",
                    "payment_days",
                ],
                name="claim_dos_figures_idx",
            ),
            models.Index(
                fields=["export"],
                include=["id", "total_charge"],
                condition=Q(
                    status__in=[ClaimState.EXPORTED, ClaimState.ACCEPTED, ClaimState.APPEALED]
                ),
                name="claim_unpaid_idx",
            ),
        ]
        constraints = [
            unique(
                "claim_one_live_per_encounter",
                ["encounter"],
                "This refill already has a live claim: void it before deciding another.",
                condition=~Q(status__in=[ClaimState.VOID, ClaimState.CORRECTED]),
            ),
            check(
                "claim_status_valid",
                Q(status__in=ClaimState.values),
                "This is not a claim status the app knows.",
            ),
            check(
                "claim_sent_has_export",
                ~Q(
                    status__in=[
                        ClaimState.EXPORTED,
                        ClaimState.ACCEPTED,
                        ClaimState.REJECTED,
                        ClaimState.PAID,
                        ClaimState.PARTIALLY_PAID,
                        ClaimState.DENIED,
                        ClaimState.APPEALED,
                    ]
                )
                | Q(export__isnull=False),
                "A claim that was sent must belong to an export file.",
            ),
            check(
                "claim_correction_names_payer_claim",
                Q(frequency="1") | ~Q(payer_claim_control_number=""),
                "A corrected or voided claim must name the payer's claim number.",
            ),
            check(
                "claim_total_charge_gte_0",
                Q(total_charge__gte=0),
                "A claim total cannot be negative.",
            ),
        ]

    def __str__(self) -> str:
        return f"Claim #{self.pk}"

    @property
    def is_live(self) -> bool:
        return self.status not in (self.Status.VOID, self.Status.CORRECTED)

    @property
    def was_sent(self) -> bool:
        """Exported to the payer at some point (its answer may have come back since)."""
        return self.status in SENT_STATUSES

    def can_move_to(self, status: str) -> bool:
        return status in CLAIM_TRANSITIONS.get(self.status, frozenset())

    @property
    def asks_for_redecision(self) -> bool:
        """The hold tells the biller to fix something (a coverage, a charge), then re-decide."""
        return self.status == self.Status.HOLD and "re-decide" in self.hold_reason.lower()

    @property
    def number(self) -> str:
        """The claim number the payer sees (CLM01 of the 837P, a column of the CSV)."""
        return f"C{self.pk:08d}"


_S = Claim.Status

# Every status change a claim may make, in one place: services check it before changing a
# status (billing.services), and nothing else changes one.
CLAIM_TRANSITIONS: dict[str, frozenset[str]] = {
    _S.HOLD: frozenset({_S.READY, _S.VOID}),
    _S.READY: frozenset({_S.APPROVED, _S.HOLD, _S.VOID}),
    _S.APPROVED: frozenset({_S.EXPORTED, _S.HOLD, _S.VOID}),
    # The 999 and 277CA accept or reject; an 835 may come without either.
    _S.EXPORTED: frozenset(
        {_S.ACCEPTED, _S.REJECTED, _S.PAID, _S.PARTIALLY_PAID, _S.DENIED, _S.CORRECTED, _S.VOID}
    ),
    # A 277CA may reject a claim whose file the 999 accepted.
    _S.ACCEPTED: frozenset(
        {_S.REJECTED, _S.PAID, _S.PARTIALLY_PAID, _S.DENIED, _S.CORRECTED, _S.VOID}
    ),
    # A rejected claim never reached adjudication: it is corrected and sent again.
    _S.REJECTED: frozenset({_S.ACCEPTED, _S.CORRECTED, _S.VOID}),
    # A reversal (CLP02 = 22) takes a payment back: the claim waits for the payer's new answer.
    _S.PAID: frozenset({_S.ACCEPTED, _S.PARTIALLY_PAID, _S.DENIED, _S.CORRECTED, _S.VOID}),
    _S.PARTIALLY_PAID: frozenset(
        {_S.ACCEPTED, _S.PAID, _S.DENIED, _S.APPEALED, _S.CORRECTED, _S.VOID}
    ),
    _S.DENIED: frozenset(
        {_S.ACCEPTED, _S.PAID, _S.PARTIALLY_PAID, _S.APPEALED, _S.CORRECTED, _S.VOID}
    ),
    _S.APPEALED: frozenset({_S.PAID, _S.PARTIALLY_PAID, _S.DENIED, _S.CORRECTED, _S.VOID}),
    _S.CORRECTED: frozenset(),
    _S.VOID: frozenset(),
}

# The statuses of a claim that went to the payer and has not been replaced.
SENT_STATUSES = frozenset(
    {
        _S.EXPORTED,
        _S.ACCEPTED,
        _S.REJECTED,
        _S.PAID,
        _S.PARTIALLY_PAID,
        _S.DENIED,
        _S.APPEALED,
    }
)
del _S


class ClaimStatusTotal(models.Model):
    """How many claims have each status and what they charge, kept by database triggers on
    the claim table (billing.status_totals) in the transaction of every write, whatever path
    it comes from: the queue reads its totals here instead of aggregating every open claim.

    A status's figures are the sum of its rows. On PostgreSQL a transaction adds to a row of
    the status that no other transaction holds, or to a new one (a slot at random), so that
    two transactions changing claims of one status never wait for each other; SQLite has one
    writer and one slot. The charge is in cents, an integer: SQLite would add decimals as
    floats."""

    status = models.CharField(max_length=14, choices=ClaimState.choices, editable=False)
    slot = models.PositiveSmallIntegerField(editable=False)
    claims = models.BigIntegerField(editable=False)
    charge_cents = models.BigIntegerField(editable=False)

    class Meta:
        constraints = [
            unique(
                "claimstatustotal_status_slot",
                ["status", "slot"],
                "A status has one row per slot.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.status} #{self.slot}: {self.claims}"


class ClaimLine(models.Model):
    """One service line as decided, with the practitioner it is billed under (24J, 2310B or
    2420A) as they were when it was decided, and for a drug line its NDC (LIN/CTP)."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    code = models.CharField(max_length=5)
    modifiers = models.JSONField(default=list)
    units = models.PositiveSmallIntegerField()
    place_of_service = models.CharField(max_length=2)
    diagnosis_pointers = models.JSONField(default=list)
    charge = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    expected_allowed = models.DecimalField(max_digits=9, decimal_places=2, null=True, blank=True)
    rendering_npi = models.CharField("rendering NPI", max_length=10, blank=True)
    rendering_last_name = models.CharField(max_length=60, blank=True)
    rendering_first_name = models.CharField(max_length=35, blank=True)
    rendering_taxonomy = models.CharField(max_length=10, blank=True)
    drug = models.BooleanField(default=False)
    ndc = models.CharField("NDC", max_length=11, blank=True)
    ndc_quantity = models.DecimalField(
        "NDC quantity", max_digits=12, decimal_places=3, null=True, blank=True
    )
    ndc_unit = models.CharField("NDC unit", max_length=2, choices=NdcUnit.choices, blank=True)

    class Meta:
        ordering = ["claim", "position"]
        indexes = [
            models.Index(fields=["code"], name="claimline_code_idx"),
            # The dashboard's expected amounts per claim, without reading the lines.
            models.Index(
                fields=["claim"], include=["id", "expected_allowed"], name="claimline_expected_idx"
            ),
        ]
        constraints = [
            # A drug and its JW line share the code: the modifiers tell them apart.
            unique(
                "claimline_one_per_code_modifiers",
                ["claim", "code", "modifiers"],
                "A claim has one line per procedure code and modifiers.",
            ),
            unique(
                "claimline_unique_position",
                ["claim", "position"],
                "Two lines of a claim cannot share a position.",
            ),
            check("claimline_units_gte_1", Q(units__gte=1), "A line bills at least one unit."),
            check(
                "claimline_charge_gte_0",
                Q(charge__isnull=True) | Q(charge__gte=0),
                "A line charge cannot be negative.",
            ),
            check(
                "claimline_rendering_npi_ten_digits",
                Q(rendering_npi="") | Q(rendering_npi__regex=r"^[0-9]{10}$"),
                "A rendering NPI is exactly ten digits, or left empty.",
            ),
            # Only drug lines carry an NDC, and a drug line's NDC fields go together.
            check(
                "claimline_ndc_fields_together",
                Q(drug=False, ndc="", ndc_quantity__isnull=True, ndc_unit="")
                | Q(drug=True, ndc="", ndc_quantity__isnull=True, ndc_unit="")
                | Q(
                    drug=True,
                    ndc__regex=r"^[0-9]{11}$",
                    ndc_quantity__isnull=False,
                    ndc_quantity__gt=0,
                    ndc_unit__in=NdcUnit.values,
                ),
                "A drug line gives its NDC (eleven digits), a quantity above zero and a unit "
                "together, or none of them.",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def modifiers_display(self) -> str:
        return ", ".join(self.modifiers)

    @property
    def rendering_name(self) -> str:
        return ", ".join(n for n in (self.rendering_last_name, self.rendering_first_name) if n)


class ClaimFinding(models.Model):
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="findings")
    position = models.PositiveSmallIntegerField()
    rule = models.CharField(max_length=4)
    severity = models.CharField(max_length=5)
    code = models.CharField(max_length=5, blank=True)
    message = models.TextField()

    class Meta:
        ordering = ["claim", "position"]
        indexes = [models.Index(fields=["rule", "claim"], name="claimfinding_rule_idx")]

    def __str__(self) -> str:
        return f"{self.rule} {self.severity}"


class ClaimEvent(models.Model):
    """The audit trail of a claim: every decision and status change, with who and why."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    from_status = models.CharField(max_length=14, blank=True)
    to_status = models.CharField(max_length=14)
    reason = models.TextField()
    # The acknowledgment or remittance file that made the change, if one did.
    x12_import = models.ForeignKey(
        "X12Import", on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} -> {self.to_status}"


class CodeListEntry(models.Model):
    """One code of a published X12 code list, in its published words. Administrators keep
    the lists current (codes are added, reworded and retired several times a year); the
    app reads the words from here, never from literals."""

    code = models.CharField(max_length=5, unique=True)
    description = models.TextField()
    effective_from = models.DateField(null=True, blank=True)
    effective_to = models.DateField(
        null=True, blank=True, help_text="The last day the payer may send the code."
    )

    class Meta:
        abstract = True
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.description[:60]}"


class AdjustmentReason(CodeListEntry):
    """Claim adjustment reason codes (CARC, X12 code source 139): why a payer paid less."""

    history = HistoricalRecords()

    class Meta(CodeListEntry.Meta):
        verbose_name = "claim adjustment reason code (CARC)"
        verbose_name_plural = "claim adjustment reason codes (CARC)"
        constraints = [
            dates_ordered(
                "carc_dates_ordered",
                "The code cannot stop being used before it starts.",
                open_start=True,
            ),
        ]


class RemarkCode(CodeListEntry):
    """Remittance advice remark codes (RARC, X12 code source 411): the payer's explanation."""

    history = HistoricalRecords()

    class Meta(CodeListEntry.Meta):
        verbose_name = "remittance advice remark code (RARC)"
        verbose_name_plural = "remittance advice remark codes (RARC)"
        constraints = [
            dates_ordered(
                "rarc_dates_ordered",
                "The code cannot stop being used before it starts.",
                open_start=True,
            ),
        ]


class X12Import(WrittenOnce):
    """One acknowledgment or remittance file as it was received, and what it posted.

    A file is kept only if it was read and posted whole; a refused file leaves nothing.
    Its hash is unique, so the same file imported twice posts nothing the second time.
    """

    # The file as it was received: kept as the record of what was posted from it.
    rewrite_message = "Import {pk} was posted as received and cannot be changed."
    delete_message = "Import {pk} was posted and is kept."

    class Kind(models.TextChoices):
        ACK_999 = "999", "999 implementation acknowledgment"
        ACK_277CA = "277ca", "277CA claim acknowledgment"
        REMITTANCE_835 = "835", "835 remittance advice"

    kind = models.CharField(max_length=5, choices=Kind.choices)
    filename = models.CharField(max_length=120)
    sha256 = models.CharField(max_length=64, unique=True)
    content = models.BinaryField()
    imported_at = models.DateTimeField()
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    interchange_control_number = models.CharField("ISA13", max_length=9)
    sender_id = models.CharField("ISA06", max_length=15)
    # What the file did, in words ("3 claims paid, 1 denied, 1 not matched").
    outcome = models.TextField()
    claim_count = models.PositiveIntegerField(default=0)
    unmatched_count = models.PositiveIntegerField(default=0)
    # 835: the BPR02 amounts added up (credits less debits).
    payment_total = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["-imported_at", "-id"]
        verbose_name = "X12 import"
        constraints = [
            check(
                "x12import_kind_valid",
                Q(kind__in=["999", "277ca", "835"]),
                "This is not a kind of X12 file the app reads.",
            ),
        ]

    def __str__(self) -> str:
        return self.filename


class ClaimAcknowledgment(models.Model):
    """A 999 or 277CA answer for one claim: accepted or rejected, and why in words."""

    x12_import = models.ForeignKey(
        X12Import, on_delete=models.PROTECT, related_name="acknowledgments"
    )
    claim = models.ForeignKey(
        Claim, on_delete=models.PROTECT, null=True, blank=True, related_name="acknowledgments"
    )
    claim_number = models.CharField(max_length=38)  # as received (277CA TRN02, 999 CTX)
    accepted = models.BooleanField()
    codes = models.CharField(max_length=200, blank=True)  # e.g. "A7:164:IL" or "IK5 R"
    reason = models.TextField(blank=True)
    payer_claim_control_number = models.CharField(max_length=50, blank=True)  # REF*1K

    class Meta:
        ordering = ["x12_import", "id"]

    def __str__(self) -> str:
        return f"{self.claim_number} {'accepted' if self.accepted else 'rejected'}"


class ClaimPayment(models.Model):
    """One CLP of an 835: the payer's answer to one claim.

    ``claim`` is empty when no claim of ours carries the number in CLP01: such payments
    are the unmatched remittances, kept with all their adjustments for a biller to work.
    """

    x12_import = models.ForeignKey(X12Import, on_delete=models.PROTECT, related_name="payments")
    claim = models.ForeignKey(
        Claim, on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    claim_number = models.CharField(max_length=38)  # CLP01: our CLM01
    status_code = models.CharField(max_length=2)  # CLP02 (code list "claim_payment_status")
    charge = models.DecimalField(max_digits=10, decimal_places=2)  # CLP03
    paid = models.DecimalField(max_digits=10, decimal_places=2)  # CLP04
    allowed = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    patient_responsibility = models.DecimalField(  # CLP05
        max_digits=10, decimal_places=2, default=Decimal("0.00")
    )
    filing_indicator = models.CharField(max_length=2)  # CLP06
    payer_claim_control_number = models.CharField(max_length=50)  # CLP07
    frequency = models.CharField(max_length=1, blank=True)  # CLP09
    received = models.DateField(null=True, blank=True)  # DTM*050
    payment_date = models.DateField()  # BPR16
    trace_number = models.CharField(max_length=50)  # TRN02: check or EFT number
    payer_name = models.CharField(max_length=60)  # N1*PR
    payer_identifier = models.CharField(max_length=80, blank=True)
    position = models.PositiveIntegerField()  # the CLP's segment number in the file
    # The status the payment moved the claim to (empty when unmatched).
    posted_status = models.CharField(max_length=14, blank=True)

    class Meta:
        ordering = ["x12_import", "position"]
        indexes = [
            models.Index(fields=["claim_number"], name="claimpayment_number_idx"),
            # The dashboard's days to payment per claim, without reading the payments.
            models.Index(
                fields=["claim"],
                include=["id", "payment_date", "paid", "status_code"],
                name="claimpayment_claim_days_idx",
            ),
            models.Index(
                fields=["payment_date"],
                condition=Q(claim__isnull=True),
                name="claimpayment_unmatched_idx",
            ),
        ]
        constraints = [
            unique(
                "claimpayment_unique_position",
                ["x12_import", "position"],
                "Two payments on a claim cannot share a position.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.claim_number} CLP02={self.status_code} paid {self.paid}"

    @property
    def is_reversal(self) -> bool:
        return self.status_code == "22"

    @property
    def is_matched(self) -> bool:
        return self.claim_id is not None

    @property
    def posted_status_label(self) -> str:
        return Claim.Status(self.posted_status).label if self.posted_status else ""


class LinePayment(models.Model):
    """One SVC of a claim payment: the payer's answer to one service line."""

    payment = models.ForeignKey(ClaimPayment, on_delete=models.CASCADE, related_name="lines")
    claim_line = models.ForeignKey(
        ClaimLine, on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    procedure = models.CharField(max_length=5)  # SVC01-2
    modifiers = models.JSONField(default=list)  # SVC01-3 to -6
    charge = models.DecimalField(max_digits=10, decimal_places=2)  # SVC02
    paid = models.DecimalField(max_digits=10, decimal_places=2)  # SVC03
    allowed = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    units = models.DecimalField(max_digits=8, decimal_places=2)  # SVC05
    original_procedure = models.CharField(max_length=5, blank=True)  # SVC06-2
    service_date = models.DateField(null=True, blank=True)  # DTM*472
    line_control_number = models.CharField(max_length=50, blank=True)  # REF*6R
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["payment", "position"]
        # The dashboard's paid and allowed per claim line, without reading the payments.
        indexes = [
            models.Index(
                fields=["claim_line"], include=["paid", "allowed"], name="linepayment_line_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.procedure} paid {self.paid}"


class PaymentAdjustment(models.Model):
    """One CAS adjustment: at claim level (``line`` empty) or on one service line."""

    class Group(models.TextChoices):
        CONTRACTUAL = "CO", "Contractual obligation"
        PATIENT = "PR", "Patient responsibility"
        OTHER = "OA", "Other adjustment"
        PAYER_INITIATED = "PI", "Payer-initiated reduction"

    payment = models.ForeignKey(ClaimPayment, on_delete=models.CASCADE, related_name="adjustments")
    line = models.ForeignKey(
        LinePayment, on_delete=models.CASCADE, null=True, blank=True, related_name="adjustments"
    )
    # The payment's claim and its date of service (empty when unmatched), so that the
    # dashboard reads a period's denial reasons off an index of the adjustments alone.
    claim = models.ForeignKey(
        Claim,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
        editable=False,
    )
    date_of_service = models.DateField(null=True, blank=True, editable=False)
    group = models.CharField(max_length=2, choices=Group.choices)  # CAS01
    reason = models.CharField("CARC", max_length=5)  # CAS02, CAS05, ...
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    quantity = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    position = models.PositiveIntegerField()  # the CAS segment's number in the file
    # The reason code in words, set by the selectors that read it (billing.selectors).
    words: str

    class Meta:
        ordering = ["payment", "position", "id"]
        indexes = [
            models.Index(fields=["reason", "group"], name="adjustment_carc_idx"),
            # The dashboard: a period's denial reasons (index-only), and the claims with a
            # reason behind its links.
            models.Index(
                fields=["date_of_service"],
                include=["claim", "reason", "amount"],
                name="adjustment_dos_idx",
            ),
            models.Index(fields=["claim", "reason"], name="adjustment_claim_carc_idx"),
        ]
        constraints = [
            check(
                "adjustment_group_valid",
                Q(group__in=["CO", "PR", "OA", "PI"]),
                "The adjustment group must be CO, PR, OA or PI.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.group}-{self.reason} {self.amount}"

    @property
    def label(self) -> str:
        return f"{self.group}-{self.reason}"


class PaymentRemark(models.Model):
    """One remittance advice remark code (RARC): claim level (MOA, MIA) or line level (LQ)."""

    payment = models.ForeignKey(ClaimPayment, on_delete=models.CASCADE, related_name="remarks")
    line = models.ForeignKey(
        LinePayment, on_delete=models.CASCADE, null=True, blank=True, related_name="remarks"
    )
    code = models.CharField("RARC", max_length=6)
    # The remark code in words, set by the selectors that read it (billing.selectors).
    words: str

    class Meta:
        ordering = ["payment", "id"]

    def __str__(self) -> str:
        return self.code


class ProviderAdjustment(models.Model):
    """One PLB reason and amount: a change to a payment that belongs to no claim."""

    x12_import = models.ForeignKey(
        X12Import, on_delete=models.PROTECT, related_name="provider_adjustments"
    )
    provider_identifier = models.CharField(max_length=50)  # PLB01
    fiscal_period_end = models.DateField()  # PLB02
    reason = models.CharField(max_length=2)  # PLB03-1 (code list "provider_adjustment_reason")
    reference = models.CharField(max_length=50, blank=True)  # PLB03-2
    # Positive reduces the payment, negative adds to it (as in the file).
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    trace_number = models.CharField(max_length=50)  # TRN02 of its payment
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["x12_import", "position", "id"]

    def __str__(self) -> str:
        return f"PLB {self.reason} {self.amount}"


class DenialAction(models.Model):
    """What a biller decided to do about a denied claim, and why. The claim's own event
    trail records the same decision (and its status change, for an appeal)."""

    class Action(models.TextChoices):
        RESUBMIT = "resubmit", "Correct and resubmit"
        APPEAL = "appeal", "Appeal"
        WRITE_OFF = "write_off", "Write off"
        BILL_PATIENT = "bill_patient", "Bill the patient"

    # The actions that close the denial: the claim leaves the denials queue.
    CLOSING = (Action.WRITE_OFF, Action.BILL_PATIENT)

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="denial_actions")
    action = models.CharField(max_length=12, choices=Action.choices)
    reason = models.TextField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["claim", "action"], name="denialaction_claim_idx")]
        constraints = [
            check(
                "denialaction_action_valid",
                Q(action__in=["resubmit", "appeal", "write_off", "bill_patient"]),
                "Choose a next action: correct and resubmit, appeal, write off or bill the "
                "patient.",
            ),
            check(
                "denialaction_has_reason", ~Q(reason=""), "Say why: a next action needs a reason."
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} claim #{self.claim_id}"
