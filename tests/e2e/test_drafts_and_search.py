"""In a real browser: the idle warning and the draft that survives the idle logoff, the
prompt before leaving unsaved changes, Enter that does not submit, and accent-free search."""

from __future__ import annotations

import re

from django.urls import reverse
from playwright.sync_api import Dialog, expect

from billing.models import Claim
from refills.models import Encounter, FormDraft
from tests.e2e.conftest import E2E, field
from tests.factories import (
    PASSWORD,
    PatientFactory,
    billing_reference,
    cover,
    provider_visit,
    signed_refill,
)

pytestmark = E2E

WARNING = "Without activity you will be signed out in"


def test_the_idle_warning_then_the_logoff_keep_what_the_nurse_typed(
    open_as, settings, nurse, patient
):
    # Ten idle seconds: the warning shows for the last five.
    settings.SESSION_COOKIE_AGE = 10
    page = open_as(nurse)
    form_url = reverse("refills:encounter_create", args=[patient.pk])
    page.goto(form_url)
    field(page, "Weight (kg)").fill("68.2")
    field(page, "Lot").fill("K7731")
    field(page, "Tolerance notes").fill("Tired since Tuesday")
    field(page, "Pump primed").uncheck()
    warning = page.get_by_role("region", name="Sign-out warning")

    # Typing is activity: the session is extended once without asking; then, idle, the
    # countdown appears, and "Stay signed in" keeps the session and the page.
    expect(warning).to_contain_text(WARNING, timeout=20_000)
    page.get_by_role("button", name="Stay signed in").click()
    expect(warning).to_be_hidden()
    assert page.url.endswith(form_url)

    # Idle again: the countdown runs out, the draft is kept, the nurse is signed out.
    expect(warning).to_be_visible(timeout=20_000)
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="), timeout=20_000)
    draft = FormDraft.objects.get(user=nurse)
    assert draft.key == form_url
    assert (draft.data["weight_kg"], draft.data["drug_lot"]) == ("68.2", "K7731")
    assert "pump_primed" not in draft.data

    # Signing in again lands on the form with everything restored.
    settings.SESSION_COOKIE_AGE = 900
    page.get_by_label("Username").fill(nurse.get_username())
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(re.escape(form_url) + "$"))
    expect(page.get_by_text(re.compile("Restored your draft of"))).to_be_visible()
    expect(field(page, "Weight (kg)")).to_have_value("68.2")
    expect(field(page, "Lot")).to_have_value("K7731")
    expect(field(page, "Tolerance notes")).to_have_value("Tired since Tuesday")
    expect(field(page, "Pump primed")).not_to_be_checked()

    # Cancel forgets the draft and goes back to the patient, without asking.
    page.get_by_role("button", name="Cancel").click()
    expect(page).to_have_url(re.compile(reverse("refills:patient_detail", args=[patient.pk])))
    assert not FormDraft.objects.exists()
    assert not Encounter.objects.exists()


def test_leaving_unsaved_changes_asks_first_and_enter_does_not_submit(open_as, nurse, patient):
    page = open_as(nurse)
    form_url = reverse("refills:encounter_create", args=[patient.pk])
    page.goto(form_url)
    dialogs: list[str] = []

    def answer(dialog: Dialog) -> None:
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", answer)

    # Enter in a field does not submit the half-filled form.
    field(page, "Weight (kg)").fill("68.2")
    field(page, "Weight (kg)").press("Enter")
    page.wait_for_timeout(500)
    assert page.url.endswith(form_url)
    expect(page.get_by_text("Please correct")).to_have_count(0)
    assert not Encounter.objects.exists()

    # Leaving asks first; staying keeps what was typed.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Worklist").click()
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"]
    assert page.url.endswith(form_url)
    expect(field(page, "Weight (kg)")).to_have_value("68.2")

    # Cancel leaves without asking.
    page.get_by_role("button", name="Cancel").click()
    expect(page).to_have_url(re.compile(reverse("refills:patient_detail", args=[patient.pk])))
    assert dialogs == ["beforeunload"]

    # A form without changes is left without asking.
    page.goto(reverse("refills:patient_edit", args=[patient.pk]))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Worklist").click()
    expect(page.get_by_role("heading", name=re.compile("^Worklist"))).to_be_visible()
    assert dialogs == ["beforeunload"]


def test_patient_search_ignores_accents_and_case(open_as, nurse, patient):
    garcia = PatientFactory(last_name="García", first_name="María José", mrn="MRN10004")
    page = open_as(nurse)
    page.goto(reverse("refills:patient_list"))

    page.get_by_label("Find a patient").fill("garcia maria")
    page.get_by_role("button", name="Search").click()

    rows = page.get_by_role("row").filter(has=page.get_by_role("link"))
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("García, María José")
    expect(rows.first).to_contain_text("MRN10004")
    rows.first.get_by_role("link", name="García, María José").click()
    expect(page).to_have_url(re.compile(reverse("refills:patient_detail", args=[garcia.pk])))


def test_a_provider_corrects_their_visit_and_sees_the_claim_change(
    open_as, nurse, nurse2, provider, biller
):
    patient = PatientFactory(last_name="Ortiz", first_name="Rafael", codes=["C18.9"])
    cover(patient, billing_reference())
    encounter = signed_refill(patient, nurse, nurse2, supervising_practitioner=provider)
    provider_visit(
        provider,
        patient,
        encounter.date_of_service,
        note="Nausea since the last cycle, evaluated and treated.",
    )
    page = open_as(provider)
    page.goto(reverse("refills:patient_detail", args=[patient.pk]))

    page.get_by_role("link", name="99213", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile("^Provider visit of"))).to_be_visible()
    page.get_by_role("link", name="Correct").click()
    field(page, "E/M code").select_option("99214")
    field(page, "Note").fill("Nausea and dehydration, evaluated and treated with fluids.")
    field(page, "Why is the visit corrected?").fill("Coded the wrong level.")
    page.get_by_role("button", name="Save correction").click()

    claim = Claim.objects.exclude(status=Claim.Status.VOID).get(encounter=encounter)
    statuses = page.get_by_role("status")
    expect(statuses.filter(has_text="Visit corrected.")).to_be_visible()
    expect(statuses.filter(has_text=f"Claim #{claim.pk} is now")).to_contain_text("96521, 99214-25")
    assert [(line.code, line.modifiers) for line in claim.lines.order_by("position")] == [
        ("96521", []),
        ("99214", ["25"]),
    ]

    billing = open_as(biller)
    billing.goto(reverse("billing:claim_detail", args=[claim.pk]))
    expect(
        billing.get_by_text("Nausea and dehydration, evaluated and treated with fluids.")
    ).to_be_visible()
