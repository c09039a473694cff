"""The biller works the queue in bulk, in a real browser: approve and hold a selection,
re-decide a claim whose hold asks for it, export a selection as a CSV and an 837P."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from billing import services as billing_services
from billing.models import Claim, ClaimEvent, ClaimExport
from tests.e2e.conftest import E2E, TABLET_VIEWPORT
from tests.factories import PatientFactory, billing_reference, cover, live_claim, signed_refill

pytestmark = E2E


@pytest.fixture
def claims(nurse, nurse2, provider) -> dict[str, Claim]:
    """Four ready Aetna claims, and Ford's, held because he had no coverage that day."""
    provider.clinician.npi = "1234567893"
    provider.clinician.save()
    aetna = billing_reference(program="commercial", code="AETNA")
    made = {}
    for name in ("Ames", "Bell", "Cole", "Dunn", "Ford"):
        patient = PatientFactory(last_name=name, first_name="Jo")
        if name != "Ford":
            cover(patient, aetna)
        made[name] = live_claim(
            signed_refill(patient, nurse, nurse2, supervising_practitioner=provider)
        )
    assert [c.status for c in made.values()] == ["ready"] * 4 + ["hold"]
    return made


def tick(page: Page, *claims: Claim) -> None:
    for claim in claims:
        page.get_by_role("checkbox", name=f"Select {claim.number}").check()


def row(page: Page, claim: Claim):
    return page.get_by_role("row").filter(has_text=claim.number)


def status(claim: Claim) -> str:
    return Claim.objects.get(pk=claim.pk).status


def test_biller_approves_and_holds_a_selection_and_redecides_a_held_claim(
    open_as, screenshot, biller, claims
):
    ames, bell, cole, dunn, ford = claims.values()
    page = open_as(biller)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Claims").click()
    expect(page.locator("#queue-totals")).to_contain_text("5 claims · $700.00")
    expect(page.locator("#queue-totals")).to_contain_text("Hold 1 ($0.00)")
    expect(page.locator("#queue-totals")).to_contain_text("Ready 4 ($700.00)")

    tick(page, ames, bell, cole, ford)
    expect(page.locator("#bulk-count")).to_have_text("4 selected")
    screenshot(page, "06-queue-bulk", tablet=True)
    page.get_by_role("button", name="Approve selected").click()

    expect(page.get_by_role("status").filter(has_text="Approved: 3 claims.")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_text(
        f"Not approved: {ford.number}: it is hold, so it cannot be approved."
    )
    assert [status(c) for c in (ames, bell, cole, dunn, ford)] == [
        "approved",
        "approved",
        "approved",
        "ready",
        "hold",
    ]
    for claim in (ames, bell, cole):
        expect(row(page, claim)).to_contain_text("Approved")

    tick(page, cole, dunn)
    page.get_by_label("Hold reason").fill("Waiting for the prior authorization")
    page.get_by_label("Hold reason").press("Enter")  # Enter submits nothing
    expect(page.locator("#bulk-count")).to_have_text("2 selected")
    page.get_by_role("button", name="Hold selected").click()

    expect(page.get_by_role("status").filter(has_text="Put on hold: 2 claims.")).to_be_visible()
    for claim in (cole, dunn):
        expect(row(page, claim)).to_contain_text("Waiting for the prior authorization")
        event = ClaimEvent.objects.filter(claim=claim).latest("id")
        assert (event.to_status, event.by, event.reason) == (
            "hold",
            biller,
            "Waiting for the prior authorization",
        )
    assert [status(c) for c in (cole, dunn)] == ["hold", "hold"]

    # Ford's hold asks for his coverage, then a re-decision: the button is beside it.
    cover(ford.patient, billing_reference(program="commercial", code="AETNA"))
    expect(row(page, cole).get_by_role("button", name="Re-decide")).to_have_count(0)
    row(page, ford).get_by_role("button", name="Re-decide").click()

    new = live_claim(ford.encounter)
    expect(page.get_by_role("status").filter(has_text="Re-decided:")).to_have_text(
        f"Re-decided: {new.number} replaces {ford.number} and is ready."
    )
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Claim #{new.pk}")
    assert (status(ford), new.status) == ("void", "ready")


def test_biller_exports_a_selection_as_csv_then_as_837p_and_the_queue_reloads(
    open_as, screenshot, biller, practice, claims
):
    ames, bell, cole, dunn, _ = claims.values()
    for claim in (ames, bell, dunn):
        billing_services.claim_approve(claim=claim, by=biller)
    page = open_as(biller)
    page.goto("/billing/claims/?status=approved")
    expect(page.locator("#queue-totals")).to_contain_text("3 claims · $525.00")

    page.goto("/billing/claims/")
    tick(page, ames, cole)
    with page.expect_download() as caught:
        page.get_by_role("button", name="Export selected as CSV").click()
    download = caught.value
    assert download.suggested_filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text())))
    assert {r["claim_id"] for r in rows} == {ames.number}

    # The queue loads again by itself: the exported claim no longer shows as approved.
    expect(page.get_by_role("status").filter(has_text="Exported 1 claim in")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_text(
        f"Not exported: {cole.number}: it is ready, not approved."
    )
    expect(row(page, ames)).to_contain_text("Exported")
    expect(row(page, bell)).to_contain_text("Approved")
    export = ClaimExport.objects.get()
    assert (export.filename, export.formats) == (download.suggested_filename, ["csv", "x12"])

    # The same export, as the 837P, from the list of exports.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Exports").click()
    with page.expect_download() as caught:
        page.get_by_role("link", name=f"837P of {export.filename}").click()
    text = Path(caught.value.path()).read_text()
    assert caught.value.suggested_filename == export.filename.replace(".csv", ".x12")
    assert [s.split("*")[1] for s in text.split("~") if s.startswith("CLM*")] == [ames.number]

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Claims").click()
    tick(page, bell)
    with page.expect_download() as caught:
        page.get_by_role("button", name="Export selected as 837P").click()
    text = Path(caught.value.path()).read_text()
    assert [s.split("*")[1] for s in text.split("~") if s.startswith("CLM*")] == [bell.number]
    expect(row(page, bell)).to_contain_text("Exported")
    expect(row(page, dunn)).to_contain_text("Approved")
    assert [status(c) for c in (ames, bell, cole, dunn)] == [
        "exported",
        "exported",
        "ready",
        "approved",
    ]
    screenshot(page, "06-queue-after-export")

    # Everything else that is approved, with the button for all of them.
    with page.expect_download() as caught:
        page.get_by_role("button", name="Download CSV").click()
    assert caught.value.suggested_filename.endswith(".csv")
    expect(row(page, dunn)).to_contain_text("Exported")
    page.get_by_role("button", name="Download 837P").click()
    expect(
        page.get_by_role("status").filter(has_text="No approved claim is waiting for export.")
    ).to_be_visible()
    assert ClaimExport.objects.count() == 3


def test_the_queue_and_its_bulk_controls_fit_a_tablet(open_as, biller, claims):
    page = open_as(biller)
    page.set_viewport_size(TABLET_VIEWPORT)
    page.goto("/billing/claims/")
    tick(page, *list(claims.values())[:2])

    expect(page.locator("#bulk-count")).to_have_text("2 selected")
    expect(page.get_by_role("button", name="Approve selected")).to_be_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 820
