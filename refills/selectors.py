"""Reads shared by views; each returns only what the given user may see."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import ForeignKey, Prefetch, Q, QuerySet
from django.forms.models import model_to_dict
from django.utils import timezone

from config import search
from refills.models import (
    Addendum,
    Encounter,
    Patient,
    PatientDiagnosis,
    ProviderVisit,
    VerificationAttempt,
    field_label,
)


def patients_visible_to(user) -> QuerySet[Patient]:
    if not user.has_perm("refills.view_patient"):
        return Patient.objects.none()
    return Patient.objects.all()


def patient_search(user, query: str) -> QuerySet[Patient]:
    patients = patients_visible_to(user).prefetch_related(
        Prefetch("diagnoses", queryset=PatientDiagnosis.objects.order_by("position", "id"))
    )
    query = query.strip()
    if not query:
        return patients
    terms = Q()
    for word in query.replace(",", " ").split():
        terms &= Q(search_name__contains=search.fold(word)) | Q(mrn__iexact=word)
    return patients.filter(terms)


def encounters_visible_to(user) -> QuerySet[Encounter]:
    if not user.has_perm("refills.view_encounter"):
        return Encounter.objects.none()
    return Encounter.objects.select_related(
        "patient", "performing_nurse", "verified_by", "signed_by", "supervising_practitioner"
    )


def encounter_detail(user, pk: int) -> Encounter:
    """Raises Encounter.DoesNotExist where the user may not see it (the view answers 404)."""
    return (
        encounters_visible_to(user)
        .prefetch_related("addenda__author", "verification_attempts__verifier")
        .get(pk=pk)
    )


def worklist(user, day: dt.date) -> dict[str, list[Encounter]]:
    """Today's encounters, grouped by what they still need."""
    rows = list(
        encounters_visible_to(user)
        .filter(Q(date_of_service=day) | ~Q(status=Encounter.Status.SIGNED))
        .order_by("date_of_service", "id")[:500]
    )
    return {
        "needs_verification": [e for e in rows if e.status == Encounter.Status.DRAFT],
        "needs_signature": [e for e in rows if e.status == Encounter.Status.VERIFIED],
        "signed_today": [
            e for e in rows if e.status == Encounter.Status.SIGNED and e.date_of_service == day
        ],
    }


def last_encounter_for(patient: Patient) -> Encounter | None:
    """The patient's most recent refill, for sensible defaults (pump, drug) on a new one."""
    return patient.encounters.order_by("-date_of_service", "-id").first()


def provider_visits_for(user, patient: Patient, day: dt.date) -> QuerySet[ProviderVisit]:
    if not user.has_perm("refills.view_providervisit"):
        return ProviderVisit.objects.none()
    return ProviderVisit.objects.filter(patient=patient, date_of_service=day).select_related(
        "provider"
    )


# Audit trail: who did what, when and why, read from the history every service writes.

HISTORY_ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}
EMPTY = (None, "", [], {})
NOTHING = "\u2013"  # the en dash the pages show for an empty value


@dataclass(frozen=True)
class AuditChange:
    field: str
    old: str
    new: str


@dataclass(frozen=True)
class AuditEntry:
    at: dt.datetime
    who: str
    subject: str
    action: str
    why: str
    changes: tuple[AuditChange, ...] = ()


def history_entries(
    records: Iterable[Any], subject: Callable[[Any], str] | None = None
) -> list[AuditEntry]:
    """One entry per simple-history record, with its field changes against the previous
    record of the same object (for a creation: every value it was created with)."""
    records = sorted(records, key=lambda r: (r.history_date, r.history_id))
    users = _user_names(records)
    previous: dict[Any, Any] = {}
    entries = []
    for record in records:
        meta = record.instance_type._meta
        fields = [f.name for f in record.tracked_fields if f.editable and not f.primary_key]
        before = previous.get(record.id)
        if before is None:
            values = model_to_dict(record, fields=fields)
            raw = [(name, None, values[name]) for name in fields if values[name] not in EMPTY]
        else:
            delta = record.diff_against(before, included_fields=fields)
            raw = [(c.field, c.old, c.new) for c in delta.changes]
        previous[record.id] = record
        changes = tuple(
            AuditChange(
                field_label(record.instance_type, name),
                _display(meta.get_field(name), _labelled(meta.model, name, old), users),
                _display(meta.get_field(name), _labelled(meta.model, name, new), users),
            )
            for name, old, new in raw
        )
        entries.append(
            AuditEntry(
                at=record.history_date,
                who=users.get(record.history_user_id, "system"),
                subject=subject(record) if subject else str(record.instance),
                action=HISTORY_ACTIONS.get(record.history_type, record.history_type),
                why=record.history_change_reason or "",
                changes=changes,
            )
        )
    return entries


# JSON values that hold Encounter field names (a list of them, or a dict keyed by them): the
# audit shows each name as its label.
FIELD_NAME_VALUES: dict[tuple[str, str], type[Encounter]] = {
    ("VerificationAttempt", "mismatched_fields"): Encounter,
    ("Addendum", "corrections"): Encounter,
}


def _labelled(model, name: str, value: Any) -> Any:
    target = FIELD_NAME_VALUES.get((model.__name__, name))
    if target is None:
        return value
    if isinstance(value, list):
        return [field_label(target, v) if isinstance(v, str) else v for v in value]
    if isinstance(value, dict):
        return "; ".join(
            f"{field_label(target, k)}: {_json_value(v)}" for k, v in sorted(value.items())
        )
    return value


def _json_value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value in EMPTY:
        return NOTHING
    return str(value)


def _user_names(records: list[Any]) -> dict[int, str]:
    user_model = get_user_model()
    pks: set[int] = set()
    for record in records:
        pks.add(record.history_user_id)
        for field in record.tracked_fields:
            if isinstance(field, ForeignKey) and field.related_model is user_model:
                pks.add(getattr(record, field.attname))
    pks.discard(None)
    return {
        pk: user.get_full_name() or user.get_username()
        for pk, user in user_model.objects.in_bulk(pks).items()
    }


def _display(field, value: Any, users: dict[int, str]) -> str:
    if value in EMPTY:
        return NOTHING
    if isinstance(field, ForeignKey):
        if field.related_model is get_user_model():
            return users.get(value, f"user #{value}")
        return f"#{value}"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return f"{timezone.localtime(value):%Y-%m-%d %H:%M %Z}"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return ", ".join(value)
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _chronological(entries: Iterable[AuditEntry]) -> list[AuditEntry]:
    return sorted(entries, key=lambda e: e.at)


def encounter_audit(encounter_ids: Iterable[int]) -> list[AuditEntry]:
    """The documentation, blind checks and addenda of the given encounters."""
    ids = list(encounter_ids)
    return _chronological(
        [
            *history_entries(
                Encounter.history.filter(id__in=ids),
                lambda r: f"Refill #{r.id} of {r.date_of_service:%Y-%m-%d}",
            ),
            *history_entries(
                VerificationAttempt.history.filter(encounter_id__in=ids),
                lambda r: f"Blind check #{r.id} of refill #{r.encounter_id}",
            ),
            *history_entries(
                Addendum.history.filter(encounter_id__in=ids),
                lambda r: f"Addendum #{r.id} to refill #{r.encounter_id}",
            ),
        ]
    )


def patient_audit(patient: Patient) -> list[AuditEntry]:
    """Demographics, diagnoses, provider visits and every refill of the patient, including
    records deleted since."""
    encounter_ids = set(
        Encounter.history.filter(patient_id=patient.pk).values_list("id", flat=True)
    )
    return _chronological(
        [
            *history_entries(Patient.history.filter(id=patient.pk), lambda r: "Patient"),
            *history_entries(
                PatientDiagnosis.history.filter(patient_id=patient.pk),
                lambda r: f"Diagnosis {r.code}",
            ),
            *history_entries(
                ProviderVisit.history.filter(patient_id=patient.pk),
                lambda r: f"Provider visit #{r.id} of {r.date_of_service:%Y-%m-%d}",
            ),
            *encounter_audit(encounter_ids),
        ]
    )
