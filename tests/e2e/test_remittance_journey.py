"""After the export, in a real browser: the biller exports, imports the 999 and the 277CA,
imports an 835 with a denial, corrects the denied claim, exports the replacement
(frequency 7, REF*F8) and finds it on the dashboard."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect

from billing.models import Claim, ClaimExport
from tests.e2e.conftest import E2E
from tests.factories import approved_claim
from tests.x12check import pyx12_problems
from tests.x12fixtures import fill

pytestmark = E2E

UPLOAD_LABEL = re.compile(r"^\s*999, 277CA or 835 file\s*\*?\s*$")


def download_837p(page: Page) -> str:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Claims").click()
    page.wait_for_url("**/billing/claims/")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download 837P").click()
    return Path(download_info.value.path()).read_text()


def upload(page: Page, name: str, data: bytes) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Imports").click()
    page.get_by_label(UPLOAD_LABEL).set_input_files(
        files=[{"name": name, "mimeType": "text/plain", "buffer": data}]
    )
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()


def test_biller_closes_the_loop_from_export_to_a_corrected_claim(
    open_as, screenshot, nurse, nurse2, provider, biller, practice
):
    claims = [
        approved_claim(nurse, nurse2, biller, provider, last_name="Brooks", with_em=True),
        approved_claim(nurse, nurse2, biller, provider, last_name="Avery"),
        approved_claim(nurse, nurse2, biller, provider, last_name="Cole"),
    ]
    page = open_as(biller)

    sent = download_837p(page)
    export = ClaimExport.objects.get()
    assert f"CLM*{claims[1].number}*175***11:B:1*" in sent
    values = {
        "gs_control": str(export.interchange_control_number),
        "st_control": "0001",
        "bht_reference": f"{export.interchange_control_number:09d}",
        **{f"claim_{i}": claim.number for i, claim in enumerate(claims, start=1)},
    }

    upload(page, "ack.999", fill("999_accepted", values))
    expect(page.get_by_role("status")).to_contain_text("3 claims matched; 3 accepted.")
    upload(page, "ack.277", fill("277ca_accepted_and_rejected", values))
    expect(page.get_by_role("row").filter(has_text=f"Claim #{claims[2].pk}")).to_contain_text(
        "rejected"
    )
    upload(page, "remit.835", fill("835_denial_co4", values))
    expect(page.get_by_role("status")).to_contain_text("1 denied; 1 partially paid.")
    screenshot(page, "remittance-import", full_page=True)
    assert [Claim.objects.get(pk=c.pk).status for c in claims] == [
        "partially_paid",
        "denied",
        "rejected",
    ]

    # The denied claim: the payer's reason in words, then a replacement.
    page.get_by_role("link", name=f"Claim #{claims[1].pk}").first.click()
    expect(page.get_by_role("status").filter(has_text="Payer:")).to_contain_text("CO-16 175.00")
    page.get_by_label("Correct", exact=True).select_option("7")
    page.get_by_label("Reason", exact=True).fill("Member ID corrected")
    page.get_by_role("button", name="Create the corrected claim").click()
    replacement = Claim.objects.get(supersedes=claims[1])
    expect(page.get_by_role("heading", name=f"Claim #{replacement.pk}")).to_be_visible()
    expect(page.get_by_text("Replacement of a prior claim (frequency 7)")).to_be_visible()
    assert Claim.objects.get(pk=claims[1].pk).status == "corrected"
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status").filter(has_text="Claim approved")).to_be_visible()

    corrected = download_837p(page)
    assert f"~CLM*{replacement.number}*175***11:B:7*" in corrected
    assert "~REF*F8*ACME26040900004~" in corrected
    assert pyx12_problems(corrected) == []
    replacement.refresh_from_db()
    assert (replacement.status, replacement.frequency) == ("exported", "7")

    page.get_by_role("link", name="Dashboard").click()
    statuses = page.locator("#table-status")
    expect(statuses.get_by_role("row").filter(has_text="Corrected")).to_contain_text("1")
    screenshot(page, "remittance-dashboard", full_page=True)
    statuses.get_by_role("row").filter(has_text="Exported").get_by_role("link").first.click()
    expect(page.get_by_role("link", name=replacement.number)).to_be_visible()
