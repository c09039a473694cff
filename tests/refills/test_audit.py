"""The audit trail: who, when (clinic time), what changed and why, for admins only."""

from __future__ import annotations

import zoneinfo
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse

from refills import services
from refills.models import Encounter, VerificationAttempt
from refills.selectors import NOTHING, AuditChange
from tests.factories import encounter_data, encounter_post, signed_refill, verify_post


@pytest.fixture
def draft(patient, nurse):
    return services.encounter_create(by=nurse, patient=patient, data=encounter_data())


def test_verification_is_attributed_to_the_second_clinician_not_the_session(
    client, nurse, nurse2, draft
):
    client.force_login(nurse)  # the first nurse's workstation
    client.post(
        reverse("refills:encounter_verify", args=[draft.pk]),
        verify_post(),
    )

    latest = Encounter.objects.get(pk=draft.pk).history.latest()
    attempt = VerificationAttempt.history.get()
    assert (latest.history_user, latest.history_change_reason) == (
        nurse2,
        "verified by blind double check",
    )
    assert (attempt.history_user, attempt.history_change_reason) == (nurse2, "matched")


def test_every_service_names_its_actor_without_a_request(patient, nurse, nurse2, provider):
    encounter = signed_refill(patient, nurse, nurse2)
    services.addendum_create(by=nurse, encounter=encounter, text="Late entry.")
    services.patient_update(by=nurse2, patient=patient, data={"city": "Peoria"}, diagnoses=[])

    reasons = [
        (h.history_user, h.history_change_reason)
        for h in Encounter.history.filter(id=encounter.pk).order_by("history_id")
    ]
    assert reasons == [
        (nurse, "documented"),
        (nurse2, "verified by blind double check"),
        (nurse, "signed"),
    ]
    assert encounter.addenda.get().history.get().history_user == nurse
    assert patient.history.latest().history_user == nurse2
    removed = patient.diagnoses.model.history.filter(patient_id=patient.pk, history_type="-")
    assert [(h.code, h.history_user) for h in removed] == [("C18.9", nurse2)]


def test_encounter_audit_shows_field_changes_who_and_why_in_clinic_time(
    client, admin_user, nurse, draft
):
    client.force_login(nurse)
    client.post(
        reverse("refills:encounter_edit", args=[draft.pk]),
        encounter_post(encounter_data(weight_kg=Decimal("80.0"), drug_lot="NEW1")),
    )
    client.force_login(admin_user)

    response = client.get(reverse("refills:encounter_audit", args=[draft.pk]))

    assert response.status_code == 200
    created, edited = response.context["entries"]
    assert (created.who, created.action, created.why) == ("Maria Alvarez", "created", "documented")
    assert AuditChange("weight (kg)", NOTHING, "71.4") in created.changes
    assert (edited.who, edited.action, edited.why) == ("Maria Alvarez", "changed", "edited")
    assert edited.changes == (
        AuditChange("lot", "F5U2291", "NEW1"),
        AuditChange("weight (kg)", "71.4", "80.0"),
    )
    clinic = edited.at.astimezone(zoneinfo.ZoneInfo(settings.CLINIC_TIME_ZONE))
    content = response.content.decode()
    assert f"{clinic:%Y-%m-%d %H:%M:%S} {clinic.tzname()}" in content
    assert "71.4 → 80.0" in content


def test_patient_audit_covers_demographics_diagnoses_and_refills(
    client, admin_user, nurse, patient, draft
):
    services.patient_update(
        by=nurse, patient=patient, data={"city": "Peoria"}, diagnoses=["C18.9", "C78.7"]
    )
    client.force_login(admin_user)

    response = client.get(reverse("refills:patient_audit", args=[patient.pk]))

    entries = response.context["entries"]
    subjects = [(e.subject, e.action, e.why) for e in entries]
    assert ("Patient", "changed", "demographics updated") in subjects
    assert ("Diagnosis C78.7", "created", "diagnosis recorded") in subjects
    assert (f"Refill #{draft.pk} of {draft.date_of_service:%Y-%m-%d}", "created", "documented") in (
        subjects
    )
    city = next(e for e in entries if e.subject == "Patient" and e.action == "changed")
    assert city.changes == (AuditChange("city", "Springfield", "Peoria"),)
    assert city.who == "Maria Alvarez"


def test_audit_links_are_shown_to_admins_only(client, admin_user, nurse, draft, patient):
    audit = reverse("refills:encounter_audit", args=[draft.pk])
    client.force_login(nurse)
    detail = reverse("refills:encounter_detail", args=[draft.pk])
    assert audit not in client.get(detail).content.decode()
    assert client.get(audit).status_code == 403

    client.force_login(admin_user)
    assert audit in client.get(detail).content.decode()
    patient_page = client.get(reverse("refills:patient_detail", args=[patient.pk]))
    assert reverse("refills:patient_audit", args=[patient.pk]) in patient_page.content.decode()


def test_audit_markup_is_escaped(client, admin_user, nurse, patient):
    services.patient_update(
        by=nurse, patient=patient, data={"city": "<script>alert(1)</script>"}, diagnoses=["C18.9"]
    )
    client.force_login(admin_user)
    content = client.get(reverse("refills:patient_audit", args=[patient.pk])).content.decode()
    assert "<script>alert(1)" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content
