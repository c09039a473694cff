"""The refill encounter as the nurse documents it.

Invariants that must hold whatever path writes a row live in the database as named
constraints; workflow rules (who may do what, in which state) live in ``refills.services``.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

import icd10cm
from config.constraints import (
    above_zero,
    between,
    check,
    empty_or,
    empty_or_above_zero,
    filled,
    unique,
)
from config.records import WrittenOnce
from config.search import fold
from config.users import optional_user
from refills.ndc import formatted as ndc_formatted
from refills.ndc import validate_ndc11
from refills.validators import validate_npi, validate_taxonomy


def field_label(model: type[models.Model], name: str) -> str:
    """The label a person reads for a field ("programmed rate (mL/h)"), never its column name;
    a name the model does not have is shown as it is."""
    try:
        field = model._meta.get_field(name)
        return str(getattr(field, "verbose_name", name))
    except FieldDoesNotExist:
        return name


class SignedRecordError(Exception):
    """A record kept as written (a signed encounter, a verification attempt) was about to be
    rewritten; corrections to signed documentation are addenda."""


class Role(models.TextChoices):
    """The four roles are auth groups (created by a migration) with these names."""

    NURSE = "Nurse", "Nurse"
    PROVIDER = "Provider", "Provider"
    BILLER = "Biller", "Biller"
    ADMIN = "Admin", "Admin"


class ClinicianProfile(models.Model):
    class Credential(models.TextChoices):
        RN = "RN", "Registered nurse (RN)"
        LPN = "LPN", "Licensed practical nurse (LPN)"
        NP = "NP", "Nurse practitioner (NP)"
        PA = "PA", "Physician assistant (PA)"
        MD = "MD", "Physician (MD)"
        DO = "DO", "Physician (DO)"
        NONE = "", "None (non-clinical)"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="clinician"
    )
    credential = models.CharField(max_length=3, choices=Credential.choices, blank=True)
    npi = models.CharField("NPI", max_length=10, blank=True, validators=[validate_npi])
    taxonomy = models.CharField(
        "taxonomy code",
        max_length=10,
        blank=True,
        validators=[validate_taxonomy],
        help_text="NUCC provider taxonomy, for example 207RX0202X (medical oncology), "
        "363L00000X (nurse practitioner), 363A00000X (physician assistant).",
    )
    history = HistoricalRecords()

    # Credentials of practitioners who bill in their own name (physician, NP, PA).
    BILLING_CREDENTIALS = ("MD", "DO", "NP", "PA")

    class Meta:
        constraints = [
            check(
                "clinicianprofile_npi_ten_digits",
                Q(npi="") | Q(npi__regex=r"^[0-9]{10}$"),
                "An NPI is exactly ten digits, or left empty.",
            ),
            check(
                "clinicianprofile_taxonomy_format",
                Q(taxonomy="") | Q(taxonomy__regex=r"^[0-9]{3}[0-9A-Z]{6}X$"),
                "A taxonomy code is ten characters: nine digits or capital letters, then X.",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        name = self.user.get_full_name() or self.user.get_username()
        return f"{name}, {self.credential}" if self.credential else name

    def clean(self) -> None:
        # A Provider bills in their own name: the claim names their NPI, taxonomy and
        # credential, so a profile that lacks any of them cannot be saved.
        if self.user_id is None or not self.user.groups.filter(name=Role.PROVIDER).exists():
            return
        errors = self.provider_problems()
        if errors:
            raise ValidationError(errors)

    def provider_problems(self) -> dict[str, ValidationError]:
        """What this profile lacks to bill as a provider, by field (empty when nothing)."""
        errors = {}
        if self.credential not in self.BILLING_CREDENTIALS:
            errors["credential"] = ValidationError(
                "A provider is a physician (MD, DO), nurse practitioner or physician assistant.",
                code="provider_credential",
            )
        if not self.npi:
            errors["npi"] = ValidationError("A provider needs an NPI.", code="provider_npi")
        if not self.taxonomy:
            errors["taxonomy"] = ValidationError(
                "A provider needs a taxonomy code.", code="provider_taxonomy"
            )
        return errors

    @property
    def performed_by_role(self) -> str:
        """What a provider visit records as this clinician's role (``performed_by_role``)."""
        roles: dict[str, str] = {
            self.Credential.MD: "physician",
            self.Credential.DO: "physician",
            self.Credential.NP: "nurse_practitioner",
            self.Credential.PA: "physician_assistant",
        }
        return roles.get(self.credential, "registered_nurse")


class PatientQuerySet(models.QuerySet):
    def matching(self, text: str) -> PatientQuerySet:
        """Patients matching every word of ``text`` (commas count as spaces) in the name,
        accents and case aside (``search_name``), or as the whole MRN; empty text matches
        everyone."""
        terms = Q()
        for word in text.replace(",", " ").split():
            terms &= Q(search_name__contains=fold(word)) | Q(mrn__iexact=word)
        return self.filter(terms)


class Patient(models.Model):
    class Sex(models.TextChoices):
        FEMALE = "F", "Female"
        MALE = "M", "Male"
        UNKNOWN = "U", "Unknown"

    mrn = models.CharField("MRN", max_length=20, unique=True)
    last_name = models.CharField(max_length=60)
    first_name = models.CharField(max_length=35)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=1, choices=Sex.choices)
    address_line1 = models.CharField("address", max_length=55)
    address_line2 = models.CharField("address line 2", max_length=55, blank=True)
    city = models.CharField(max_length=30)
    state = models.CharField(max_length=2)
    postal_code = models.CharField(max_length=10)
    allergies = models.TextField(
        blank=True,
        help_text='Drug and other allergies with the reaction, or "none known".',
    )
    height_cm = models.DecimalField(
        "height (cm)", max_digits=4, decimal_places=1, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The name as search compares it (see config.search.fold), so "garcia" finds García on
    # SQLite and PostgreSQL alike; derived from the name whenever the row is written.
    search_name = models.CharField(max_length=200, blank=True, editable=False)
    history = HistoricalRecords(excluded_fields=["search_name"])
    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        indexes = [models.Index(fields=["last_name", "first_name"], name="patient_name_idx")]
        constraints = [
            check(
                "patient_height_30_250_cm",
                empty_or("height_cm", between("height_cm", Decimal("30"), Decimal("250"))),
                "Height must be between 30 and 250 cm.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.last_name}, {self.first_name}"

    def save(self, *args, **kwargs):
        self.search_name = fold(f"{self.last_name} {self.first_name}")
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"last_name", "first_name"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "search_name"}
        super().save(*args, **kwargs)

    @property
    def mrn_label(self) -> str:
        """The MRN as pages show it: "MRN10004" once, never "MRN MRN10004"."""
        mrn = self.mrn.strip()
        return mrn if mrn.upper().startswith("MRN") else f"MRN {mrn}"


class PatientDiagnosis(models.Model):
    """An active cancer diagnosis (billable ICD-10-CM, stored dotted)."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="diagnoses")
    code = models.CharField(max_length=8)
    position = models.PositiveSmallIntegerField(default=0)
    added_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            unique(
                "patientdiagnosis_unique_code",
                ["patient", "code"],
                "This diagnosis is already recorded for the patient.",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def description(self) -> str:
        return icd10cm.describe(self.code)


CENT = Decimal("0.01")
TIMES = "\N{MULTIPLICATION SIGN}"


def mosteller_bsa(height_cm: Decimal, weight_kg: Decimal) -> Decimal:
    """Body surface area in m² by Mosteller: sqrt(height cm * weight kg / 3600), to 0.01."""
    return (height_cm * weight_kg / Decimal(3600)).sqrt().quantize(CENT, rounding=ROUND_HALF_UP)


class ClinicSettings(models.Model):
    """The clinic's clinical settings: one row, edited by administrators in the admin."""

    dose_tolerance_percent = models.DecimalField(
        "dose tolerance (%)",
        max_digits=4,
        decimal_places=2,
        default=Decimal("5.00"),
        help_text="How far a documented dose may differ from the ordered dose.",
    )
    after_hours_phone = models.CharField(
        "phone for questions about the pump",
        max_length=30,
        blank=True,
        help_text="Printed on the patient's teaching sheet.",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "clinic settings"
        verbose_name_plural = "clinic settings"
        constraints = [
            check(
                "clinicsettings_tolerance_0_20",
                Q(dose_tolerance_percent__gt=0) & Q(dose_tolerance_percent__lte=Decimal("20")),
                "The dose tolerance must be above 0 and at most 20%.",
            ),
        ]

    def __str__(self) -> str:
        return "Clinic settings"

    @classmethod
    def current(cls) -> ClinicSettings:
        """The saved settings, or the defaults while none are saved."""
        return cls.objects.order_by("pk").first() or cls()


class OrderStatus(models.TextChoices):
    """An order's status (``Order.Status``), at module level so the constraints can name it."""

    ACTIVE = "active", "Active"
    DISCONTINUED = "discontinued", "Discontinued"


class OrderQuerySet(models.QuerySet):
    def in_force_on(self, day: dt.date) -> OrderQuerySet:
        return self.filter(status=Order.Status.ACTIVE, valid_from__lte=day, valid_to__gte=day)


class Order(models.Model):
    """The chemotherapy order a provider writes and signs; every refill is checked against it.

    A signed order is never changed: the provider discontinues it and writes a new one.
    """

    Status = OrderStatus

    class DoseBasis(models.TextChoices):
        PER_M2 = "mg_m2", "mg/m²"
        PER_KG = "mg_kg", "mg/kg"
        FLAT = "flat", "Flat dose (mg)"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="orders")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    drug_name = models.CharField("drug", max_length=80)
    dose_basis = models.CharField(max_length=5, choices=DoseBasis.choices)
    dose_per_basis = models.DecimalField(
        "dose per basis", max_digits=9, decimal_places=3, help_text="mg/m², mg/kg or mg."
    )
    dosing_height_cm = models.DecimalField("dosing height (cm)", max_digits=4, decimal_places=1)
    dosing_weight_kg = models.DecimalField("dosing weight (kg)", max_digits=5, decimal_places=1)
    bsa_m2 = models.DecimalField("body surface area (m²)", max_digits=4, decimal_places=2)
    calculated_dose_mg = models.DecimalField("calculated dose (mg)", max_digits=9, decimal_places=2)
    dose_mg = models.DecimalField("dose after rounding (mg)", max_digits=8, decimal_places=2)
    concentration_mg_ml = models.DecimalField(
        "concentration (mg/mL)", max_digits=8, decimal_places=3
    )
    final_volume_ml = models.DecimalField("final volume (mL)", max_digits=7, decimal_places=2)
    infusion_hours = models.DecimalField(
        "infusion duration (hours)", max_digits=5, decimal_places=1
    )
    rate_ml_h = models.DecimalField("pump rate (mL/h)", max_digits=6, decimal_places=2)
    cycles = models.PositiveSmallIntegerField("refills or cycles")
    valid_from = models.DateField()
    valid_to = models.DateField()
    anc_min = models.DecimalField(
        "lowest ANC (10^9/L)", max_digits=5, decimal_places=2, default=Decimal("1.50")
    )
    platelets_min = models.DecimalField(
        "lowest platelets (10^9/L)", max_digits=5, decimal_places=0, default=Decimal("100")
    )
    creatinine_max = models.DecimalField(
        "highest creatinine (mg/dL)",
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Leave empty for no limit.",
    )
    notes = models.TextField(blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="signed_orders"
    )
    signed_at = models.DateTimeField()
    discontinued_by = optional_user(on_delete=models.PROTECT, related_name="discontinued_orders")
    discontinued_at = models.DateTimeField(null=True, blank=True)
    discontinue_reason = models.CharField(max_length=500, blank=True)
    history = HistoricalRecords()
    objects = OrderQuerySet.as_manager()

    class Meta:
        ordering = ["-signed_at", "-id"]
        indexes = [models.Index(fields=["patient", "status"], name="order_patient_status_idx")]
        constraints = [
            check("order_status_valid", Q(status__in=OrderStatus.values), "Unknown order status."),
            check(
                "order_dose_basis_valid",
                Q(dose_basis__in=["mg_m2", "mg_kg", "flat"]),
                "The dose basis is mg/m², mg/kg or flat.",
            ),
            check(
                "order_amounts_positive",
                above_zero(
                    "dose_per_basis",
                    "bsa_m2",
                    "calculated_dose_mg",
                    "dose_mg",
                    "concentration_mg_ml",
                    "final_volume_ml",
                    "infusion_hours",
                    "rate_ml_h",
                ),
                "Doses, concentration, volume, duration and rate must be above zero.",
            ),
            check(
                "order_height_30_250_cm",
                between("dosing_height_cm", Decimal("30"), Decimal("250")),
                "The dosing height must be between 30 and 250 cm.",
            ),
            check(
                "order_weight_1_400_kg",
                between("dosing_weight_kg", Decimal("1"), Decimal("400")),
                "The dosing weight must be between 1 and 400 kg.",
            ),
            check(
                "order_cycles_at_least_one",
                Q(cycles__gte=1),
                "An order is for at least one refill or cycle.",
            ),
            check(
                "order_valid_dates_ordered",
                Q(valid_to__gte=F("valid_from")),
                "The order cannot end before it starts.",
            ),
            check(
                "order_lab_limits_not_negative",
                Q(anc_min__gte=0) & Q(platelets_min__gte=0) & empty_or_above_zero("creatinine_max"),
                "Lab limits cannot be negative.",
            ),
            check(
                "order_discontinued_has_who",
                ~Q(status=OrderStatus.DISCONTINUED) | filled("discontinued_by", "discontinued_at"),
                "A discontinued order names who discontinued it.",
            ),
            unique(
                "order_one_active_per_patient",
                ["patient"],
                "This patient already has an active order.",
                condition=Q(status=OrderStatus.ACTIVE),
            ),
        ]

    def __str__(self) -> str:
        return f"Order #{self.pk}: {self.drug_name} {self.dose_mg} mg"

    @property
    def bsa_formula(self) -> str:
        return (
            f"√({self.dosing_height_cm} cm {TIMES} {self.dosing_weight_kg} kg / 3600) = "
            f"{self.bsa_m2} m²"
        )

    @property
    def dose_formula(self) -> str:
        if self.dose_basis == self.DoseBasis.PER_M2:
            return (
                f"{self.dose_per_basis} mg/m² {TIMES} {self.bsa_m2} m² = "
                f"{self.calculated_dose_mg} mg"
            )
        if self.dose_basis == self.DoseBasis.PER_KG:
            return (
                f"{self.dose_per_basis} mg/kg {TIMES} {self.dosing_weight_kg} kg = "
                f"{self.calculated_dose_mg} mg"
            )
        return f"flat {self.calculated_dose_mg} mg"

    def is_in_force_on(self, day: dt.date) -> bool:
        return self.status == self.Status.ACTIVE and self.valid_from <= day <= self.valid_to


class EncounterStatus(models.TextChoices):
    """A refill's status (``Encounter.Status``), at module level so the constraints can name
    it."""

    DRAFT = "draft", "Draft"
    VERIFIED = "verified", "Verified"
    SIGNED = "signed", "Signed"


class EncounterQuerySet(models.QuerySet):
    def update(self, **kwargs):
        # save() guards one row; this guards bulk writes (update, bulk_update), which never
        # call save(). On PostgreSQL a trigger refuses the same write whatever the path.
        if self.filter(status=Encounter.Status.SIGNED).exists():
            raise SignedRecordError("Signed encounters cannot be updated; add an addendum instead.")
        return super().update(**kwargs)

    update.alters_data = True  # type: ignore[attr-defined]


class PlaceOfService(models.TextChoices):
    OFFICE = "11", "11 Office"
    HOME = "12", "12 Home"
    OUTPATIENT_OFF_CAMPUS = "19", "19 Off-campus outpatient hospital"
    OUTPATIENT_ON_CAMPUS = "22", "22 On-campus outpatient hospital"
    CLINIC = "49", "49 Independent clinic"


class Encounter(models.Model):
    Status = EncounterStatus

    class PumpType(models.TextChoices):
        EXTERNAL = "external", "External (portable)"
        IMPLANTED = "implanted", "Implanted"

    class Service(models.TextChoices):
        REFILL = "refill", "Refill"
        INITIATION = "initiation", "Initiation (first fill)"
        FLUSH_ONLY = "flush_only", "Flush only"

    class Taught(models.TextChoices):
        PATIENT = "patient", "Patient"
        CAREGIVER = "caregiver", "Caregiver"
        BOTH = "both", "Patient and caregiver"

    class BloodDraw(models.TextChoices):
        NONE = "", "None"
        PORT = "36591", "36591 From implanted port"
        CATHETER = "36592", "36592 From catheter"

    class OtherChemo(models.TextChoices):
        NONE = "", "None"
        C96409 = "96409", "96409 IV push, single drug"
        C96411 = "96411", "96411 IV push, each additional drug"
        C96413 = "96413", "96413 IV infusion, first hour"
        C96415 = "96415", "96415 IV infusion, each additional hour"
        C96417 = "96417", "96417 IV infusion, each additional sequential"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="encounters")
    # The order the refill was documented against (empty only on refills documented before
    # orders were kept here).
    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="encounters", null=True, blank=True
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    date_of_service = models.DateField()
    place_of_service = models.CharField(
        max_length=2, choices=PlaceOfService.choices, default=PlaceOfService.OFFICE
    )
    performing_nurse = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="performed_encounters"
    )
    supervising_practitioner = optional_user(
        on_delete=models.PROTECT, related_name="supervised_encounters"
    )

    # Assessment and labs
    weight_kg = models.DecimalField("weight (kg)", max_digits=5, decimal_places=1)
    weight_measured_on = models.DateField()
    cbc_collected_on = models.DateField("CBC collected on", null=True, blank=True)
    cmp_collected_on = models.DateField("CMP collected on", null=True, blank=True)
    anc = models.DecimalField("ANC (10^9/L)", max_digits=5, decimal_places=2, null=True, blank=True)
    platelets = models.DecimalField(
        "platelets (10^9/L)", max_digits=5, decimal_places=0, null=True, blank=True
    )
    creatinine = models.DecimalField(
        "creatinine (mg/dL)", max_digits=4, decimal_places=2, null=True, blank=True
    )
    tolerance_notes = models.TextField(blank=True)

    # Drug
    drug_name = models.CharField(max_length=80)
    drug_antineoplastic = models.BooleanField("antineoplastic", default=True)
    drug_concentration_mg_ml = models.DecimalField(
        "concentration (mg/mL)", max_digits=8, decimal_places=3
    )
    drug_dose_mg = models.DecimalField("dose (mg)", max_digits=8, decimal_places=2)
    drug_volume_ml = models.DecimalField("volume (mL)", max_digits=7, decimal_places=2)
    # 11 digits (5-4-2); the form reads the label's 10-digit layouts and barcodes.
    drug_ndc = models.CharField("NDC", max_length=13, blank=True, validators=[validate_ndc11])
    drug_discarded_mg = models.DecimalField(
        "discarded (mg)",
        max_digits=8,
        decimal_places=2,
        default=Decimal("0"),
        help_text="Left in the vial and thrown away, given to no patient (0 when none).",
    )
    # None on refills documented before the question was asked.
    drug_supplied_by_practice = models.BooleanField(
        "drug supplied by the practice", null=True, blank=True
    )
    drug_lot = models.CharField("lot", max_length=30)
    drug_expires_on = models.DateField("expiry")

    # Pump
    pump_type = models.CharField(max_length=10, choices=PumpType.choices, default=PumpType.EXTERNAL)
    pump_model = models.CharField(max_length=60, blank=True)
    pump_serial = models.CharField(max_length=40, blank=True)
    service = models.CharField(max_length=12, choices=Service.choices, default=Service.REFILL)
    rate_ml_h = models.DecimalField("programmed rate (mL/h)", max_digits=6, decimal_places=2)
    pump_volume_ml = models.DecimalField("programmed volume (mL)", max_digits=7, decimal_places=2)
    pump_programmed = models.BooleanField("pump programmed", default=False)
    pump_primed = models.BooleanField("pump primed", default=False)
    pump_function_verified = models.BooleanField("pump runs (function verified)", default=False)

    # Teaching
    teaching_alarms = models.BooleanField("taught alarms", default=False)
    teaching_site_care = models.BooleanField("taught site care", default=False)
    taught_person = models.CharField(
        "who was taught", max_length=10, choices=Taught.choices, default=Taught.PATIENT
    )
    teach_back_done = models.BooleanField("teach-back done", default=False)

    # Infusion and departure
    infusion_started_at = models.DateTimeField("infusion started at")
    adverse_reaction = models.TextField(
        help_text='"none", or a description of the reaction before the patient left.'
    )

    # Other same-day procedures the nurse saw done
    port_flush = models.BooleanField("port flush (96523)", default=False)
    blood_draw = models.CharField(max_length=5, choices=BloodDraw.choices, blank=True)
    other_chemo = models.CharField(
        "other chemotherapy administration", max_length=5, choices=OtherChemo.choices, blank=True
    )

    # Dual verification: the blind double check by a second clinician
    verified_by = optional_user(on_delete=models.PROTECT, related_name="verified_encounters")
    verified_at = models.DateTimeField(null=True, blank=True)

    signed_by = optional_user(on_delete=models.PROTECT, related_name="signed_encounters")
    signed_at = models.DateTimeField(null=True, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The one-time token of the form that created the draft: submitting it again finds this
    # draft instead of creating a second one.
    submission_id = models.UUIDField(null=True, blank=True, editable=False)
    history = HistoricalRecords()
    objects = EncounterQuerySet.as_manager()

    class Meta:
        ordering = ["-date_of_service", "-id"]
        permissions = [
            ("verify_encounter", "Can verify a refill as the second clinician"),
            ("sign_encounter", "Can sign a refill they performed"),
            ("add_encounter_addendum", "Can add an addendum to a signed refill"),
            ("view_audit", "Can view the audit trail of patients, refills and claims"),
            ("override_encounter", "Can override a refill's weight or lab limits as provider"),
        ]
        indexes = [
            models.Index(fields=["date_of_service", "status"], name="encounter_dos_status_idx"),
            models.Index(fields=["patient", "date_of_service"], name="encounter_patient_dos_idx"),
        ]
        constraints = [
            check(
                "encounter_status_valid",
                Q(status__in=EncounterStatus.values),
                "The status must be draft, verified or signed.",
            ),
            check(
                "encounter_weight_1_400_kg",
                between("weight_kg", Decimal("1"), Decimal("400")),
                "Weight must be between 1 and 400 kg.",
            ),
            check(
                "encounter_discarded_gte_0",
                Q(drug_discarded_mg__gte=0),
                "The discarded amount cannot be negative.",
            ),
            check(
                "encounter_lot_not_expired",
                Q(drug_expires_on__gte=F("date_of_service")),
                "The lot expires before the date of service: use a lot that is in date.",
            ),
            check(
                "encounter_cbc_not_after_service",
                empty_or("cbc_collected_on", Q(cbc_collected_on__lte=F("date_of_service"))),
                "The CBC cannot be collected after the date of service.",
            ),
            check(
                "encounter_cmp_not_after_service",
                empty_or("cmp_collected_on", Q(cmp_collected_on__lte=F("date_of_service"))),
                "The CMP cannot be collected after the date of service.",
            ),
            check(
                "encounter_two_distinct_verifiers",
                empty_or("verified_by", ~Q(verified_by=F("performing_nurse"))),
                "The second check must be done by a different clinician than the nurse who "
                "documented the refill.",
            ),
            check(
                "encounter_verified_has_verifier",
                Q(status=EncounterStatus.DRAFT) | filled("verified_by", "verified_at"),
                "A verified or signed refill must name who verified it and when.",
            ),
            check(
                "encounter_signed_has_signer",
                ~Q(status=EncounterStatus.SIGNED) | filled("signed_by", "signed_at"),
                "A signed refill must name who signed it and when.",
            ),
            check(
                "encounter_adverse_reaction_answered",
                ~Q(adverse_reaction=""),
                'Answer the reaction question: write "none" or describe the reaction.',
            ),
            unique(
                "encounter_unique_submission",
                ["submission_id"],
                "This refill form was already saved.",
            ),
            check(
                "encounter_pump_values_positive",
                above_zero(
                    "drug_concentration_mg_ml",
                    "drug_dose_mg",
                    "drug_volume_ml",
                    "rate_ml_h",
                    "pump_volume_ml",
                ),
                "Concentration, dose, volumes and rate must be above zero.",
            ),
            check(
                "encounter_labs_positive",
                empty_or_above_zero("anc", "platelets", "creatinine"),
                "Lab values must be above zero.",
            ),
        ]

    def __str__(self) -> str:
        return f"Refill encounter #{self.pk} on {self.date_of_service}"

    def save(self, *args, **kwargs):
        # Last line of defence for the legal record: whatever path writes (admin, shell,
        # a service bug), a signed row is never rewritten. Signing itself writes the row
        # while it is still unsigned in the database.
        if self.pk is not None:
            stored = type(self).objects.filter(pk=self.pk).values_list("status", flat=True).first()
            if stored == self.Status.SIGNED:
                raise SignedRecordError(f"Encounter {self.pk} is signed; add an addendum instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.status == self.Status.SIGNED:
            raise SignedRecordError(f"Encounter {self.pk} is signed and cannot be deleted.")
        return super().delete(*args, **kwargs)

    @property
    def drug_ndc_display(self) -> str:
        return ndc_formatted(self.drug_ndc)

    @property
    def is_locked(self) -> bool:
        return self.status == self.Status.SIGNED

    @property
    def disconnect_at(self) -> dt.datetime | None:
        """When the pump is due to be disconnected: the start plus the ordered duration."""
        if self.order is None or self.infusion_started_at is None:
            return None
        return self.infusion_started_at + dt.timedelta(minutes=int(self.order.infusion_hours * 60))

    def pump_values_visible_to(self, user) -> bool:
        """The blind double check: until a second clinician verified the entry, its pump
        values are shown only to the nurse who entered them."""
        return self.status != self.Status.DRAFT or user.pk == self.performing_nurse_id


class EncounterRecord(WrittenOnce):
    """A row that is part of a refill's record (a verification attempt, a provider override,
    an addendum): written once and kept as written, like the signed refill itself."""

    kept_error = SignedRecordError

    class Meta:
        abstract = True


class VerificationAttempt(EncounterRecord):
    """One blind double check: what the second clinician entered, and whether it matched."""

    # An attempt is evidence of what the second clinician entered: written once, never
    # rewritten (a new check is a new attempt).
    rewrite_message = "Verification attempt {pk} is a record; add a new one."
    delete_message = "Verification attempt {pk} is a record and is kept."

    encounter = models.ForeignKey(
        Encounter, on_delete=models.PROTECT, related_name="verification_attempts"
    )
    verifier = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    rate_ml_h = models.DecimalField("programmed rate (mL/h)", max_digits=6, decimal_places=2)
    pump_volume_ml = models.DecimalField("programmed volume (mL)", max_digits=7, decimal_places=2)
    drug_concentration_mg_ml = models.DecimalField(
        "concentration (mg/mL)", max_digits=8, decimal_places=3
    )
    # Names of Encounter fields; pages show their labels (see mismatched_labels).
    mismatched_fields = models.JSONField("values that did not match", default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Verification #{self.pk} of encounter {self.encounter_id}"

    @property
    def matched(self) -> bool:
        return not self.mismatched_fields

    @property
    def mismatched_labels(self) -> list[str]:
        return [field_label(Encounter, name) for name in self.mismatched_fields]


class ProviderOverride(EncounterRecord):
    """A provider's decision that a refill may go ahead although it is outside the order's
    weight or lab limits. ``concerns`` are the keys of the findings it answers (with the
    values then documented), so a later change of those values needs a new override."""

    rewrite_message = "Provider override {pk} is a record; add a new one."
    delete_message = "Provider override {pk} is a record and is kept."

    encounter = models.ForeignKey(
        Encounter, on_delete=models.PROTECT, related_name="provider_overrides"
    )
    provider = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    concerns = models.JSONField(default=list)
    reason = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            check(
                "provideroverride_has_reason", ~Q(reason=""), "Give the reason for the override."
            ),
        ]

    def __str__(self) -> str:
        return f"Provider override #{self.pk} of encounter {self.encounter_id}"


class Addendum(EncounterRecord):
    """A correction or late entry appended to a signed encounter; the original stays as signed.

    ``corrections`` holds replacement values for documentation fields (see
    ``CORRECTABLE_FIELDS`` in services); the effective record is the original with every
    addendum applied in order. An addendum is part of the signed record: a further
    correction is a further addendum.
    """

    rewrite_message = "Addendum {pk} is part of the signed record; add a new addendum."
    delete_message = "Addendum {pk} is part of the signed record and is kept."

    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="addenda")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    text = models.TextField()
    # Why someone other than the nurse who signed corrects the record (the signer is told).
    reason = models.CharField(max_length=500, blank=True)
    corrections = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Addendum #{self.pk} to encounter {self.encounter_id}"


class ProviderVisit(models.Model):
    """A same-day E/M visit recorded by the physician, NP or PA who performed it."""

    class EMCode(models.TextChoices):
        C99202 = "99202", "99202 New patient, straightforward"
        C99203 = "99203", "99203 New patient, low"
        C99204 = "99204", "99204 New patient, moderate"
        C99205 = "99205", "99205 New patient, high"
        C99211 = "99211", "99211 Established, minimal (may not need a practitioner)"
        C99212 = "99212", "99212 Established, straightforward"
        C99213 = "99213", "99213 Established, low"
        C99214 = "99214", "99214 Established, moderate"
        C99215 = "99215", "99215 Established, high"

    class PerformedByRole(models.TextChoices):
        PHYSICIAN = "physician", "Physician"
        NURSE_PRACTITIONER = "nurse_practitioner", "Nurse practitioner"
        PHYSICIAN_ASSISTANT = "physician_assistant", "Physician assistant"
        REGISTERED_NURSE = "registered_nurse", "Registered nurse"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="provider_visits")
    date_of_service = models.DateField()
    provider = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    em_code = models.CharField("E/M code", max_length=5, choices=EMCode.choices)
    performed_by_role = models.CharField(max_length=20, choices=PerformedByRole.choices)
    separately_identifiable = models.BooleanField(
        default=False,
        help_text="A significant problem beyond the refill and its routine pre-assessment.",
    )
    note = models.TextField()
    diagnoses = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-date_of_service", "-id"]
        indexes = [
            models.Index(fields=["patient", "date_of_service"], name="visit_patient_dos_idx"),
        ]
        constraints = [
            unique(
                "providervisit_unique_per_day",
                ["patient", "date_of_service", "em_code", "provider"],
                "This provider already recorded this E/M code for this patient on that day.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.em_code} on {self.date_of_service}"


class FormDraft(models.Model):
    """What a person typed into a form and has not saved yet.

    Kept on the server, never in the browser (it is patient data), so that an idle logoff
    or a closed tab loses nothing: the form page saves it in the background and offers it
    back to the same person on the same page. Deleted when the form is saved or cancelled.
    A working copy, not documentation: it has no history.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="form_drafts"
    )
    # The form page's path: opaque record numbers only, never a name.
    key = models.CharField(max_length=200)
    data = models.JSONField(default=dict)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            unique(
                "formdraft_one_per_user_and_form",
                ["user", "key"],
                "There is already a draft of this form for this user.",
            ),
        ]

    def __str__(self) -> str:
        return f"Draft of {self.key} by user {self.user_id}"
