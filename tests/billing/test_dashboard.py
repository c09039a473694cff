"""The billing dashboard: each figure against claims counted by hand, the links to the
claims behind each number, who may see it, and a query count that does not grow."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from billing import dashboard
from billing.models import (
    AdjustmentReason,
    Claim,
)
from tests.billing.remits import Remits, at, make_claim, make_export
from tests.factories import billing_reference

TODAY = dt.date(2026, 6, 15)


@pytest.fixture
def payer(db):
    return billing_reference(program="commercial", code="AETNA")


def aging(today: dt.date) -> dict[str, tuple[int, Decimal]]:
    return {row.bucket.key: (row.claims, row.charges) for row in dashboard.ar_aging(today)}


def test_an_age_counts_the_clinics_days(nurse, payer):
    def exported(when: dt.datetime) -> Claim:
        return make_claim(
            nurse,
            status="exported",
            day=TODAY - dt.timedelta(days=120),
            total="1.00",
            payer=payer,
            export=make_export(when),
        )

    day = dt.timedelta(days=1)
    exported(at(TODAY, 0, 0))  # today: 0 days
    exported(at(TODAY - day, 23, 30))  # a day old this morning
    exported(at(TODAY - 30 * day, 0, 0))  # the first minute of day 30
    exported(at(TODAY - 31 * day, 23, 59))  # the last minute of day 31
    exported(at(TODAY - 60 * day, 0, 0))
    exported(at(TODAY - 90 * day, 0, 0))
    exported(at(TODAY - 91 * day, 23, 59))

    assert aging(TODAY) == {
        "0-30": (3, Decimal("3.00")),
        "31-60": (2, Decimal("2.00")),
        "61-90": (1, Decimal("1.00")),
        "90+": (1, Decimal("1.00")),
    }


@pytest.fixture
def claims(nurse, payer):
    """Claims of every kind the first figures count; their expected sums are by hand."""
    today = timezone.localdate()
    now = timezone.now()

    def days(n: int) -> dt.date:
        return today - dt.timedelta(days=n)

    def make(name, status, dos, total, exported_days_ago=None):
        export = (
            make_export(now - dt.timedelta(days=exported_days_ago)) if exported_days_ago else None
        )
        return name, make_claim(
            nurse, status=status, day=days(dos), total=total, payer=payer, export=export
        )

    return dict(
        [
            make("A", "ready", 10, "175.00"),
            make("B", "ready", 20, "120.00"),
            make("C", "hold", 5, "30.00"),
            make("D", "exported", 12, "295.00", exported_days_ago=10),
            make("E", "exported", 50, "175.00", exported_days_ago=45),
            make("F", "exported", 120, "160.00", exported_days_ago=100),
            make("G", "void", 3, "175.00"),
            # Before the default period: counted by the aging only.
            make("H", "ready", 400, "999.00"),
            make("I", "exported", 400, "50.00", exported_days_ago=380),
        ]
    )


def test_claims_by_status_counts_the_period_only(claims):
    today = timezone.localdate()
    period = dashboard.Period(today - dt.timedelta(days=364), today)

    figures = {row.status: (row.claims, row.charges) for row in dashboard.claims_by_status(period)}

    expected = dict.fromkeys(Claim.Status.values, (0, Decimal("0.00"))) | {
        "hold": (1, Decimal("30.00")),
        "ready": (2, Decimal("295.00")),
        "exported": (3, Decimal("630.00")),
        "void": (1, Decimal("175.00")),
    }
    assert figures == expected
    assert [row.status for row in dashboard.claims_by_status(period)] == Claim.Status.values


def test_ar_aging_counts_unpaid_claims_whatever_their_date_of_service(claims):
    assert aging(timezone.localdate()) == {
        "0-30": (1, Decimal("295.00")),
        "31-60": (1, Decimal("175.00")),
        "61-90": (0, Decimal("0.00")),
        "90+": (2, Decimal("210.00")),
    }


def a_year() -> dict[str, str]:
    """The dashboard's period as a biller sets it: the last 365 days."""
    today = timezone.localdate()
    return {"date_from": str(today - dt.timedelta(days=364)), "date_to": str(today)}


def table(response, key: str) -> dict[str, list]:
    figure = next(f for f in response.context["figures"] if f.key == key)
    return {row[0].text: [(cell.text, cell.url) for cell in row[1:]] for row in figure.rows}


def claims_at(client, url: str) -> set[int]:
    response = client.get(url)
    assert response.status_code == 200
    return {claim.pk for claim in response.context["page"]}


def test_the_page_shows_each_figure_and_links_to_the_claims_behind_it(client, biller, claims):
    client.force_login(biller)
    today = timezone.localdate()
    period = f"date_from={today - dt.timedelta(days=364)}&date_to={today}"
    queue = reverse("billing:queue")

    response = client.get(reverse("billing:dashboard"), a_year())

    assert response.status_code == 200
    statuses = table(response, "status")
    exported = f"{queue}?status=exported&{period}"
    assert statuses["Exported"] == [("3", exported), ("$630.00", exported)]
    assert statuses["Ready"][0] == ("2", f"{queue}?status=ready&{period}")
    assert statuses["Approved"][0] == ("0", f"{queue}?status=approved&{period}")
    assert claims_at(client, exported) == {claims[n].pk for n in "DEF"}
    assert claims_at(client, statuses["Ready"][0][1]) == {claims[n].pk for n in "AB"}
    assert claims_at(client, statuses["Void"][0][1]) == {claims["G"].pk}

    ages = table(response, "aging")
    assert ages == {
        "0-30 days": [("1", f"{queue}?age=0-30")] * 1 + [("$295.00", f"{queue}?age=0-30")],
        "31-60 days": [("1", f"{queue}?age=31-60"), ("$175.00", f"{queue}?age=31-60")],
        "61-90 days": [("0", f"{queue}?age=61-90"), ("$0.00", f"{queue}?age=61-90")],
        "over 90 days": [("2", f"{queue}?age=90%2B"), ("$210.00", f"{queue}?age=90%2B")],
    }
    assert claims_at(client, ages["0-30 days"][0][1]) == {claims["D"].pk}
    assert claims_at(client, ages["over 90 days"][0][1]) == {claims["F"].pk, claims["I"].pk}
    assert claims_at(client, ages["61-90 days"][0][1]) == set()
    # The chart draws the same figures the table lists.
    charts = {chart["key"]: chart for chart in response.context["charts"]}
    assert charts["aging"]["series"] == [
        {
            "label": "Charges",
            "values": ["295.00", "175.00", "0.00", "210.00"],
            "urls": [f"{queue}?age={key}" for key in ("0-30", "31-60", "61-90", "90%2B")],
        }
    ]
    assert 'id="dashboard-charts"' in response.content.decode()


def test_a_period_chosen_by_the_biller(client, biller, claims):
    client.force_login(biller)
    today = timezone.localdate()
    first, last = today - dt.timedelta(days=401), today - dt.timedelta(days=399)

    response = client.get(reverse("billing:dashboard"), {"date_from": first, "date_to": last})

    statuses = table(response, "status")
    assert statuses["Ready"][0][0] == "1"
    assert statuses["Exported"][0][0] == "1"
    assert statuses["Hold"][0][0] == "0"
    assert claims_at(client, statuses["Ready"][0][1]) == {claims["H"].pk}


def test_the_dashboard_opens_on_the_last_90_days(client, biller, claims):
    client.force_login(biller)
    today = timezone.localdate()

    response = client.get(reverse("billing:dashboard"))

    form = response.context["form"]
    assert (form.cleaned_data["date_from"], form.cleaned_data["date_to"]) == (
        today - dt.timedelta(days=89),
        today,
    )
    statuses = table(response, "status")
    # D and E are in the last 90 days; F (120 days ago) is not.
    assert statuses["Exported"][0][0] == "2"
    assert f'value="{today - dt.timedelta(days=89)}"' in response.content.decode()


def test_a_period_longer_than_a_year_is_refused_at_the_field(client, biller, claims):
    client.force_login(biller)

    response = client.get(
        reverse("billing:dashboard"), {"date_from": "2025-01-01", "date_to": "2026-01-02"}
    )

    assert response.context["form"].errors == {"date_from": ["Choose at most 366 days."]}
    assert response.context["figures"] == []


def test_a_start_alone_runs_to_today(client, biller, claims):
    client.force_login(biller)
    today = timezone.localdate()

    response = client.get(
        reverse("billing:dashboard"), {"date_from": str(today - dt.timedelta(days=30))}
    )

    assert response.context["form"].cleaned_data["date_to"] == today
    assert table(response, "status")["Exported"][0][0] == "1"


def test_a_period_that_ends_before_it_starts_is_refused_at_the_field(client, biller, claims):
    client.force_login(biller)

    response = client.get(
        reverse("billing:dashboard"), {"date_from": "2026-05-02", "date_to": "2026-05-01"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {"date_to": ["Ends before it starts."]}
    assert response.context["figures"] == []


def test_an_unknown_age_in_the_queue_is_refused(client, biller, claims):
    client.force_login(biller)

    response = client.get(reverse("billing:queue"), {"age": "7-8"})

    assert response.status_code == 200
    assert "age" in response.context["filter_form"].errors


@pytest.mark.parametrize("persona", ["nurse", "provider", "outsider"])
def test_only_billers_and_admins_see_the_dashboard(db, client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("billing:dashboard")).status_code == 403


def test_the_navigation_links_to_the_dashboard_for_billers_only(client, biller, nurse):
    link = f'href="{reverse("billing:dashboard")}"'
    client.force_login(biller)
    assert link in client.get(reverse("billing:queue")).content.decode()
    client.force_login(nurse)
    assert link not in client.get(reverse("refills:worklist")).content.decode()


@pytest.mark.parametrize("rows", [1, 12])
def test_the_dashboard_costs_the_same_queries_however_many_claims(
    client, biller, nurse, payer, rows, django_assert_num_queries
):
    remits = Remits(nurse)
    for n in range(rows):
        exported_on = timezone.localdate() - dt.timedelta(days=n * 9)
        remits.claim(payer, "exported", expected="100.00", exported_on=exported_on)
        paid = remits.claim(payer, "paid", expected="100.00", exported_on=exported_on)
        remits.pay(paid, days=n, paid="80.00", allowed="100.00")
        denied = remits.claim(payer, "denied", expected="100.00", exported_on=exported_on)
        remits.pay(denied, days=n, paid="0", allowed="0", adjustments=[("CO", str(n + 1), "9")])
    client.force_login(biller)

    # The session (read, then its idle clock saved in a savepoint: 4), the user and the
    # permissions of the role (3), then the figures: by status, aging, denial rate, denial
    # reasons (answered claims, reasons, their words), days to payment, and paid against
    # expected.
    with django_assert_num_queries(7 + 8):
        response = client.get(reverse("billing:dashboard"), a_year())

    assert response.status_code == 200
    assert len(table(response, "denials-reason")) == rows


@pytest.fixture
def answered(nurse, payer):
    medicare = billing_reference(program="medicare", code="MEDICARE")
    remits = Remits(nurse)
    today = timezone.localdate()
    exported_on = today - dt.timedelta(days=100)
    p1 = remits.claim(payer, "paid", expected="100.00", exported_on=exported_on)
    remits.pay(p1, days=10, paid="80.00", allowed="100.00")
    # The payer takes the first payment back (CLP02 22) and pays again.
    remits.pay(p1, days=12, paid="-80.00", allowed="-100.00", code="22")
    remits.pay(p1, days=12, paid="85.00", allowed="100.00")
    p2 = remits.claim(payer, "partially_paid", expected="100.00", exported_on=exported_on)
    remits.pay(p2, days=20, paid="50.00", allowed="90.00", adjustments=[("PR", "1", "40.00")])
    p3 = remits.claim(payer, "denied", expected="100.00", exported_on=exported_on, total="160.00")
    remits.pay(
        p3, days=25, paid="0.00", allowed="0.00", code="4", adjustments=[("CO", "4", "160.00")]
    )
    p4 = remits.claim(medicare, "denied", expected="80.00", exported_on=exported_on, total="120.00")
    remits.pay(
        p4, days=30, paid="0.00", allowed="0.00", code="4", adjustments=[("CO", "97", "120.00")]
    )
    p5 = remits.claim(medicare, "paid", expected="80.00", exported_on=exported_on)
    remits.pay(p5, days=70, paid="64.00", allowed="80.00")
    # Appealed: waiting for the payer's second answer, in no rate.
    p6 = remits.claim(medicare, "appealed", expected="80.00", exported_on=exported_on)
    remits.pay(
        p6, days=15, paid="0.00", allowed="0.00", code="4", adjustments=[("CO", "97", "175.00")]
    )
    return {"medicare": medicare, "P1": p1, "P2": p2, "P3": p3, "P4": p4, "P5": p5, "P6": p6}


def default_period() -> dashboard.Period:
    today = timezone.localdate()
    return dashboard.Period(today - dt.timedelta(days=364), today)


def test_denial_rate_by_payer(answered, payer):
    rows = dashboard.denials_by_payer(default_period())

    assert [(r.payer, r.answered, r.denied, r.rate, r.denied_charges) for r in rows] == [
        ("Aetna", 3, 1, Decimal("33.3"), Decimal("160.00")),
        ("Medicare", 2, 1, Decimal("50.0"), Decimal("120.00")),
    ]


def test_denials_by_reason(answered):
    assert dashboard.denials_by_reason(default_period()) == (
        5,
        [
            dashboard.ReasonDenials("4", 1, Decimal("160.00")),
            dashboard.ReasonDenials("97", 1, Decimal("120.00")),
        ],
    )


def test_days_from_export_to_payment(answered):
    timing = dashboard.days_to_payment(default_period())

    # P1 was paid, the payment taken back and made again: one claim, at its last payment,
    # with what stands paid on it (80.00 - 80.00 + 85.00).
    assert [(b.bucket.key, b.claims, b.paid) for b in timing.buckets] == [
        ("0-14", 1, Decimal("85.00")),
        ("15-30", 1, Decimal("50.00")),
        ("31-45", 0, Decimal("0.00")),
        ("46-60", 0, Decimal("0.00")),
        ("60+", 1, Decimal("64.00")),
    ]
    assert timing.average_days == Decimal("34.0")  # (12 + 20 + 70) / 3


def test_paid_against_the_fee_schedule(answered):
    rows = dashboard.paid_against_expected(default_period())

    assert [(r.payer, r.expected, r.allowed, r.paid) for r in rows] == [
        ("Aetna", Decimal("300.00"), Decimal("190.00"), Decimal("135.00")),
        ("Medicare", Decimal("160.00"), Decimal("80.00"), Decimal("64.00")),
    ]


def test_the_payment_figures_link_to_their_claims(client, biller, answered, payer):
    client.force_login(biller)
    response = client.get(reverse("billing:dashboard"), a_year())
    assert response.status_code == 200

    rates = table(response, "denials-payer")
    assert [text for text, _ in rates["Aetna"]] == ["3", "1", "33.3%", "$160.00"]
    assert claims_at(client, rates["Aetna"][0][1]) == {answered[n].pk for n in ("P1", "P2", "P3")}
    assert claims_at(client, rates["Medicare"][1][1]) == {answered["P4"].pk}

    reasons = table(response, "denials-reason")
    label = "CARC 97: " + AdjustmentReason.objects.get(code="97").description
    assert [text for text, _ in reasons[label]] == ["1", "20.0%", "$120.00"]
    assert claims_at(client, reasons[label][0][1]) == {answered["P4"].pk}
    assert claims_at(
        client, reasons[next(k for k in reasons if k.startswith("CARC 4:"))][0][1]
    ) == {answered["P3"].pk}

    days = table(response, "payment-days")
    assert [text for text, _ in days["0-14 days"]] == ["1", "$85.00"]
    assert claims_at(client, days["0-14 days"][0][1]) == {answered["P1"].pk}
    assert claims_at(client, days["over 60 days"][0][1]) == {answered["P5"].pk}
    assert claims_at(client, days["31-45 days"][0][1]) == set()

    paid = table(response, "yield")
    assert [text for text, _ in paid["Medicare"]] == ["$160.00", "$80.00", "$64.00", "40.0%"]
    assert claims_at(client, paid["Medicare"][0][1]) == {answered[n].pk for n in ("P4", "P5")}

    aging = table(response, "aging")
    # The appealed claim is owed again; it was exported 100 days ago.
    assert aging["over 90 days"][0][0] == "1"
    assert claims_at(client, aging["over 90 days"][0][1]) == {answered["P6"].pk}
