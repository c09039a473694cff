"""At tablet width (820 px) every page fits: no sideways scrolling of the page itself (a wide
table scrolls inside its own box), and the navigation folds behind its toggler."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse
from playwright.sync_api import Page, expect

from billing import services as billing_services
from billing.models import Claim
from refills import services
from tests.e2e.conftest import E2E, TABLET_VIEWPORT
from tests.factories import (
    PatientFactory,
    UserFactory,
    billing_reference,
    cover,
    encounter_data,
    practice_settings,
    signed_refill,
)

pytestmark = E2E

TABLET = TABLET_VIEWPORT
WIDTH = TABLET["width"]


def overflow(page: Page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth")


@pytest.fixture
def records(nurse, nurse2, provider, biller, patient):
    """A draft, a signed refill with its claim, a provider visit and an export."""
    practice_settings()
    cover(patient, billing_reference())
    draft = services.encounter_create(by=nurse, patient=patient, data=encounter_data())
    other = PatientFactory(last_name="Ortiz-Villanueva", first_name="Rafael Alejandro")
    cover(other, billing_reference())
    done = signed_refill(other, nurse, nurse2, supervising_practitioner=provider)
    claim = Claim.objects.get(encounter=done)
    billing_services.claim_approve(claim=claim, by=biller)
    export = billing_services.claims_export(by=biller, fmt="x12")
    return {"patient": patient, "draft": draft, "signed": done, "claim": claim, "export": export}


def admin_urls(user) -> list[str]:
    """The admin's index, and each registered model's list, add form (where the admin
    offers one) and first object."""
    request = RequestFactory().get("/")
    request.user = user
    urls = [reverse("admin:index")]
    for model, model_admin in admin.site._registry.items():
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls.append(reverse(f"{name}_changelist"))
        if model_admin.has_add_permission(request):
            urls.append(reverse(f"{name}_add"))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            urls.append(reverse(f"{name}_change", args=[first.pk]))
    return urls


def test_every_main_page_fits_820_px_without_sideways_scrolling(
    open_as, nurse, provider, biller, records
):
    root = UserFactory(username="root.tablet")
    root.is_staff = root.is_superuser = True
    root.save()
    r = records
    visits = {
        None: [reverse("login")],
        nurse: [
            reverse("refills:worklist"),
            reverse("refills:patient_list"),
            reverse("refills:patient_create"),
            reverse("refills:patient_detail", args=[r["patient"].pk]),
            reverse("refills:patient_edit", args=[r["patient"].pk]),
            reverse("refills:encounter_create", args=[r["patient"].pk]),
            reverse("refills:encounter_detail", args=[r["draft"].pk]),
            reverse("refills:encounter_edit", args=[r["draft"].pk]),
            reverse("refills:encounter_verify", args=[r["draft"].pk]),
            reverse("refills:encounter_detail", args=[r["signed"].pk]),
            reverse("refills:addendum_create", args=[r["signed"].pk]),
            reverse("accounts:password_change"),
        ],
        provider: [reverse("refills:provider_visit_create", args=[r["patient"].pk])],
        biller: [
            reverse("billing:queue"),
            reverse("billing:claim_detail", args=[r["claim"].pk]),
            reverse("billing:claim_1500", args=[r["claim"].pk]),
            reverse("billing:export_list"),
            reverse("billing:dashboard"),
            reverse("billing:denials"),
            reverse("billing:import_list"),
            reverse("billing:unmatched_list"),
        ],
        root: [
            reverse("refills:patient_audit", args=[r["patient"].pk]),
            reverse("refills:encounter_audit", args=[r["signed"].pk]),
            reverse("billing:claim_audit", args=[r["claim"].pk]),
            *admin_urls(root),
        ],
    }
    too_wide: dict[str, int] = {}
    for user, urls in visits.items():
        page = open_as(user)
        page.set_viewport_size(TABLET)
        for url in urls:
            response = page.goto(url)
            assert response is not None and response.status == 200, url
            width = overflow(page)
            if width > WIDTH:
                too_wide[url] = width

    assert not too_wide, f"pages wider than {WIDTH} px: {too_wide}"


def test_the_navigation_folds_behind_its_toggler_at_820_px(open_as, biller):
    page = open_as(biller)
    page.set_viewport_size(TABLET)
    page.goto(reverse("billing:queue"))
    nav = page.get_by_role("navigation", name="Main")
    claims_link = nav.get_by_role("link", name="Claims")
    expect(claims_link).to_be_hidden()

    nav.get_by_role("button", name="Toggle navigation").click()

    expect(claims_link).to_be_visible()
    claims_link.click()
    page.wait_for_url("**/billing/claims/")

    page.set_viewport_size({"width": 1280, "height": 900})
    expect(nav.get_by_role("button", name="Toggle navigation")).to_be_hidden()
    expect(nav.get_by_role("link", name="Claims")).to_be_visible()
