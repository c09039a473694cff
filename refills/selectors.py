"""Reads shared by views; each returns only what the given user may see."""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch, Q, QuerySet

from refills.models import Encounter, Patient, PatientDiagnosis, ProviderVisit


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
        terms &= Q(last_name__icontains=word) | Q(first_name__icontains=word) | Q(mrn__iexact=word)
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
