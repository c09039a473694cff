"""Registering patients and keeping their demographics and diagnoses."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from config.history import record_change
from refills.errors import RefillError
from refills.models import Patient, PatientDiagnosis
from refills.services.checks import diagnosis_codes_clean, full_clean, save_or_refuse


@transaction.atomic
def patient_create(*, by: User, data: Mapping[str, Any], diagnoses: list[str]) -> Patient:
    codes = diagnosis_codes_clean(diagnoses)
    patient = Patient(**data)
    full_clean(patient)
    record_change(patient, by=by, reason="registered")
    # Another registration with the same MRN may commit after full_clean looked.
    save_or_refuse(
        patient, RefillError("A patient with this MRN already exists.", field="mrn", code="unique")
    )
    _diagnoses_replace(patient, codes, by=by)
    return patient


@transaction.atomic
def patient_update(
    *, by: User, patient: Patient, data: Mapping[str, Any], diagnoses: list[str]
) -> Patient:
    codes = diagnosis_codes_clean(diagnoses)
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    for field, value in data.items():
        setattr(patient, field, value)
    full_clean(patient)
    record_change(patient, by=by, reason="demographics updated")
    patient.save()
    _diagnoses_replace(patient, codes, by=by)
    return patient


def _diagnoses_replace(patient: Patient, codes: list[str], *, by: User) -> None:
    existing = {d.code: d for d in patient.diagnoses.all()}
    for code, diagnosis in existing.items():
        if code not in codes:
            record_change(diagnosis, by=by, reason="diagnosis removed")
            diagnosis.delete()
    for position, code in enumerate(codes):
        diagnosis = existing.get(code) or PatientDiagnosis(patient=patient, code=code)
        if diagnosis.pk is None or diagnosis.position != position:
            diagnosis.position = position
            record_change(diagnosis, by=by, reason="diagnosis recorded")
            diagnosis.save()
