"""Form drafts kept on the server, the idle countdown's endpoint, Cancel and the same-day
warning. A draft is only ever readable by its owner."""

from __future__ import annotations

import time

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from config.middleware import ACTIVE_AT_KEY
from refills import services
from refills.models import Encounter, FormDraft
from tests.factories import (
    PatientFactory,
    encounter_data,
    encounter_post,
    provider_visit,
    signed_refill,
)

DRAFTS = "/refills/drafts/"


@pytest.fixture
def new_form(patient) -> str:
    return reverse("refills:encounter_create", args=[patient.pk])


def typed(key: str, **fields) -> dict:
    return {"draft_key": key, "weight_kg": "68.2", "drug_lot": "k7731", **fields}


def test_the_endpoint_is_where_the_page_posts(new_form):
    assert reverse("refills:draft_save") == DRAFTS


def test_a_nurse_keeps_a_draft_of_the_new_refill_form(client, nurse, new_form):
    client.force_login(nurse)

    response = client.post(DRAFTS, typed(new_form, pump_primed="on", save="Save draft"))

    assert response.status_code == 200
    assert set(response.json()) == {"saved_at"}
    draft = FormDraft.objects.get()
    assert (draft.user, draft.key) == (nurse, new_form)
    assert draft.data == {"weight_kg": "68.2", "drug_lot": "k7731", "pump_primed": "on"}


def test_a_second_save_replaces_the_draft(client, nurse, new_form):
    client.force_login(nurse)
    client.post(DRAFTS, typed(new_form))
    client.post(DRAFTS, typed(new_form, weight_kg="70.0"))
    assert list(FormDraft.objects.values_list("data", flat=True)) == [
        {"weight_kg": "70.0", "drug_lot": "k7731"}
    ]


def test_drafts_need_a_signed_in_user(client, new_form):
    response = client.post(DRAFTS, typed(new_form))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert FormDraft.objects.count() == 0


def test_drafts_need_the_csrf_token(nurse, new_form):
    client = Client(enforce_csrf_checks=True)
    client.force_login(nurse)
    assert client.post(DRAFTS, typed(new_form)).status_code == 403
    assert FormDraft.objects.count() == 0


def test_drafts_are_posted_never_read_by_get(client, nurse, new_form):
    client.force_login(nurse)
    assert client.get(DRAFTS, {"draft_key": new_form}).status_code == 405


@pytest.mark.parametrize(
    "key",
    [
        "/billing/claims/",
        "/refills/patients/999999/encounters/new/",
        "/refills/nowhere/",
        "not a path",
        "",
        "/refills/patients/{patient}/encounters/new/?next=/",
        "/refills/patients/{patient}/",
    ],
)
def test_a_draft_of_a_page_without_drafts_is_404(client, nurse, patient, key):
    client.force_login(nurse)
    response = client.post(DRAFTS, typed(key.format(patient=patient.pk)))
    assert response.status_code == 404
    assert FormDraft.objects.count() == 0


def test_a_draft_of_someone_elses_refill_is_404(client, nurse, nurse2, patient):
    encounter = services.encounter_create(by=nurse, patient=patient, data=encounter_data())
    client.force_login(nurse2)
    key = reverse("refills:encounter_edit", args=[encounter.pk])
    assert client.post(DRAFTS, typed(key)).status_code == 404
    assert FormDraft.objects.count() == 0


def test_a_biller_cannot_keep_a_refill_draft(client, biller, new_form):
    client.force_login(biller)
    assert client.post(DRAFTS, typed(new_form)).status_code == 404


def test_a_draft_too_large_to_be_typed_is_refused(client, nurse, new_form):
    client.force_login(nurse)
    response = client.post(DRAFTS, typed(new_form, tolerance_notes="x" * 70_000))
    assert response.status_code == 400
    assert response.json() == {"error": "This draft is too large to keep."}
    assert FormDraft.objects.count() == 0


def test_the_form_comes_back_with_the_draft_for_its_owner_only(client, nurse, nurse2, new_form):
    client.force_login(nurse)
    client.post(DRAFTS, typed(new_form, tolerance_notes="Tired since Tuesday"))

    mine = client.get(new_form)
    client.force_login(nurse2)
    theirs = client.get(new_form)

    initial = mine.context["form"].initial
    assert (initial["weight_kg"], initial["drug_lot"]) == ("68.2", "k7731")
    assert initial["tolerance_notes"] == "Tired since Tuesday"
    assert initial["pump_primed"] is False  # not ticked when the draft was kept
    assert "Restored your draft of" in mine.content.decode()
    assert 'data-unsaved="true"' in mine.content.decode()
    assert "Tired since Tuesday" not in theirs.content.decode()
    assert "weight_kg" not in theirs.context["form"].initial
    assert "Restored your draft" not in theirs.content.decode()


def test_the_edit_form_of_a_draft_refill_restores_over_the_saved_values(client, nurse, patient):
    encounter = services.encounter_create(by=nurse, patient=patient, data=encounter_data())
    key = reverse("refills:encounter_edit", args=[encounter.pk])
    client.force_login(nurse)
    client.post(DRAFTS, typed(key, weight_kg="72.5"))

    form = client.get(key).context["form"]

    assert form.initial["weight_kg"] == "72.5"
    assert 'value="72.5"' in str(form["weight_kg"])


def test_saving_the_form_deletes_its_draft(client, nurse, new_form):
    client.force_login(nurse)
    client.post(DRAFTS, typed(new_form))
    response = client.post(new_form, encounter_post(encounter_data()))
    assert response.status_code == 302
    assert Encounter.objects.count() == 1
    assert FormDraft.objects.count() == 0


def test_a_form_with_errors_keeps_its_draft(client, nurse, new_form):
    client.force_login(nurse)
    client.post(DRAFTS, typed(new_form))
    response = client.post(new_form, {**encounter_post(encounter_data()), "weight_kg": ""})
    assert response.status_code == 200
    assert FormDraft.objects.count() == 1


def test_cancel_deletes_the_draft_and_goes_back_without_saving(client, nurse, patient, new_form):
    client.force_login(nurse)
    client.post(DRAFTS, typed(new_form))
    response = client.post(new_form, {"cancel": "1", "weight_kg": "68.2"})
    assert response.status_code == 302
    assert response["Location"] == reverse("refills:patient_detail", args=[patient.pk])
    assert (FormDraft.objects.count(), Encounter.objects.count()) == (0, 0)


def test_cancel_keeps_other_peoples_drafts(client, nurse, nurse2, new_form):
    client.force_login(nurse2)
    client.post(DRAFTS, typed(new_form))
    client.force_login(nurse)
    client.post(new_form, {"cancel": "1"})
    assert list(FormDraft.objects.values_list("user", flat=True)) == [nurse2.pk]


@pytest.mark.parametrize(
    ("user", "page"),
    [
        ("nurse", "refills:patient_create"),
        ("nurse", "refills:patient_edit"),
        ("nurse", "refills:encounter_create"),
        ("nurse", "refills:encounter_edit"),
        ("nurse2", "refills:encounter_verify"),
        ("nurse", "refills:addendum_create"),
        ("provider", "refills:provider_visit_create"),
        ("provider", "refills:order_create"),
        ("provider", "refills:order_detail"),
        ("provider", "refills:visit_correct"),
        ("provider", "refills:visit_withdraw"),
        ("nurse", "accounts:password_change"),
    ],
)
def test_every_form_has_cancel_and_the_unsaved_changes_guard(
    client, request, nurse, nurse2, provider, patient, user, page
):
    draft = services.encounter_create(by=nurse, patient=patient, data=encounter_data())
    signed = signed_refill(PatientFactory(), nurse, nurse2)
    visit = provider_visit(
        provider, patient, signed.date_of_service, note="Seen.", separately_identifiable=False
    )
    args = {
        "refills:patient_create": [],
        "refills:patient_edit": [patient.pk],
        "refills:encounter_create": [patient.pk],
        "refills:encounter_edit": [draft.pk],
        "refills:encounter_verify": [draft.pk],
        "refills:addendum_create": [signed.pk],
        "refills:provider_visit_create": [patient.pk],
        "refills:order_create": [patient.pk],
        "refills:order_detail": [patient.orders.get().pk],
        "refills:visit_correct": [visit.pk],
        "refills:visit_withdraw": [visit.pk],
        "accounts:password_change": [],
    }[page]
    client.force_login(request.getfixturevalue(user))

    response = client.get(reverse(page, args=args))

    content = response.content.decode()
    assert response.status_code == 200
    assert 'data-guard="unsaved"' in content
    assert ">Cancel</" in content


def test_a_second_refill_on_the_same_day_warns_and_links_to_the_first(
    client, nurse, nurse2, patient, new_form
):
    first = services.encounter_create(by=nurse2, patient=patient, data=encounter_data())
    other = PatientFactory()
    services.encounter_create(by=nurse2, patient=other, data=encounter_data())
    client.force_login(nurse)

    content = client.get(new_form).content.decode()

    assert "already has a refill today" in content
    assert f'href="{reverse("refills:encounter_detail", args=[first.pk])}"' in content
    assert content.count("Refill #") == 1


def test_no_warning_without_a_refill_that_day(client, nurse, new_form):
    client.force_login(nurse)
    assert "already has a refill today" not in client.get(new_form).content.decode()


# The idle countdown


def session_row(client) -> Session:
    return Session.objects.get(session_key=client.session.session_key)


def idle_five_minutes(client, nurse):
    """The nurse signed in, last active five minutes ago: her session and when it expires."""
    client.force_login(nurse)
    client.get(reverse("refills:worklist"))
    session = client.session
    session[ACTIVE_AT_KEY] = int(time.time()) - 300
    session.save()
    return session, session_row(client).expire_date


def test_the_countdown_asks_how_long_is_left_without_postponing_it(client, nurse, settings):
    session, expires = idle_five_minutes(client, nurse)

    answer = client.get(reverse("accounts:session_idle")).json()

    # Five minutes of the fifteen have passed (give or take a slow test machine).
    assert settings.SESSION_COOKIE_AGE - 330 <= answer["seconds_left"] <= 600
    assert session_row(client).expire_date == expires
    assert client.session[ACTIVE_AT_KEY] == session[ACTIVE_AT_KEY]


def test_a_draft_save_does_not_postpone_the_idle_logoff(client, nurse, new_form):
    session, expires = idle_five_minutes(client, nurse)

    assert client.post(DRAFTS, typed(new_form)).status_code == 200

    assert session_row(client).expire_date == expires
    assert client.session[ACTIVE_AT_KEY] == session[ACTIVE_AT_KEY]


def test_stay_signed_in_starts_the_idle_time_again(client, nurse, settings):
    _, expires = idle_five_minutes(client, nurse)

    answer = client.post(reverse("accounts:session_idle")).json()

    assert answer == {"seconds_left": settings.SESSION_COOKIE_AGE}
    assert session_row(client).expire_date > expires
    assert client.session[ACTIVE_AT_KEY] >= int(time.time()) - 2


def test_stay_signed_in_needs_the_csrf_token(nurse):
    client = Client(enforce_csrf_checks=True)
    client.force_login(nurse)
    assert client.post(reverse("accounts:session_idle")).status_code == 403


def test_without_a_session_nothing_is_left(client):
    assert client.get(reverse("accounts:session_idle")).json() == {"seconds_left": 0}
    assert client.post(reverse("accounts:session_idle")).json() == {"seconds_left": 0}


def test_signing_out_works_after_the_session_ended(client, nurse):
    client.force_login(nurse)
    Session.objects.all().delete()
    next_url = f"{reverse('login')}?next=/refills/"
    response = client.post(reverse("logout"), {"next": next_url})
    assert response.status_code == 302
    assert response["Location"] == next_url
