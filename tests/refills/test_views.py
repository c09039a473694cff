from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from refills import services
from refills.models import Encounter, Patient, ProviderVisit, VerificationAttempt
from tests.factories import (
    BLIND_OK,
    encounter_data,
    encounter_post,
    patient_post,
    verify_post,
    visit_post,
)


@pytest.fixture
def draft(patient, nurse):
    return services.encounter_create(by=nurse, patient=patient, data=encounter_data())


def verify(client, user, draft, **typed):
    """The verify page of the draft posted at `user`'s workstation, with what was typed."""
    client.force_login(user)
    return client.post(reverse("refills:encounter_verify", args=[draft.pk]), verify_post(**typed))


def record_visit(client, user, patient, **fields):
    """The visit form posted by `user` for the patient."""
    client.force_login(user)
    return client.post(
        reverse("refills:provider_visit_create", args=[patient.pk]), visit_post(**fields)
    )


def test_login_is_required_everywhere(client, patient):
    response = client.get(reverse("refills:patient_detail", args=[patient.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_nurse_documents_a_refill(client, nurse, patient):
    client.force_login(nurse)
    post = encounter_post(encounter_data())

    response = client.post(reverse("refills:encounter_create", args=[patient.pk]), post)

    encounter = Encounter.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("refills:encounter_detail", args=[encounter.pk])
    assert encounter.status == "draft"
    assert encounter.drug_lot == "F5U2291"
    assert encounter.performing_nurse == nurse


def test_expired_lot_is_shown_next_to_the_field_and_nothing_is_saved(client, nurse, patient):
    client.force_login(nurse)
    today = timezone.localdate()
    post = encounter_post(encounter_data(drug_expires_on=today - dt.timedelta(days=3)))

    response = client.post(reverse("refills:encounter_create", args=[patient.pk]), post)

    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["drug_expires_on"][0].startswith("This lot expired on")
    assert form.errors.as_data()["drug_expires_on"][0].code == "hard_stop"
    assert b"Please correct 1 problem" in response.content
    assert Encounter.objects.count() == 0


def test_infusion_time_is_read_in_the_clinic_zone(client, nurse, patient, settings):
    client.force_login(nurse)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    post = encounter_post(encounter_data(day=yesterday))
    post["infusion_started_at"] = f"{yesterday:%Y-%m-%d}T10:15"

    client.post(reverse("refills:encounter_create", args=[patient.pk]), post)

    started = Encounter.objects.get().infusion_started_at
    local = timezone.localtime(started, timezone.get_default_timezone())
    import zoneinfo

    clinic = started.astimezone(zoneinfo.ZoneInfo(settings.CLINIC_TIME_ZONE))
    assert (clinic.hour, clinic.minute) == (10, 15)
    assert local.tzinfo is not None


def test_nonexistent_local_time_in_the_spring_dst_gap_is_refused(client, nurse, patient):
    client.force_login(nurse)
    day = dt.date(2026, 3, 8)  # America/New_York skips 02:00-03:00
    post = encounter_post(encounter_data(day=day, drug_expires_on=dt.date(2026, 12, 1)))
    post["infusion_started_at"] = "2026-03-08T02:30"

    response = client.post(reverse("refills:encounter_create", args=[patient.pk]), post)

    assert response.status_code == 200
    assert "infusion_started_at" in response.context["form"].errors
    assert Encounter.objects.count() == 0


def test_second_nurse_verifies_with_own_password(client, nurse, nurse2, draft):
    response = verify(client, nurse, draft, rate_ml_h="2.00")  # at the first nurse's workstation

    assert response.status_code == 302
    stored = Encounter.objects.get(pk=draft.pk)
    assert stored.status == "verified"
    assert stored.verified_by == nurse2


def test_verification_page_does_not_show_the_first_entry(client, nurse2, draft):
    client.force_login(nurse2)
    response = client.get(reverse("refills:encounter_verify", args=[draft.pk]))
    content = response.content.decode()
    assert response.status_code == 200
    assert "96.00" not in content
    assert "50.000" not in content
    assert 'name="rate_ml_h"' in content


def test_wrong_password_verifies_nothing(client, nurse2, draft):
    response = verify(client, nurse2, draft, password="wrong")
    assert response.status_code == 200
    assert "password" in response.context["form"].errors
    assert Encounter.objects.get(pk=draft.pk).status == "draft"
    assert VerificationAttempt.objects.count() == 0


def test_mismatch_is_shown_and_blocks_signing(client, nurse, nurse2, draft):
    response = verify(client, nurse2, draft, rate_ml_h="20")
    assert response.status_code == 200
    # The page says only that the entries differ: not which field, not the first entry.
    assert response.context["mismatch"] is True
    assert response.context["form"].errors == {}

    client.force_login(nurse)
    client.post(reverse("refills:encounter_sign", args=[draft.pk]), {"attest": "on"})
    assert Encounter.objects.get(pk=draft.pk).status == "draft"


def test_same_nurse_cannot_verify_through_the_page(client, nurse, draft):
    response = verify(client, nurse, draft, username="rn.alvarez")
    assert response.status_code == 200
    assert "different clinician" in response.context["form"].errors["username"][0]
    assert Encounter.objects.get(pk=draft.pk).status == "draft"


def test_signed_encounter_edit_redirects_and_post_changes_nothing(client, nurse, nurse2, draft):
    services.encounter_verify(
        verifier=nurse2,
        encounter=draft,
        entered=BLIND_OK,
    )
    services.encounter_sign(by=nurse, encounter=draft)
    client.force_login(nurse)

    post = encounter_post(encounter_data(weight_kg=Decimal("99")))
    response = client.post(reverse("refills:encounter_edit", args=[draft.pk]), post)

    assert response.status_code == 302
    assert Encounter.objects.get(pk=draft.pk).weight_kg == Decimal("71.4")


def test_another_nurse_cannot_edit_the_draft(client, nurse2, draft):
    client.force_login(nurse2)
    post = encounter_post(encounter_data(weight_kg=Decimal("99")))
    response = client.post(reverse("refills:encounter_edit", args=[draft.pk]), post)
    assert response.status_code == 404
    assert Encounter.objects.get(pk=draft.pk).weight_kg == Decimal("71.4")


@pytest.mark.parametrize("persona", ["biller", "provider", "outsider"])
def test_roles_other_than_nurse_cannot_document(client, request, patient, persona):
    client.force_login(request.getfixturevalue(persona))
    post = encounter_post(encounter_data())
    response = client.post(reverse("refills:encounter_create", args=[patient.pk]), post)
    assert response.status_code == 403
    assert Encounter.objects.count() == 0


def test_nurse_cannot_record_a_provider_visit(client, nurse, patient):
    response = record_visit(client, nurse, patient, note="x")
    assert response.status_code == 403
    assert ProviderVisit.objects.count() == 0


def test_provider_records_a_visit(client, provider, patient):
    response = record_visit(
        client, provider, patient, note="New nausea, evaluated.", diagnosis_codes="r110"
    )
    assert response.status_code == 302
    visit = ProviderVisit.objects.get()
    assert visit.provider == provider
    assert visit.diagnoses == ["R11.0"]
    assert visit.separately_identifiable is True


def test_patient_form_rejects_a_non_billable_code_next_to_the_field(client, nurse):
    client.force_login(nurse)
    response = client.post(
        reverse("refills:patient_create"),
        patient_post(state="il", diagnosis_codes="C18"),
    )
    assert response.status_code == 200
    assert "not a billable ICD-10-CM code" in response.context["form"].errors["diagnosis_codes"][0]
    assert Patient.objects.count() == 0


def test_patient_search_keeps_names_out_of_the_url(client, nurse, patient):
    client.force_login(nurse)
    response = client.post(reverse("refills:patient_list"), {"q": "brooks"})
    assert response.status_code == 302
    assert response["Location"] == reverse("refills:patient_list")
    page = client.get(response["Location"])
    assert [p.pk for p in page.context["page"]] == [patient.pk]
    assert "brooks" not in page.request["QUERY_STRING"]


def test_worklist_groups_by_what_is_needed(client, nurse, draft):
    client.force_login(nurse)
    response = client.get(reverse("refills:worklist"))
    assert [e.pk for e in response.context["needs_verification"]] == [draft.pk]
    assert response.context["needs_signature"] == []


def test_new_encounter_defaults_to_today_and_the_last_pump(client, nurse, draft, patient):
    client.force_login(nurse)
    response = client.get(reverse("refills:encounter_create", args=[patient.pk]))
    initial = response.context["form"].initial
    assert initial["date_of_service"] == timezone.localdate()
    assert initial["pump_serial"] == "SN1"
    assert initial["rate_ml_h"] == Decimal("2.00")


def test_idle_sessions_expire_after_fifteen_minutes(settings):
    assert settings.SESSION_COOKIE_AGE == 15 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True


def test_the_encounter_form_submitted_twice_makes_one_draft(client, nurse, patient):
    client.force_login(nurse)
    url = reverse("refills:encounter_create", args=[patient.pk])
    token = client.get(url).context["form"].initial["submission_id"]
    post = {**encounter_post(encounter_data()), "submission_id": str(token)}

    first = client.post(url, post)
    second = client.post(url, post, follow=True)

    encounter = Encounter.objects.get()
    assert encounter.submission_id == token
    assert first["Location"] == reverse("refills:encounter_detail", args=[encounter.pk])
    assert second.redirect_chain == [(first["Location"], 302)]
    assert "This refill was already saved" in second.content.decode()
    assert 'name="submission_id"' in client.get(url).content.decode()
