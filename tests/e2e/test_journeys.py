"""Role by role, in a real browser: document, verify and sign, add an E/M, bill, change policy."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from playwright.sync_api import expect

from billing.models import Claim
from refills import services
from refills.models import Encounter, ProviderVisit, VerificationAttempt
from tests.e2e.conftest import E2E, blind_check, document_the_day, field
from tests.factories import (
    PatientFactory,
    billing_reference,
    cover,
    encounter_data,
    live_claim,
    provider_visit,
    signed_refill,
)

pytestmark = E2E


def draft(nurse, patient, **overrides) -> Encounter:
    return services.encounter_create(by=nurse, patient=patient, data=encounter_data(**overrides))


def same_day_visit(by, patient, day: dt.date, code: str, diagnoses: list[str]):
    return provider_visit(
        by,
        patient,
        day,
        code,
        note="Nausea since the last cycle, evaluated and treated.",
        diagnoses=diagnoses,
    )


def billed(claim: Claim) -> list[tuple[str, list[str]]]:
    return [(line.code, line.modifiers) for line in claim.lines.order_by("position")]


def test_nurse_documents_a_refill_fixes_a_hard_stop_and_saves(
    open_as, screenshot, nurse, provider, patient, today
):
    page = open_as(nurse)
    expect(page.get_by_role("heading", name=re.compile(r"^Worklist"))).to_be_visible()
    page.get_by_role("link", name="Document a refill").click()
    page.get_by_label("Find a patient").fill("Brooks")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("row", name=re.compile("Brooks, Eleanor")).get_by_role(
        "link", name="Document refill"
    ).click()

    expect(page.get_by_role("heading", name="Document a pump refill")).to_be_visible()
    expect(field(page, "Date of service")).to_have_value(today.isoformat())
    expect(field(page, "Weight measured on")).to_have_value(today.isoformat())
    field(page, "Supervising practitioner").select_option(label="Ngozi Okafor, MD")
    yesterday = today - dt.timedelta(days=1)
    document_the_day(page, weight="71.4", labs_on=yesterday, lot="f5u2291", expires=yesterday)
    field(page, "Drug name").fill("fluorouracil")
    field(page, "Concentration (mg/mL)").fill("50")
    field(page, "Dose (mg)").fill("2400")
    field(page, "Volume (mL)").fill("48")
    field(page, "Programmed rate (mL/h)").fill("2")
    field(page, "Programmed volume (mL)").fill("96")
    page.get_by_role("button", name="Save draft").click()

    message = f"This lot expired on {yesterday:%Y-%m-%d}, before the date of service."
    summary = page.get_by_role("alert").filter(has_text="Please correct")
    expect(summary).to_contain_text(message)
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link", name="Expiry")).to_have_attribute(
        "href", "#id_drug_expires_on"
    )
    expect(field(page, "Expiry")).to_have_attribute("aria-invalid", "true")
    expect(field(page, "Expiry")).to_have_accessible_description(re.compile(re.escape(message)))
    screenshot(page, "01-encounter-hard-stop", tablet=True)
    assert not Encounter.objects.exists()

    summary.get_by_role("link", name="Expiry").click()
    expect(field(page, "Expiry")).to_be_focused()
    in_date = today + dt.timedelta(days=200)
    field(page, "Expiry").fill(in_date.isoformat())
    page.get_by_role("button", name="Save draft").click()

    expect(page.get_by_role("status").filter(has_text="Draft saved")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("Pump refill"))).to_contain_text("Draft")
    screenshot(page, "01-encounter-draft")
    encounter = Encounter.objects.get()
    assert (encounter.status, encounter.performing_nurse, encounter.patient) == (
        Encounter.Status.DRAFT,
        nurse,
        patient,
    )
    assert encounter.drug_expires_on == in_date
    assert encounter.drug_lot == "F5U2291"
    assert encounter.supervising_practitioner == provider


def test_second_nurse_verifies_blind_after_a_mismatch_and_the_nurse_signs(
    open_as, screenshot, nurse, nurse2, provider, patient
):
    cover(patient, billing_reference())
    encounter = draft(nurse, patient, supervising_practitioner=provider)
    draft(nurse, PatientFactory(last_name="Ortiz", first_name="Rafael"))
    signed_refill(PatientFactory(last_name="Nguyen", first_name="Linh"), nurse, nurse2)

    checker = open_as(nurse2)
    waiting = checker.get_by_role("region", name=re.compile("Needs verification"))
    expect(waiting.get_by_role("listitem")).to_have_count(2)
    waiting.get_by_role("listitem").filter(has_text="Brooks, Eleanor").get_by_role(
        "link", name="Verify"
    ).click()
    expect(checker.get_by_role("heading", name="Second-clinician verification")).to_be_visible()
    expect(field(checker, "Your username")).to_have_value("rn.chen")
    expect(checker.get_by_text("50.000")).to_have_count(0)  # the first entry stays hidden

    blind_check(checker, "2.5")
    # The page says that the entries differ, never which one or what the first entry was.
    expect(checker.locator("#mismatch")).to_contain_text("The entries do not match.")
    expect(checker.locator("#mismatch")).not_to_contain_text("Rate")
    expect(field(checker, "Rate programmed on the pump (mL/h)")).to_have_value("")
    screenshot(checker, "02-verify-mismatch")
    attempt = VerificationAttempt.objects.get(encounter=encounter)
    assert (attempt.verifier, attempt.mismatched_fields) == (nurse2, ["rate_ml_h"])
    encounter.refresh_from_db()
    assert encounter.status == Encounter.Status.DRAFT

    blind_check(checker, "2")
    expect(checker.get_by_role("status").filter(has_text="Verified")).to_be_visible()
    encounter.refresh_from_db()
    assert (encounter.status, encounter.verified_by) == (Encounter.Status.VERIFIED, nurse2)
    assert encounter.verification_attempts.count() == 2

    signer = open_as(nurse)
    to_sign = signer.get_by_role("region", name=re.compile("Needs signature"))
    expect(to_sign).to_contain_text("Brooks, Eleanor")
    expect(signer.get_by_role("region", name=re.compile("Needs verification"))).to_contain_text(
        "Ortiz, Rafael"
    )
    expect(signer.get_by_role("region", name=re.compile("Signed today"))).to_contain_text(
        "Nguyen, Linh"
    )
    screenshot(signer, "02-worklist", tablet=True)
    to_sign.get_by_role("link", name="Review and sign").click()
    signer.get_by_label(re.compile("I performed this refill")).check()
    signer.get_by_role("button", name="Sign and lock").click()

    expect(signer.get_by_role("status").filter(has_text="Signed and locked")).to_be_visible()
    expect(signer.get_by_role("heading", name=re.compile("Pump refill"))).to_contain_text("Signed")
    screenshot(signer, "02-encounter-signed")
    encounter.refresh_from_db()
    assert (encounter.status, encounter.signed_by) == (Encounter.Status.SIGNED, nurse)
    assert billed(live_claim(encounter)) == [("96521", [])]


def test_provider_records_a_separately_identifiable_em_the_same_day(
    open_as, screenshot, nurse, nurse2, provider, patient, today
):
    cover(patient, billing_reference())
    encounter = signed_refill(patient, nurse, nurse2, supervising_practitioner=provider)
    assert billed(live_claim(encounter)) == [("96521", [])]

    page = open_as(provider)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Patients").click()
    page.get_by_label("Find a patient").fill("Brooks")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Brooks, Eleanor").click()
    page.get_by_role("link", name="Record provider visit").click()

    expect(field(page, "Date of service")).to_have_value(today.isoformat())
    expect(page.get_by_text("Billed under your own profile: Ngozi Okafor, MD")).to_be_visible()
    field(page, "E/M code").select_option("99213")
    field(page, "Significant, separately identifiable service").check()
    field(page, "Note").fill("Nausea since the last cycle: examined, ondansetron prescribed.")
    field(page, "Diagnoses for this visit (ICD-10-CM)").fill("R11.0")
    screenshot(page, "03-provider-visit")
    page.get_by_role("button", name="Record visit").click()

    expect(page.get_by_role("status").filter(has_text="Visit recorded")).to_be_visible()
    visits = page.get_by_role("table").filter(has_text="Separately identifiable")
    expect(visits.get_by_role("row").filter(has_text="99213")).to_contain_text("Yes")
    visit = ProviderVisit.objects.get()
    assert (visit.em_code, visit.provider, visit.date_of_service) == ("99213", provider, today)
    assert (visit.separately_identifiable, visit.diagnoses) == (True, ["R11.0"])
    assert billed(live_claim(encounter)) == [("96521", []), ("99213", ["25"])]


def test_biller_finds_the_claim_sees_why_approves_and_downloads_the_837p(
    open_as, screenshot, nurse, nurse2, provider, biller, patient, practice, today
):
    cover(patient, billing_reference())
    provider.clinician.npi = "1234567893"
    provider.clinician.save()
    encounter = signed_refill(patient, nurse, nurse2, supervising_practitioner=provider)
    same_day_visit(provider, patient, today, "99213", ["R11.0"])
    other = PatientFactory(last_name="Ortiz", first_name="Rafael")
    cover(other, billing_reference())
    signed_refill(other, nurse, nurse2, supervising_practitioner=provider)
    claim = live_claim(encounter)
    assert claim.status == Claim.Status.READY

    page = open_as(biller)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    expect(page.get_by_role("heading", name="Claims")).to_be_visible()
    claim_links = page.get_by_role("link", name=re.compile(r"^C[0-9]{8}$"))
    expect(claim_links).to_have_count(2)
    with page.expect_request(lambda r: r.method == "POST") as search:
        field(page, "Patient name or MRN").fill("Brooks")
        page.get_by_role("button", name="Search").click()
    assert "q=Brooks" in search.value.post_data
    expect(claim_links).to_have_count(1)
    expect(page.get_by_role("row").filter(has_text="Brooks, Eleanor")).to_have_count(1)
    screenshot(page, "04-claim-queue", tablet=True)
    page.get_by_role("row").filter(has_text="Brooks, Eleanor").get_by_role("link").click()

    lines = page.get_by_role("table").filter(has_text="Expected allowed")
    expect(lines.get_by_role("row").filter(has_text="96521")).to_have_count(1)
    expect(lines.get_by_role("row").filter(has_text="99213")).to_contain_text("25")
    findings = page.get_by_role("table").filter(has_text="Severity")
    expect(findings.get_by_role("row").filter(has_text="R01")).to_have_count(1)
    expect(findings.get_by_role("row").filter(has_text="R20")).to_contain_text("modifier 25")
    screenshot(page, "04-claim", full_page=True, tablet=True)
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status").filter(has_text="Claim approved")).to_be_visible()
    claim.refresh_from_db()
    assert claim.status == Claim.Status.APPROVED

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Claims").click()
    page.wait_for_url("**/billing/claims/")
    download_button = page.get_by_role("button", name="Download 837P")
    assert download_button.count() == 1, "the queue has no 'Download 837P' button (issue 6)"
    with page.expect_download() as download_info:
        download_button.click()
    download = download_info.value
    assert download.suggested_filename.endswith(".x12")
    text = Path(download.path()).read_text()
    assert text.startswith("ISA*")
    assert "SV1*HC:99213:25*" in text
    claim.refresh_from_db()
    assert claim.status == Claim.Status.EXPORTED
    assert claim.export.filename == download.suggested_filename
    assert not [url for url in requested if "Brooks" in url or "MRN10001" in url]


def test_admin_turns_on_a_payer_policy_and_the_next_claim_follows_it(
    open_as, screenshot, nurse, nurse2, admin_user, patient, today
):
    aetna = billing_reference(program="commercial", code="AETNA")
    cover(patient, aetna)
    same_day_visit(nurse2, patient, today, "99211", [])
    before = signed_refill(patient, nurse, nurse2)
    assert billed(live_claim(before)) == [("96521", [])]

    page = open_as(admin_user)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Administration").click()
    page.get_by_role("link", name="Payers").click()
    page.get_by_role("link", name="AETNA", exact=True).click()
    flag = page.get_by_label("Allows 99211 with drug administration")
    expect(flag).not_to_be_checked()
    flag.check()
    screenshot(page, "05-admin-payer")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("was changed successfully")).to_be_visible()
    aetna.refresh_from_db()
    assert aetna.allows_99211_with_drug_admin is True
    change = aetna.history.latest()
    assert (change.history_user, change.history_change_reason) == (
        admin_user,
        "admin change: allows 99211 with drug administration",
    )
    assert billed(live_claim(before)) == [("96521", [])]

    other = PatientFactory(last_name="Ortiz", first_name="Rafael")
    cover(other, aetna)
    same_day_visit(nurse2, other, today, "99211", [])
    after = live_claim(signed_refill(other, nurse, nurse2))
    assert billed(after) == [("96521", []), ("99211", ["25"])]

    page.goto("/billing/claims/")
    page.get_by_role("row").filter(has_text="Ortiz, Rafael").get_by_role("link").click()
    lines = page.get_by_role("table").filter(has_text="Expected allowed")
    expect(lines.get_by_role("row").filter(has_text="99211")).to_contain_text("25")
    findings = page.get_by_role("table").filter(has_text="Severity")
    expect(findings.get_by_role("row").filter(has_text="R22")).to_contain_text("AETNA allows")
