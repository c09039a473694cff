"""Accessibility in the browser: labels, keyboard-only entry, and axe-core on the main pages."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from billing import services as billing_services
from billing.models import Claim
from refills import services
from refills.models import Encounter
from refills.services.fields import CHECKLIST_FIELDS
from tests.e2e.conftest import E2E
from tests.factories import (
    PatientFactory,
    billing_reference,
    cover,
    encounter_data,
    provider_visit,
    signed_refill,
)

pytestmark = E2E

# Form controls that take input but have no label (buttons are named by their text).
UNLABELLED_CONTROLS = """() => [...document.querySelectorAll(
    "input:not([type=hidden]):not([type=submit]):not([type=button]), select, textarea"
)].filter((el) => !(el.labels && el.labels.length) && !el.getAttribute("aria-label")
    && !el.getAttribute("aria-labelledby")).map((el) => el.name || el.id)"""


def tab_to(page: Page, control_id: str, *, limit: int = 200) -> None:
    """Press Tab until the control has focus (date inputs take one Tab per segment)."""
    for _ in range(limit):
        if page.evaluate("() => document.activeElement && document.activeElement.id") == (
            control_id
        ):
            return
        page.keyboard.press("Tab")
    pytest.fail(f"#{control_id} cannot be reached with the Tab key")


def test_nurse_fills_the_encounter_form_with_the_keyboard_only(open_as, nurse, patient, today):
    page = open_as(nurse)
    page.goto(reverse("refills:encounter_create", args=[patient.pk]))
    expiry = today + dt.timedelta(days=90)
    typed = [
        ("id_weight_kg", "68.2"),
        ("id_drug_name", "fluorouracil"),
        ("id_drug_concentration_mg_ml", "50"),
        ("id_drug_dose_mg", "2400"),
        ("id_drug_volume_ml", "48"),
        ("id_drug_lot", "K7731"),
        ("id_drug_expires_on", expiry.strftime("%m%d%Y")),
        ("id_rate_ml_h", "2"),
        ("id_pump_volume_ml", "96"),
        ("id_pump_programmed", " "),
        ("id_pump_primed", " "),
        ("id_pump_function_verified", " "),
        ("id_teaching_alarms", " "),
        ("id_teaching_site_care", " "),
        ("id_taught_person", "c"),  # type-ahead in a select: "Caregiver"
        ("id_teach_back_done", " "),
        ("id_adverse_reaction", "none"),
    ]
    for control_id, keys in typed:
        tab_to(page, control_id)
        if keys == " ":
            page.keyboard.press("Space")
        else:
            page.keyboard.type(keys)
    tab_to(page, "submit-id-save")
    page.keyboard.press("Enter")

    expect(page.get_by_role("status").filter(has_text="Draft saved")).to_be_visible()
    encounter = Encounter.objects.get()
    assert (encounter.weight_kg, encounter.drug_lot, encounter.drug_expires_on) == (
        Decimal("68.2"),
        "K7731",
        expiry,
    )
    assert (encounter.rate_ml_h, encounter.pump_volume_ml) == (Decimal("2"), Decimal("96"))
    assert encounter.taught_person == Encounter.Taught.CAREGIVER
    assert all(getattr(encounter, name) for name in CHECKLIST_FIELDS)
    assert encounter.adverse_reaction == "none"


def test_main_pages_have_labels_and_no_serious_axe_violations(
    open_as, axe_scan, nurse, nurse2, provider, biller, patient, practice
):
    cover(patient, billing_reference())
    waiting = services.encounter_create(by=nurse, patient=patient, data=encounter_data())
    other = PatientFactory(last_name="Ortiz", first_name="Rafael")
    cover(other, billing_reference())
    done = signed_refill(other, nurse, nurse2, supervising_practitioner=provider)
    visit = provider_visit(provider, other, done.date_of_service)
    claim = Claim.objects.exclude(status=Claim.Status.VOID).get(encounter=done)

    found: dict[str, list[dict]] = {}

    def scan(page: Page, name: str) -> None:
        expect(page.get_by_role("main")).to_be_visible()
        unlabelled = page.evaluate(UNLABELLED_CONTROLS)
        assert not unlabelled, f"{name}: controls without a label: {unlabelled}"
        violations = axe_scan(page)
        if violations:
            found[name] = violations

    anonymous = open_as(None, axe=True)
    anonymous.goto(reverse("login"))
    scan(anonymous, "login")

    page = open_as(nurse, axe=True)
    for name, url in [
        ("worklist", reverse("refills:worklist")),
        ("patient list", reverse("refills:patient_list")),
        ("encounter form", reverse("refills:encounter_create", args=[patient.pk])),
        ("encounter detail", reverse("refills:encounter_detail", args=[waiting.pk])),
        ("signed encounter detail", reverse("refills:encounter_detail", args=[done.pk])),
    ]:
        page.goto(url)
        scan(page, name)
    page.goto(reverse("refills:encounter_create", args=[patient.pk]))
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator("#form-errors")).to_be_visible()
    scan(page, "encounter form with errors")
    # The second clinician verifies at the first nurse's workstation, as themselves.
    page.goto(reverse("refills:encounter_verify", args=[waiting.pk]))
    scan(page, "verify page")
    page.get_by_role("button", name="Verify").click()
    expect(page.locator("#form-errors")).to_be_visible()
    scan(page, "verify page with errors")

    page.goto(reverse("refills:teaching_sheet", args=[done.pk]))
    scan(page, "teaching sheet")

    held = services.encounter_create(
        by=nurse, patient=other, data=encounter_data(anc=Decimal("1.10"))
    )
    doctor = open_as(provider, axe=True)
    for name, url in [
        ("order form", reverse("refills:order_create", args=[patient.pk])),
        ("order page", reverse("refills:order_detail", args=[patient.orders.get().pk])),
        ("override form", reverse("refills:encounter_override", args=[held.pk])),
        ("visit page", reverse("refills:visit_detail", args=[visit.pk])),
        ("visit correction", reverse("refills:visit_correct", args=[visit.pk])),
        ("visit withdrawal", reverse("refills:visit_withdraw", args=[visit.pk])),
    ]:
        doctor.goto(url)
        scan(doctor, name)
    doctor.evaluate("() => { document.getElementById('idle-warning').hidden = false; }")
    expect(doctor.get_by_role("button", name="Stay signed in")).to_be_visible()
    scan(doctor, "idle warning")

    billing = open_as(biller, axe=True)
    billing.goto(reverse("billing:queue"))
    scan(billing, "claim queue")
    billing.get_by_role("checkbox", name="Select every claim on this page").check()
    scan(billing, "claim queue with a selection")
    billing.get_by_role("button", name="Approve selected").click()
    expect(billing.get_by_role("status").filter(has_text="Approved: 1 claim.")).to_be_visible()
    scan(billing, "claim queue after a bulk approval")
    billing.goto(reverse("billing:queue") + "?rule=R3")
    scan(billing, "claim queue with a filter error")
    billing.goto(reverse("billing:claim_detail", args=[claim.pk]))
    scan(billing, "claim page")
    billing_services.claims_export(by=biller, fmt="x12")
    billing.goto(reverse("billing:export_list"))
    scan(billing, "exports")

    assert not found, "serious or critical axe violations:\n" + json.dumps(found, indent=1)
