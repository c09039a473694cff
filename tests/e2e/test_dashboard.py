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
    screenshot(page, "dashboard", full_page=True)

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
