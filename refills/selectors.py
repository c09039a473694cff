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

from refills import links, safety
from refills.blind import HIDDEN, MISMATCHES_PER_VERIFIER, PUMP_VALUE_FIELDS
from refills.models import (
    Addendum,
    ClinicSettings,
    Encounter,
    FormDraft,
    Order,
    Patient,
    PatientDiagnosis,
    PatientQuerySet,
    ProviderOverride,
    ProviderVisit,
    VerificationAttempt,
    field_label,
    mosteller_bsa,
)


def patients_visible_to(user) -> PatientQuerySet:
    if not user.has_perm("refills.view_patient"):
        return Patient.objects.none()
    return Patient.objects.all()


def patient_search(user, query: str) -> PatientQuerySet:
    patients = patients_visible_to(user).prefetch_related(
        Prefetch("diagnoses", queryset=PatientDiagnosis.objects.order_by("position", "id"))
    )
    return patients.matching(query)


def draft_for(user, key: str) -> FormDraft | None:
    """The user's own draft of the form at ``key``; nobody else's, ever."""
    if not user.is_authenticated:
        return None
    return FormDraft.objects.filter(user=user, key=key).first()


def same_day_encounters(user, patient: Patient, day: dt.date) -> QuerySet[Encounter]:
    """The patient's refills already documented on ``day``, for the warning on a new one."""
    return encounters_visible_to(user).filter(patient=patient, date_of_service=day).order_by("id")


def encounters_visible_to(user) -> QuerySet[Encounter]:
    if not user.has_perm("refills.view_encounter"):
        return Encounter.objects.none()
    return Encounter.objects.select_related(
        "patient", "performing_nurse", "verified_by", "signed_by", "supervising_practitioner"
    )


def encounters_in_detail(user) -> QuerySet[Encounter]:
    """The encounters the user may see, with what the refill's page shows beside each."""
    return (
        encounters_visible_to(user)
        .select_related("order__signed_by")
        .prefetch_related(
            "addenda__author",
            "verification_attempts__verifier",
            "provider_overrides__provider",
        )
    )


# Orders


def active_order(patient: Patient, day: dt.date) -> Order | None:
    """The patient's active order in force on ``day``."""
    return (
        Order.objects.in_force_on(day).filter(patient=patient).select_related("signed_by").first()
    )


def refill_order(patient: Patient, day: dt.date) -> tuple[Order | None, str]:
    """The order a refill on ``day`` is documented against, or None and why there is none."""
    order = Order.objects.filter(patient=patient, status=Order.Status.ACTIVE).first()
    if order is None:
        return None, (
            "This patient has no active order. A provider must write and sign the order "
            "before the refill can be saved."
        )
    if not order.is_in_force_on(day):
        return None, (
            f"The active order is valid from {order.valid_from:%Y-%m-%d} to "
            f"{order.valid_to:%Y-%m-%d}, not on {day:%Y-%m-%d}. Ask the provider for an order "
            "for this date."
        )
    signed = order.encounters.filter(status=Encounter.Status.SIGNED).count()
    if signed >= order.cycles:
        return None, (
            f"All {order.cycles} refills of the active order are signed. Ask the provider for "
            "a new order."
        )
    return order, ""


def refills_signed_on(order: Order) -> int:
    return order.encounters.filter(status=Encounter.Status.SIGNED).count()


def orders_visible_to(user) -> QuerySet[Order]:
    if not user.has_perm("refills.view_order"):
        return Order.objects.none()
    return Order.objects.select_related("patient", "signed_by", "discontinued_by")


def orders_of(patient: Patient) -> QuerySet[Order]:
    return patient.orders.select_related("signed_by")


def clinic_settings() -> ClinicSettings:
    return ClinicSettings.current()


# Safety state of an encounter


def encounter_concerns(encounter: Encounter) -> list[safety.Concern]:
    """Weight and lab findings against the order (none without one)."""
    if encounter.order is None:
        return []
    values = {f: getattr(encounter, f) for f in ("weight_kg", "anc", "platelets", "creatinine")}
    return safety.provider_concerns(values, encounter.order)


def encounter_pending_concerns(encounter: Encounter) -> list[safety.Concern]:
    """The findings no provider override answers yet: the nurse cannot sign until then."""
    overridden = [key for o in encounter.provider_overrides.all() for key in o.concerns]
    return safety.pending(encounter_concerns(encounter), overridden)


def mismatches_by(encounter: Encounter) -> dict[int, int]:
    """How many blind checks each verifier got wrong on this encounter."""
    counts: dict[int, int] = {}
    for attempt in encounter.verification_attempts.all():
        if not attempt.matched:
            counts[attempt.verifier_id] = counts.get(attempt.verifier_id, 0) + 1
    return counts


def may_verify(encounter: Encounter, user) -> bool:
    """Not the nurse who documented it, nor a verifier with two mismatches on it."""
    return (
        user.pk != encounter.performing_nurse_id
        and mismatches_by(encounter).get(user.pk, 0) < MISMATCHES_PER_VERIFIER
    )


def last_attempt_mismatched(encounter: Encounter) -> bool:
    """Whether the latest blind check of the draft did not match (the first nurse and the
    verifier then check the pump and the label together)."""
    attempts = sorted(encounter.verification_attempts.all(), key=lambda a: (a.created_at, a.pk))
    return (
        encounter.status == Encounter.Status.DRAFT and bool(attempts) and not attempts[-1].matched
    )


@dataclass
class WorklistRow:
    encounter: Encounter
    pending: list[safety.Concern]
    mismatched: bool
    may_verify: bool

    def __getattr__(self, name: str) -> Any:
        # The row reads like its encounter in templates (row.patient, row.status ...).
        if name == "encounter":
            raise AttributeError(name)
        return getattr(self.encounter, name)


def worklist(user, day: dt.date) -> dict[str, Any]:
    """Today's encounters, grouped by what they still need, with what holds each one up."""
    encounters = list(
        encounters_visible_to(user)
        .filter(Q(date_of_service=day) | ~Q(status=Encounter.Status.SIGNED))
        .select_related("order")
        .prefetch_related("verification_attempts", "provider_overrides")
        .order_by("date_of_service", "id")[:500]
    )
    rows = [
        WorklistRow(
            encounter=e,
            pending=[] if e.status == Encounter.Status.SIGNED else encounter_pending_concerns(e),
            mismatched=last_attempt_mismatched(e),
            may_verify=may_verify(e, user),
        )
        for e in encounters
    ]
    return {
        "needs_verification": [r for r in rows if r.status == Encounter.Status.DRAFT],
        "needs_signature": [r for r in rows if r.status == Encounter.Status.VERIFIED],
        "needs_override": [r for r in rows if r.pending],
        "signed_today": [
            r for r in rows if r.status == Encounter.Status.SIGNED and r.date_of_service == day
        ],
        "corrections_by_others": corrections_by_others(user, since=day - CORRECTIONS_SHOWN),
    }


# How long a correction by someone else stays on the signer's worklist.
CORRECTIONS_SHOWN = dt.timedelta(days=14)


def corrections_by_others(user, *, since: dt.date) -> list[Addendum]:
    """Addenda that others wrote to refills this user signed."""
    if not user.has_perm("refills.view_encounter"):
        return []
    return list(
        Addendum.objects.filter(encounter__signed_by=user, created_at__date__gte=since)
        .exclude(author=user)
        .select_related("author", "encounter__patient")
        .order_by("-created_at", "-id")[:50]
    )


def last_encounter_for(patient: Patient) -> Encounter | None:
    """The patient's most recent refill, for defaults that do not change from one refill to
    the next (place, supervisor, pump device); drug and pump values come from the order."""
    return patient.encounters.order_by("-date_of_service", "-id").first()


# The patient banner


@dataclass(frozen=True)
class PatientBanner:
    patient: Patient
    height_cm: Any
    weight_kg: Any
    weight_on: dt.date | None
    order: Order | None
    payer: str

    @property
    def bsa_m2(self) -> Any:
        """The body surface area of the height and weight shown, where both are known."""
        if self.height_cm and self.weight_kg:
            return mosteller_bsa(self.height_cm, self.weight_kg)
        return None


def patient_banner(patient: Patient, day: dt.date) -> PatientBanner:
    """Who the patient is, their latest weight (from their latest refill), height (recorded
    on the patient, else the order's dosing height), BSA, active order and payer."""
    return patient_banner_with(patient, day, active_order(patient, day))


def patient_banner_with(patient: Patient, day: dt.date, order: Order | None) -> PatientBanner:
    """The banner, for a caller that has looked up the active order on ``day`` already."""
    latest = (
        patient.encounters.order_by("-date_of_service", "-id")
        .values("weight_kg", "weight_measured_on")
        .first()
    )
    height = patient.height_cm or (order.dosing_height_cm if order else None)
    weight = latest["weight_kg"] if latest else (order.dosing_weight_kg if order else None)
    weight_on = latest["weight_measured_on"] if latest else None
    return PatientBanner(
        patient=patient,
        height_cm=height,
        weight_kg=weight,
        weight_on=weight_on,
        order=order,
        payer=links.payer(patient, day),
    )


def provider_visits_visible_to(user) -> QuerySet[ProviderVisit]:
    if not user.has_perm("refills.view_providervisit"):
        return ProviderVisit.objects.none()
    return ProviderVisit.objects.select_related("patient", "provider")


def visit_history(visit: ProviderVisit) -> list[AuditEntry]:
    """Who recorded and corrected the visit, when and why: the provider reads it beside it."""
    return history_entries(
        ProviderVisit.history.filter(id=visit.pk),
        lambda r: f"Visit #{r.id}",
    )


def provider_visits_for(user, patient: Patient, day: dt.date) -> QuerySet[ProviderVisit]:
    if not user.has_perm("refills.view_providervisit"):
        return ProviderVisit.objects.none()
    return ProviderVisit.objects.filter(patient=patient, date_of_service=day).select_related(
        "provider"
    )


# Audit trail: who did what, when and why, read from the history every service writes.

HISTORY_ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}
EMPTY: tuple[Any, ...] = (None, "", [], {})
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
    records: Iterable[Any],
    subject: Callable[[Any], str] | None = None,
    *,
    hide: Callable[[Any], bool] | None = None,
    hidden_fields: Iterable[str] = (),
) -> list[AuditEntry]:
    """One entry per simple-history record, with its field changes against the previous
    record of the same object (for a creation: every value it was created with).

    Where ``hide(record)`` is true, the values of ``hidden_fields`` read ``HIDDEN``."""
    hidden_fields = frozenset(hidden_fields)
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
        if hide is not None and hidden_fields and hide(record):
            raw = [
                (name, HIDDEN if old is not None else None, HIDDEN)
                if name in hidden_fields
                else (name, old, new)
                for name, old, new in raw
            ]
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


def _blind_for(viewer, ids: list[int]) -> set[int]:
    """The encounters among ``ids`` whose pump values ``viewer`` may not see yet."""
    drafts = Encounter.objects.filter(pk__in=ids, status=Encounter.Status.DRAFT)
    if viewer is not None:
        drafts = drafts.exclude(performing_nurse_id=viewer.pk)
    return set(drafts.values_list("pk", flat=True))


def encounter_audit(encounter_ids: Iterable[int], viewer=None) -> list[AuditEntry]:
    """The documentation, blind checks, overrides and addenda of the given encounters; the
    pump values of a draft are hidden from everyone but the nurse who entered them."""
    ids = list(encounter_ids)
    blind = _blind_for(viewer, ids)
    return _chronological(
        [
            *history_entries(
                Encounter.history.filter(id__in=ids),
                lambda r: f"Refill #{r.id} of {r.date_of_service:%Y-%m-%d}",
                hide=lambda r: r.id in blind,
                hidden_fields=PUMP_VALUE_FIELDS,
            ),
            *history_entries(
                VerificationAttempt.history.filter(encounter_id__in=ids),
                lambda r: f"Blind check #{r.id} of refill #{r.encounter_id}",
                hide=lambda r: r.encounter_id in blind,
                hidden_fields=(*PUMP_VALUE_FIELDS, "mismatched_fields"),
            ),
            *history_entries(
                ProviderOverride.history.filter(encounter_id__in=ids),
                lambda r: f"Provider override #{r.id} of refill #{r.encounter_id}",
            ),
            *history_entries(
                Addendum.history.filter(encounter_id__in=ids),
                lambda r: f"Addendum #{r.id} to refill #{r.encounter_id}",
            ),
        ]
    )


def patient_audit(patient: Patient, viewer=None) -> list[AuditEntry]:
    """Demographics, diagnoses, orders, provider visits and every refill of the patient,
    including records deleted since."""
    encounter_ids = set(
        Encounter.history.filter(patient_id=patient.pk).values_list("id", flat=True)
    )
    return _chronological(
        [
            *history_entries(Patient.history.filter(id=patient.pk), lambda r: "Patient"),
            *history_entries(
                Order.history.filter(patient_id=patient.pk), lambda r: f"Order #{r.id}"
            ),
            *history_entries(
                PatientDiagnosis.history.filter(patient_id=patient.pk),
                lambda r: f"Diagnosis {r.code}",
            ),
            *history_entries(
                ProviderVisit.history.filter(patient_id=patient.pk),
                lambda r: f"Provider visit #{r.id} of {r.date_of_service:%Y-%m-%d}",
            ),
            *encounter_audit(encounter_ids, viewer),
        ]
    )
