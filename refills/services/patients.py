"""Registering patients and keeping their demographics and diagnoses."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction

from refills.errors import RefillError
from refills.models import Patient, PatientDiagnosis
from refills.services.checks import diagnosis_codes_clean, full_clean


@transaction.atomic
def patient_create(
    *, by: AbstractBaseUser, data: Mapping[str, Any], diagnoses: list[str]
) -> Patient:
    codes = diagnosis_codes_clean(diagnoses)
    patient = Patient(**data)
    full_clean(patient)
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
    full_clean(patient)
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
