"""The billing dashboard in a real browser: the vendored Chart.js draws every chart under the
app's Content-Security-Policy, the page passes axe, and a bar opens the claims behind it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from billing.models import Claim, ClaimExport
from tests.billing.remits import Remits
from tests.factories import PatientFactory, billing_reference, make_encounter

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_biller_reads_the_dashboard_and_opens_the_claims_behind_a_number(
    open_as, axe_scan, screenshot, nurse, biller
):
    payer = billing_reference(program="commercial", code="AETNA")
    export = ClaimExport.objects.create(
        created_at=timezone.now() - dt.timedelta(days=40),
        format=ClaimExport.Format.CSV,
        filename="claims.csv",
        sha256="0" * 64,
        content=b"",
        claim_count=1,
    )
    patient = PatientFactory(last_name="Okonkwo")
    claim = Claim.objects.create(
        encounter=make_encounter(patient, nurse),
        patient=patient,
        payer=payer,
        date_of_service=timezone.localdate() - dt.timedelta(days=41),
        status=Claim.Status.EXPORTED,
        total_charge=Decimal("175.00"),
        decided_at=timezone.now(),
        export=export,
    )
    page = open_as(biller, axe=True)
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))

    page.get_by_role("link", name="Dashboard").click()

    expect(page.get_by_role("heading", name="Billing dashboard")).to_be_visible()
    # The heading shows before the deferred scripts have run; by "load" they have.
    page.wait_for_load_state("load")
    drawn = page.evaluate(
        """() => [...document.querySelectorAll("canvas[data-chart]")].map(
            (canvas) => [canvas.dataset.chart, Chart.getChart(canvas) !== undefined])"""
    )
    assert drawn == [
        [key, True]
        for key in ("status", "aging", "denials-payer", "denials-reason", "payment-days", "yield")
    ]
    assert errors == []
    assert axe_scan(page) == []
    screenshot(page, "dashboard", full_page=True, tablet=True)

    page.locator("#table-aging").get_by_role("link", name="$175.00").click()

    expect(page).to_have_url(
        f"{page.url.split('/billing/')[0]}{reverse('billing:queue')}?age=31-60"
    )
    expect(
        page.locator(f'a[href="{reverse("billing:claim_detail", args=[claim.pk])}"]')
    ).to_have_count(1)
    expect(page.locator("main table tbody tr")).to_have_count(1)
    expect(page.locator("main table tbody")).to_contain_text("Okonkwo")
    expect(page.get_by_label("Unpaid, days since export")).to_have_value("31-60")


def test_biller_appeals_a_modifier_25_denial_from_the_denials_queue(
    open_as, axe_scan, nurse, biller
):
    payer = billing_reference(program="commercial", code="AETNA")
    remits = Remits(nurse)
    claim = remits.claim(
        payer,
        "denied",
        expected="92.00",
        exported_on=timezone.localdate() - dt.timedelta(days=40),
        total="120.00",
        code="99213",
        modifiers=["25"],
    )
    remits.pay(
        claim, days=10, paid="0.00", allowed="0.00", code="4", adjustments=[("CO", "4", "120.00")]
    )
    page = open_as(biller, axe=True)

    page.get_by_role("link", name="Denials").click()

    row = page.locator(f"#denial-{claim.pk}")
    expect(row).to_contain_text("CO-4 on 99213")
    expect(row).to_contain_text("R20")
    assert axe_scan(page) == []
    row.get_by_label(f"Next action for claim #{claim.pk}").select_option("appeal")
    row.get_by_label(f"Reason for claim #{claim.pk}").fill("Note documents a separate problem")
    row.get_by_role("button", name="Record").click()

    expect(page.get_by_role("status")).to_contain_text(f"Claim #{claim.pk}: appeal recorded.")
    expect(page.locator(f"#denial-{claim.pk}")).to_have_count(0)
    claim.refresh_from_db()
    assert claim.status == Claim.Status.APPEALED
