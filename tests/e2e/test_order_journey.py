"""The order in a real browser: the provider writes it, the nurse documents against it, the
blind double check mismatches and then matches, a low ANC waits for the provider's override,
and only then does the nurse sign."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.urls import reverse
from playwright.sync_api import expect

from refills.models import Encounter, Order, ProviderOverride, VerificationAttempt
from tests.e2e.conftest import E2E, blind_check, document_the_day, field
from tests.factories import PASSWORD, PatientFactory, billing_reference, cover

pytestmark = E2E


def test_order_to_signature_with_a_mismatch_and_a_low_anc(
    open_as, screenshot, nurse, nurse2, provider, today
):
    patient = PatientFactory(last_name="Quinn", first_name="Harriet", order=False)
    cover(patient, billing_reference())

    # The provider writes and signs the order; the page shows the BSA as they type.
    doctor = open_as(provider)
    doctor.goto(reverse("refills:patient_detail", args=[patient.pk]))
    expect(doctor.get_by_role("region", name="Patient")).to_contain_text("no active order")
    doctor.get_by_role("link", name="Write order").click()
    field(doctor, "Drug").fill("fluorouracil")
    field(doctor, "Dose basis").select_option("mg_m2")
    field(doctor, "Dose per basis").fill("1300")
    field(doctor, "Dosing height (cm)").fill("170")
    field(doctor, "Dosing weight (kg)").fill("71.4")
    expect(doctor.locator("#order-calculation")).to_contain_text("= 1.84 m²")
    expect(doctor.locator("#order-calculation")).to_contain_text("calculated dose 2392.00 mg")
    field(doctor, "Dose after rounding (mg)").fill("2400")
    field(doctor, "Concentration (mg/mL)").fill("50")
    field(doctor, "Final volume (mL)").fill("96")
    field(doctor, "Infusion duration (hours)").fill("48")
    field(doctor, "Pump rate (mL/h)").fill("2")
    field(doctor, "Refills or cycles").fill("6")
    field(doctor, "Valid to").fill((today + dt.timedelta(days=90)).isoformat())
    doctor.get_by_label(re.compile("I prescribe this order")).check()
    screenshot(doctor, "06-order-form")
    doctor.get_by_role("button", name="Sign order").click()
    expect(doctor.get_by_role("status").filter(has_text="Order signed")).to_be_visible()
    bsa = "√(170.0 cm \N{MULTIPLICATION SIGN} 71.4 kg / 3600) = 1.84 m²"
    expect(doctor.get_by_text(bsa)).to_be_visible()
    order = Order.objects.get(patient=patient)
    assert (order.bsa_m2, order.calculated_dose_mg, order.dose_mg, order.signed_by) == (
        Decimal("1.84"),
        Decimal("2392.00"),
        Decimal("2400.00"),
        provider,
    )

    # The nurse documents against it: the drug and pump values come from the order.
    page = open_as(nurse)
    page.goto(reverse("refills:encounter_create", args=[patient.pk]))
    expect(page.get_by_role("complementary")).to_contain_text("Order to document against")
    expect(field(page, "Drug name")).to_have_value("fluorouracil")
    expect(field(page, "Programmed rate (mL/h)")).to_have_value("2.00")
    document_the_day(
        page,
        weight="71.0",
        labs_on=today - dt.timedelta(days=1),
        lot="F5U7001",
        expires=today + dt.timedelta(days=200),
    )
    field(page, "ANC (10^9/L)").fill("1.2")
    field(page, "Platelets (10^9/L)").fill("180")
    field(page, "Creatinine (mg/dL)").fill("0.9")
    field(page, "Dose (mg)").fill("2600")
    page.get_by_role("button", name="Save draft").click()
    summary = page.get_by_role("alert").filter(has_text="Please correct")
    expect(summary).to_contain_text("away from the ordered 2400.00 mg")
    assert not Encounter.objects.exists()
    field(page, "Dose (mg)").fill("2400")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status").filter(has_text="Draft saved")).to_be_visible()
    expect(page.locator("#pending-override")).to_contain_text("ANC 1.20 x10^9/L is below")
    encounter = Encounter.objects.get()
    assert encounter.order == order

    # The second nurse: the values are hidden, a mismatch names no field.
    checker = open_as(nurse2)
    checker.goto(reverse("refills:encounter_detail", args=[encounter.pk]))
    expect(checker.get_by_text("hidden until verified")).to_have_count(2)
    expect(checker.get_by_text("2.00 mL/h")).to_have_count(0)
    checker.get_by_role("link", name="Verify (second clinician)").click()

    blind_check(checker, "2.5")
    mismatch = checker.locator("#mismatch")
    expect(mismatch).to_contain_text("The entries do not match")
    expect(mismatch).not_to_contain_text("rate")
    expect(field(checker, "Rate programmed on the pump (mL/h)")).to_have_value("")
    screenshot(checker, "06-verify-mismatch")

    nurse_view = open_as(nurse)
    waiting = nurse_view.get_by_role("region", name=re.compile("Needs verification"))
    expect(waiting).to_contain_text("Blind check did not match")

    blind_check(checker, "2")
    expect(checker.get_by_role("status").filter(has_text="Verified")).to_be_visible()
    assert VerificationAttempt.objects.filter(encounter=encounter).count() == 2

    # Verified, but the low ANC holds the signature until the provider overrides it.
    nurse_view.reload()
    to_sign = nurse_view.get_by_role("region", name=re.compile("Needs signature"))
    expect(to_sign).to_contain_text("waiting for a provider override")
    expect(to_sign.get_by_role("link", name="Review and sign")).to_have_count(0)

    doctor.goto("/")
    review = doctor.get_by_role("region", name=re.compile("Needs a provider override"))
    review.get_by_role("link", name="Review and override").click()
    field(doctor, "Your decision and its reason").fill("ANC 1.2 accepted; recheck next cycle.")
    field(doctor, "Your password").fill("wrong-password")
    doctor.get_by_role("button", name="Override").click()
    expect(doctor.get_by_role("alert").filter(has_text="Please correct")).to_contain_text(
        "not correct"
    )
    assert not ProviderOverride.objects.exists()
    field(doctor, "Your password").fill(PASSWORD)
    doctor.get_by_role("button", name="Override").click()
    expect(doctor.get_by_role("status").filter(has_text="Override recorded")).to_be_visible()

    nurse_view.reload()
    nurse_view.get_by_role("region", name=re.compile("Needs signature")).get_by_role(
        "link", name="Review and sign"
    ).click()
    expect(nurse_view.get_by_text("Pump disconnect")).to_be_visible()
    nurse_view.get_by_label(re.compile("I performed this refill")).check()
    nurse_view.get_by_role("button", name="Sign and lock").click()
    expect(nurse_view.get_by_role("status").filter(has_text="Signed and locked")).to_be_visible()
    encounter.refresh_from_db()
    assert (encounter.status, encounter.signed_by) == (Encounter.Status.SIGNED, nurse)
    override = ProviderOverride.objects.get()
    assert (override.provider, override.concerns) == (provider, ["anc=1.20"])
