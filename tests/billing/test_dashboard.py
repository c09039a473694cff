"""The billing dashboard: each figure against claims counted by hand, the links to the
claims behind each number, who may see it, and a query count that does not grow."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from billing import dashboard
from billing.models import Claim, ClaimExport
from tests.factories import PatientFactory, billing_reference, make_encounter

TODAY = dt.date(2026, 6, 15)


def at(day: dt.date, hour: int = 12, minute: int = 0) -> dt.datetime:
    """An aware datetime at ``hour:minute`` of ``day`` in the clinic's zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def make_export(created_at: dt.datetime) -> ClaimExport:
    return ClaimExport.objects.create(
        created_at=created_at,
        format=ClaimExport.Format.CSV,
        filename="claims.csv",
        sha256="0" * 64,
        content=b"",
        claim_count=1,
    )


def make_claim(nurse, *, status, day, total, payer=None, export=None) -> Claim:
    patient = PatientFactory()
    encounter = make_encounter(patient, nurse)
    return Claim.objects.create(
        encounter=encounter,
        patient=patient,
        payer=payer,
        date_of_service=day,
        status=status,
        total_charge=Decimal(total),
        decided_at=timezone.now(),
        export=export,
    )


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

    response = client.get(reverse("billing:dashboard"))

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
    now = timezone.now()
    for n in range(rows):
        for status in ("ready", "exported", "hold"):
            make_claim(
                nurse,
                status=status,
                day=timezone.localdate() - dt.timedelta(days=n * 9),
                total="10.00",
                payer=payer,
                export=make_export(now - dt.timedelta(days=n * 9))
                if status == "exported"
                else None,
            )
    client.force_login(biller)

    # The session (read, then its idle clock saved in a savepoint: 4), the user and the
    # permissions of the role (3), then one aggregate query per figure.
    with django_assert_num_queries(7 + 2):
        response = client.get(reverse("billing:dashboard"))

    assert response.status_code == 200
