"""Real-browser journeys: Debian's Chromium, driven by Playwright, against ``live_server``.

One browser for all of them, a fresh context (cookies, storage) for each user in each test.
Screenshots are written to ``docs/screenshots/`` only when ``E2E_SCREENSHOTS=1``, so a normal
run never rewrites committed files.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import zoneinfo
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections
from django.utils import timezone
from playwright.sync_api import Browser, Locator, Page, Playwright, expect, sync_playwright

from tests.factories import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
VIEWPORT = {"width": 1280, "height": 900}
# A tablet held upright (iPad Air): the width every page must fit without sideways scrolling.
TABLET_VIEWPORT = {"width": 820, "height": 1180}
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
# What counts as a failure in an axe scan; "moderate" and "minor" findings are reported only.
AXE_FAILING_IMPACTS = {"serious", "critical"}
# Every browser test module's pytestmark: live_server needs committed data (a transactional
# database), and the serialized rollback brings back the role groups (made by data
# migrations) that the flush after each test removes.
E2E = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: install it with `apt-get install chromium`."
        if os.environ.get("E2E_REQUIRE_BROWSER") == "1":
            pytest.fail(f"E2E_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="package")
def playwright(browser_type_launch_args: dict, django_db_setup) -> Iterator[Playwright]:
    """Playwright for this package only, stopped after its last test.

    While it runs, its sync API keeps an event loop marked as running in this thread, and
    Django takes the test code for async code: it refuses ORM calls (hence
    DJANGO_ALLOW_ASYNC_UNSAFE; the calls are synchronous) and hands out a second set of
    database connections. Those get the serialized test database that serialized_rollback
    restores after each flush (it lives on the connection). Once Playwright stops, the tests
    after these get their usual connections back.
    """
    serialized = {
        alias: connections[alias]._test_serialized_contents
        for alias in connections
        if hasattr(connections[alias], "_test_serialized_contents")
    }
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as started:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        for alias, contents in serialized.items():
            connections[alias]._test_serialized_contents = contents
        yield started


@pytest.fixture(scope="package")
def browser(playwright: Playwright, browser_type_launch_args: dict) -> Iterator[Browser]:
    browser = playwright.chromium.launch(**browser_type_launch_args)
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def base_url(live_server) -> str:
    # Replaces pytest-playwright's own base_url fixture, which pytest deprecates (a
    # session fixture defined as an instance method).
    return live_server.url


@pytest.fixture(scope="session")
def browser_context_args(base_url: str) -> dict:
    # Not built on pytest-playwright's own, which would start a session-wide Playwright.
    return {
        "base_url": base_url,
        "viewport": VIEWPORT,
        "locale": "en-US",
        "timezone_id": settings.CLINIC_TIME_ZONE,
        "accept_downloads": True,
    }


@pytest.fixture(autouse=True)
def _clinic_time_zone() -> Iterator[None]:
    """Test code sees the clinic's dates, as every request does (ClinicTimezoneMiddleware)."""
    with timezone.override(zoneinfo.ZoneInfo(settings.CLINIC_TIME_ZONE)):
        yield


@pytest.fixture
def today() -> dt.date:
    return timezone.localdate()


def field(page: Page, label: str) -> Locator:
    """The control labelled exactly ``label`` (crispy adds "*" to required fields)."""
    return page.get_by_label(re.compile(rf"^\s*{re.escape(label)}\s*\*?\s*$"))


def document_the_day(
    page: Page, *, weight: str, labs_on: dt.date, lot: str, expires: dt.date
) -> None:
    """What the nurse records on the refill form at the chair, beside the drug and the pump:
    the weight, the day the CBC and CMP were drawn, the vial's lot and expiry, every pump check
    and teaching point done, and no adverse reaction."""
    field(page, "Weight (kg)").fill(weight)
    for lab in ("CBC collected on", "CMP collected on"):
        field(page, lab).fill(labs_on.isoformat())
    field(page, "Lot").fill(lot)
    field(page, "Expiry").fill(expires.isoformat())
    for box in ("Pump programmed", "Pump primed", "Pump runs (function verified)"):
        field(page, box).check()
    for box in ("Taught alarms", "Taught site care", "Teach-back done"):
        field(page, box).check()
    field(page, "Adverse reaction").fill("none")


def blind_check(page: Page, rate: str) -> None:
    """The second nurse (rn.chen) types the label's concentration, the pump's volume and the
    given rate on the verify page, ticks the label check and verifies."""
    field(page, "Your password").fill(PASSWORD)
    field(page, "Concentration on the label (mg/mL)").fill("50")
    field(page, "Rate programmed on the pump (mL/h)").fill(rate)
    field(page, "Volume programmed on the pump (mL)").fill("96")
    page.get_by_label(re.compile("I checked the patient, drug name")).check()
    page.get_by_role("button", name="Verify").click()


def sign_in(page: Page, user) -> None:
    """Log in through the login page, as a person would."""
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(user.get_username())
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


@pytest.fixture
def open_as(live_server, new_context) -> Callable[..., Page]:
    """``open_as(user)``: a page in a context of its own, signed in unless ``user`` is None.

    ``axe=True`` loads axe-core into every document. The app's Content-Security-Policy allows
    only its own scripts, so that context bypasses the CSP; every other context enforces it.
    """

    def _open_as(user, *, axe: bool = False) -> Page:
        context = new_context(bypass_csp=axe)
        context.set_default_timeout(10_000)
        # No icon is set; this keeps the browser from asking the server for one in the
        # background while the test reads the database.
        context.route("**/favicon.ico", lambda route: route.fulfill(status=204))
        if axe:
            context.add_init_script(path=AXE)
        page = context.new_page()
        if user is not None:
            sign_in(page, user)
        return page

    return _open_as


@pytest.fixture
def screenshot() -> Callable[..., None]:
    """``screenshot(page, name)``: docs/screenshots/<name>.png when E2E_SCREENSHOTS=1, and
    with ``tablet=True`` also <name>-820.png at the tablet's width."""

    def _screenshot(page: Page, name: str, *, full_page: bool = False, tablet: bool = False):
        if os.environ.get("E2E_SCREENSHOTS") != "1":
            return
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(
            path=SCREENSHOTS / f"{name}.png", full_page=full_page, animations="disabled"
        )
        if tablet:
            size = page.viewport_size
            page.set_viewport_size(TABLET_VIEWPORT)
            page.screenshot(
                path=SCREENSHOTS / f"{name}-820.png", full_page=full_page, animations="disabled"
            )
            page.set_viewport_size(size or VIEWPORT)

    return _screenshot


@pytest.fixture
def axe_scan() -> Callable[[Page], list[dict]]:
    """``axe_scan(page)``: the serious and critical axe-core violations on the current page
    (WCAG 2.1 A and AA, and best practices)."""

    def _axe_scan(page: Page) -> list[dict]:
        results = page.evaluate(
            """() => axe.run(document, {
                runOnly: {type: "tag", values: [
                    "wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"
                ]},
            })"""
        )
        return [
            {
                "id": v["id"],
                "impact": v["impact"],
                "help": v["help"],
                "nodes": [{"target": n["target"], "why": n["failureSummary"]} for n in v["nodes"]],
            }
            for v in results["violations"]
            if v["impact"] in AXE_FAILING_IMPACTS
        ]

    return _axe_scan
