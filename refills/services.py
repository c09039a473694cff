"""Every write to refill documentation goes through these functions.

Each one checks the current state, writes inside one transaction with the row locked, and
leaves a history record carrying who and why. Errors are ``RefillError`` with, where it
belongs to one field, the field's name, so a view can show the message next to it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

import icd10cm
from refills.models import (
    Addendum,
    Encounter,
    Patient,
    PatientDiagnosis,
    ProviderVisit,
    VerificationAttempt,
)
from refills.signals import documentation_changed

MIN_WEIGHT_KG = Decimal("1")
MAX_WEIGHT_KG = Decimal("400")

# Fields the nurse enters on the encounter form (and nothing else: status, verification
# and signature change only through their own services).
ENCOUNTER_FIELDS = (
    "date_of_service",
    "place_of_service",
    "supervising_practitioner",
    "weight_kg",
    "weight_measured_on",
    "cbc_collected_on",
    "cmp_collected_on",
    "anc",
    "platelets",
    "creatinine",
    "tolerance_notes",
    "drug_name",
    "drug_antineoplastic",
    "drug_concentration_mg_ml",
    "drug_dose_mg",
    "drug_volume_ml",
    "drug_ndc",
    "drug_lot",
    "drug_expires_on",
    "pump_type",
    "pump_model",
    "pump_serial",
    "service",
    "rate_ml_h",
    "pump_volume_ml",
    "pump_programmed",
    "pump_primed",
    "pump_function_verified",
    "teaching_alarms",
    "teaching_site_care",
    "taught_person",
    "teach_back_done",
    "infusion_started_at",
    "adverse_reaction",
    "port_flush",
    "blood_draw",
    "other_chemo",
)

# The values the second clinician enters blind, compared with the first entry.
BLIND_CHECK_FIELDS = ("rate_ml_h", "pump_volume_ml", "drug_concentration_mg_ml")

# What an addendum may correct or complete after signing. Everything else is fixed by the
# signature; a correction of those is a new encounter.
CORRECTABLE_FIELDS = (
    "cbc_collected_on",
    "cmp_collected_on",
    "pump_programmed",
    "pump_primed",
    "pump_function_verified",
    "teaching_alarms",
    "teaching_site_care",
    "teach_back_done",
    "adverse_reaction",
)


class RefillError(Exception):
    """A refill operation was refused; ``field`` names the form field it belongs to."""

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


class DuplicateSubmissionError(RefillError):
    """The encounter form was submitted again; ``encounter`` is the draft it already made."""

    def __init__(self, encounter: Encounter):
        self.encounter = encounter
        super().__init__("This refill was already saved.", code="duplicate")


class HardStopError(RefillError):
    """Documentation that must not be saved at all; ``errors`` maps field to message."""

    def __init__(self, errors: Mapping[str, str]):
        self.errors = dict(errors)
        field, message = next(iter(self.errors.items()))
        super().__init__(message, field=field, code="hard_stop")


def hard_stops(data: Mapping[str, Any], *, now: dt.datetime) -> dict[str, str]:
    """The clinical hard stops, as {field: message}; empty when none applies.

    Shared by the form (so each message sits next to its field) and the services (so no
    path around the form can save what the form refuses).
    """
    errors: dict[str, str] = {}
    dos = data.get("date_of_service")
    expires = data.get("drug_expires_on")
    if dos and expires and expires < dos:
        errors["drug_expires_on"] = (
            f"This lot expired on {expires:%Y-%m-%d}, before the date of service. "
            "Do not use it: take a lot that is in date."
        )
    for field, label in (("cbc_collected_on", "CBC"), ("cmp_collected_on", "CMP")):
        collected = data.get(field)
        if dos and collected and collected > dos:
            errors[field] = f"The {label} cannot be collected after the date of service."
    weight = data.get("weight_kg")
    if weight is not None and not (MIN_WEIGHT_KG <= weight <= MAX_WEIGHT_KG):
        errors["weight_kg"] = "Weight must be between 1 and 400 kg."
    measured = data.get("weight_measured_on")
    if dos and measured and measured > dos:
        errors["weight_measured_on"] = "The weight cannot be measured after the date of service."
    started = data.get("infusion_started_at")
    if started and started > now:
        errors["infusion_started_at"] = "The infusion start time cannot be in the future."
    if dos and dos > timezone.localdate(now):
        errors["date_of_service"] = "The date of service cannot be in the future."
    reaction = data.get("adverse_reaction")
    if reaction is not None and not str(reaction).strip():
        errors["adverse_reaction"] = 'Answer this: write "none" or describe the reaction.'
    return errors


def _check_hard_stops(data: Mapping[str, Any], now: dt.datetime) -> None:
    errors = hard_stops(data, now=now)
    if errors:
        raise HardStopError(errors)


def _full_clean(instance, exclude: tuple[str, ...] = ()) -> None:
    try:
        instance.full_clean(exclude=list(exclude), validate_constraints=True)
    except ValidationError as exc:
        errors = {
            field: " ".join(str(m) for m in messages)
            for field, messages in exc.message_dict.items()
        }
        raise HardStopError(errors) from exc


def diagnosis_codes_clean(codes: list[str]) -> list[str]:
    """Dotted, de-duplicated billable ICD-10-CM codes; raises on the first invalid one."""
    cleaned: list[str] = []
    for raw in codes:
        if not raw.strip():
            continue
        code = icd10cm.normalize(raw)
        if not icd10cm.is_billable(code):
            raise RefillError(
                f"{raw.strip()} is not a billable ICD-10-CM code (use the full code, "
                "for example C18.9).",
                field="diagnoses",
                code="icd10",
            )
        if code not in cleaned:
            cleaned.append(code)
    return cleaned


# Patients


@transaction.atomic
def patient_create(
    *, by: AbstractBaseUser, data: Mapping[str, Any], diagnoses: list[str]
) -> Patient:
    codes = diagnosis_codes_clean(diagnoses)
    patient = Patient(**data)
    _full_clean(patient)
    patient._change_reason = "registered"
    patient._history_user = by
    try:
        with transaction.atomic():
            patient.save()
    except IntegrityError as exc:
        # Another registration with the same MRN committed after full_clean looked.
        raise RefillError(
            "A patient with this MRN already exists.", field="mrn", code="unique"
        ) from exc
    _diagnoses_replace(patient, codes, by=by)
    return patient


@transaction.atomic
def patient_update(
    *, by: AbstractBaseUser, patient: Patient, data: Mapping[str, Any], diagnoses: list[str]
) -> Patient:
    codes = diagnosis_codes_clean(diagnoses)
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    for field, value in data.items():
        setattr(patient, field, value)
    _full_clean(patient)
    patient._change_reason = "demographics updated"
    patient._history_user = by
    patient.save()
    _diagnoses_replace(patient, codes, by=by)
    return patient


def _diagnoses_replace(patient: Patient, codes: list[str], *, by: AbstractBaseUser) -> None:
    existing = {d.code: d for d in patient.diagnoses.all()}
    for code, diagnosis in existing.items():
        if code not in codes:
            diagnosis._change_reason = "diagnosis removed"
            diagnosis._history_user = by
            diagnosis.delete()
    for position, code in enumerate(codes):
        diagnosis = existing.get(code) or PatientDiagnosis(patient=patient, code=code)
        if diagnosis.pk is None or diagnosis.position != position:
            diagnosis.position = position
            diagnosis._change_reason = "diagnosis recorded"
            diagnosis._history_user = by
            diagnosis.save()


# Encounters


def encounter_create(
    *,
    by: AbstractBaseUser,
    patient: Patient,
    data: Mapping[str, Any],
    submission_id: uuid.UUID | None = None,
    now: dt.datetime | None = None,
) -> Encounter:
    """Save a new draft.

    ``submission_id`` is the form's one-time token. When a draft was already saved with it
    (the form submitted twice, even at the same moment) nothing new is written and
    ``DuplicateSubmissionError`` carries that draft.
    """
    now = now or timezone.now()
    _raise_if_submitted(by, patient, submission_id)
    _check_hard_stops(data, now)
    encounter = Encounter(
        patient=patient,
        performing_nurse=by,
        created_by=by,
        status=Encounter.Status.DRAFT,
        submission_id=submission_id,
        **{f: data[f] for f in ENCOUNTER_FIELDS if f in data},
    )
    _full_clean(encounter, exclude=("submission_id",))
    encounter._change_reason = "documented"
    encounter._history_user = by
    try:
        with transaction.atomic():
            encounter.save()
    except IntegrityError:
        # The unique token lost a race with the other submission: answer as if it came second.
        _raise_if_submitted(by, patient, submission_id)
        raise
    return encounter


def _raise_if_submitted(
    by: AbstractBaseUser, patient: Patient, submission_id: uuid.UUID | None
) -> None:
    if submission_id is None:
        return
    existing = Encounter.objects.filter(submission_id=submission_id).first()
    if existing is None:
        return
    if existing.performing_nurse_id != by.pk or existing.patient_id != patient.pk:
        raise RefillError("This form was already used. Reload the page and enter it again.")
    raise DuplicateSubmissionError(existing)


def encounter_update(
    *,
    by: AbstractBaseUser,
    encounter: Encounter,
    data: Mapping[str, Any],
    now: dt.datetime | None = None,
) -> Encounter:
    now = now or timezone.now()
    _check_hard_stops(data, now)
    with transaction.atomic():
        encounter = Encounter.objects.select_for_update().get(pk=encounter.pk)
        if encounter.status == Encounter.Status.SIGNED:
            raise RefillError(
                "This encounter is signed and locked. Add an addendum instead.", code="locked"
            )
        if encounter.performing_nurse_id != by.pk:
            raise RefillError("Only the nurse who performed the refill can edit it.", code="owner")
        changed = [f for f in ENCOUNTER_FIELDS if f in data and getattr(encounter, f) != data[f]]
        for field in changed:
            setattr(encounter, field, data[field])
        reason = "edited"
        if changed and encounter.status == Encounter.Status.VERIFIED:
            # What the second clinician checked is no longer what is documented.
            encounter.status = Encounter.Status.DRAFT
            encounter.verified_by = None
            encounter.verified_at = None
            reason = "edited after verification; verification cleared"
        _full_clean(encounter)
        encounter._change_reason = reason
        encounter._history_user = by
        encounter.save()
    return encounter


class VerificationResult:
    def __init__(self, attempt: VerificationAttempt, encounter: Encounter):
        self.attempt = attempt
        self.encounter = encounter

    @property
    def matched(self) -> bool:
        return self.attempt.matched


def encounter_verify(
    *,
    verifier: AbstractBaseUser,
    encounter: Encounter,
    entered: Mapping[str, Decimal],
    now: dt.datetime | None = None,
) -> VerificationResult:
    """Record the second clinician's blind entry; verify the encounter when it matches.

    A mismatch is kept (it is part of the record) and leaves the encounter a draft.
    The caller must have authenticated ``verifier`` with their own password.
    """
    now = now or timezone.now()
    with transaction.atomic():
        encounter = Encounter.objects.select_for_update().get(pk=encounter.pk)
        if encounter.status != Encounter.Status.DRAFT:
            raise RefillError(
                f"This encounter is {encounter.get_status_display().lower()}; "
                "only a draft can be verified.",
                code="state",
            )
        if verifier.pk == encounter.performing_nurse_id:
            raise RefillError(
                "The second check must be done by a different clinician than the nurse "
                "who documented the refill.",
                field="username",
                code="same_verifier",
            )
        if not verifier.has_perm("refills.verify_encounter"):
            raise RefillError(
                "This user is not allowed to verify refills.", field="username", code="role"
            )
        mismatched = [f for f in BLIND_CHECK_FIELDS if Decimal(entered[f]) != getattr(encounter, f)]
        attempt = VerificationAttempt(
            encounter=encounter,
            verifier=verifier,
            mismatched_fields=mismatched,
            **{f: entered[f] for f in BLIND_CHECK_FIELDS},
        )
        # The request belongs to whoever is signed in at the workstation (often the first
        # nurse); the record belongs to the clinician who authenticated for the check.
        attempt._history_user = verifier
        attempt._change_reason = "matched" if not mismatched else "mismatch"
        attempt.save()
        if not mismatched:
            encounter.status = Encounter.Status.VERIFIED
            encounter.verified_by = verifier
            encounter.verified_at = now
            encounter._change_reason = "verified by blind double check"
            encounter._history_user = verifier
            try:
                with transaction.atomic():
                    encounter.save()
            except IntegrityError as exc:
                raise RefillError(
                    "The same clinician cannot document and verify.", code="same_verifier"
                ) from exc
    return VerificationResult(attempt, encounter)


def encounter_sign(
    *, by: AbstractBaseUser, encounter: Encounter, now: dt.datetime | None = None
) -> Encounter:
    """Sign and lock. Everything listening for signed documentation (billing) runs inside
    the same transaction, so a failure there leaves the encounter unsigned."""
    now = now or timezone.now()
    with transaction.atomic():
        encounter = Encounter.objects.select_for_update().get(pk=encounter.pk)
        if encounter.status == Encounter.Status.SIGNED:
            raise RefillError("This encounter is already signed.", code="state")
        if encounter.status != Encounter.Status.VERIFIED:
            raise RefillError(
                "A second clinician must verify the refill (blind double check) before "
                "it can be signed.",
                code="state",
            )
        if encounter.performing_nurse_id != by.pk:
            raise RefillError("Only the nurse who performed the refill can sign it.", code="owner")
        encounter.status = Encounter.Status.SIGNED
        encounter.signed_by = by
        encounter.signed_at = now
        encounter._change_reason = "signed"
        encounter._history_user = by
        encounter.save()
        documentation_changed.send(
            sender=Encounter, encounter=encounter, by=by, reason="signed", now=now
        )
    return encounter


def addendum_create(
    *,
    by: AbstractBaseUser,
    encounter: Encounter,
    text: str,
    corrections: Mapping[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> Addendum:
    now = now or timezone.now()
    corrections = dict(corrections or {})
    if not text.strip():
        raise RefillError("Say what the addendum adds or corrects.", field="text", code="required")
    unknown = sorted(set(corrections) - set(CORRECTABLE_FIELDS))
    if unknown:
        raise RefillError(f"{', '.join(unknown)} cannot be corrected by addendum.", code="field")
    with transaction.atomic():
        encounter = Encounter.objects.select_for_update().get(pk=encounter.pk)
        if encounter.status != Encounter.Status.SIGNED:
            raise RefillError(
                "Addenda are for signed encounters; edit the draft instead.", code="state"
            )
        effective = dict(encounter_effective_values(encounter))
        effective.update(corrections)
        _check_hard_stops(effective, now)
        addendum = Addendum(
            encounter=encounter,
            author=by,
            text=text.strip(),
            corrections=_jsonable(corrections),
        )
        addendum._change_reason = "addendum"
        addendum._history_user = by
        addendum.save()
        documentation_changed.send(
            sender=Addendum, encounter=encounter, by=by, reason="addendum", now=now
        )
    return addendum


def _jsonable(values: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, dt.date):
            out[key] = value.isoformat()
        elif isinstance(value, Decimal):
            out[key] = str(value)
        else:
            out[key] = value
    return out


def encounter_effective_values(encounter: Encounter) -> dict[str, Any]:
    """The documented values with every addendum's corrections applied in order."""
    values = {f: getattr(encounter, f) for f in ENCOUNTER_FIELDS}
    for addendum in encounter.addenda.all():
        for field, raw in addendum.corrections.items():
            model_field = Encounter._meta.get_field(field)
            values[field] = model_field.to_python(raw)
    return values


# Provider visits


def provider_visit_record(
    *,
    by: AbstractBaseUser,
    patient: Patient,
    data: Mapping[str, Any],
    diagnoses: list[str],
    now: dt.datetime | None = None,
) -> ProviderVisit:
    now = now or timezone.now()
    codes = diagnosis_codes_clean(diagnoses)
    visit = ProviderVisit(patient=patient, provider=by, diagnoses=codes, **data)
    if visit.date_of_service and visit.date_of_service > timezone.localdate(now):
        raise RefillError(
            "The visit date cannot be in the future.", field="date_of_service", code="future"
        )
    if ProviderVisit.objects.filter(
        patient=patient, provider=by, date_of_service=visit.date_of_service, em_code=visit.em_code
    ).exists():
        raise RefillError(
            "You already recorded this E/M code for this patient on that day.",
            field="em_code",
            code="duplicate",
        )
    _full_clean(visit)
    with transaction.atomic():
        visit._change_reason = "provider visit recorded"
        visit._history_user = by
        visit.save()
        for encounter in Encounter.objects.filter(
            patient=patient,
            date_of_service=visit.date_of_service,
            status=Encounter.Status.SIGNED,
        ).select_for_update():
            documentation_changed.send(
                sender=ProviderVisit,
                encounter=encounter,
                by=by,
                reason="same-day provider visit recorded",
                now=now,
            )
    return visit
