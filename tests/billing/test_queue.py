"""The biller's queue: filters that fail, sorting, columns, and the totals of what is shown."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from billing import selectors
from billing.forms import QueueFilterForm
from billing.models import Claim, ClaimFinding
from tests import factories
from tests.factories import PatientFactory, billing_reference

DAY = dt.date(2026, 3, 4)


def claim_row(nurse, *, last_name, status, total, day=DAY, payer=None, hold_reason="", rule=""):
    """A claim as the queue lists it, without going through the engine."""
    claim = factories.claim_row(
        patient=PatientFactory(last_name=last_name, first_name="Ann"),
        nurse=nurse,
        payer=payer,
        date_of_service=day,
        status=status,
        total_charge=Decimal(total),
        hold_reason=hold_reason,
    )
    if rule:
        ClaimFinding.objects.create(
            claim=claim, position=1, rule=rule, severity="hold", message="Labs are too old."
        )
    return claim


@pytest.fixture
def claims(nurse):
    """A claim in each of four statuses, under its status."""
    aetna = billing_reference(program="commercial", code="AETNA")
    medicare = billing_reference()
    rows = {
        "ready": {"last_name": "Brooks", "total": "295.00", "payer": aetna},
        "approved": {
            "last_name": "Adams",
            "total": "175.00",
            "payer": medicare,
            "day": DAY - dt.timedelta(days=10),
        },
        "hold": {
            "last_name": "Cruz",
            "total": "175.00",
            "payer": medicare,
            "day": DAY - dt.timedelta(days=3),
            "hold_reason": "Labs older than 7 days.",
            "rule": "R31",
        },
        "void": {"last_name": "Diaz", "total": "0.00", "payer": aetna},
    }
    return {status: claim_row(nurse, status=status, **values) for status, values in rows.items()}


def listed(response) -> list[int]:
    return [claim.pk for claim in response.context["page"]]


@pytest.fixture
def as_biller(client, biller):
    client.force_login(biller)
    return client


def test_the_queue_lists_open_claims_with_every_column_and_totals(as_biller, claims):
    response = as_biller.get(reverse("billing:queue"))

    assert listed(response) == [claims[k].pk for k in ("ready", "hold", "approved")]
    totals = response.context["totals"]
    assert (totals.count, totals.total) == (3, Decimal("645.00"))
    assert [(r.status, r.count, r.total) for r in totals.by_status] == [
        ("hold", 1, Decimal("175.00")),
        ("ready", 1, Decimal("295.00")),
        ("approved", 1, Decimal("175.00")),
    ]
    html = response.content.decode()
    assert "3 claims · $645.00" in html
    hold = claims["hold"]
    assert f"C{hold.pk:08d}" == hold.number
    row = html[html.index(hold.number) :]
    row = row[: row.index("</tr>")]
    age = (timezone.localdate() - hold.date_of_service).days
    for cell in ("Cruz, Ann", hold.patient.mrn, "2026-03-01", "Medicare", "$175.00", "Hold"):
        assert cell in row, cell
    assert f'<td class="text-end">{age}</td>' in row
    assert "Labs older than 7 days." in row


def test_the_totals_are_one_count_of_rows_grouped_by_status(as_biller, claims):
    with CaptureQueriesContext(connection) as captured:
        as_biller.get(reverse("billing:queue"), {"payer": claims["ready"].payer_id})

    (totals,) = [q["sql"] for q in captured if "GROUP BY" in q["sql"]]
    # COUNT(*), not COUNT(id): the count needs no column of its own, so an index with the
    # status and the charge answers it alone whatever else it holds.
    assert "COUNT(*)" in totals
    assert totals.startswith('SELECT "billing_claim"."status" AS "status", COUNT(*) AS "count"')
    assert "GROUP BY" in totals
    assert "INNER JOIN" not in totals


def test_the_totals_need_no_column_outside_the_status_and_payer_index(claims, biller):
    """The totals read only columns claim_status_payer_dos_idx holds, so that PostgreSQL can
    answer them from that index alone (an index-only scan, once autovacuum has set the
    visibility map; `bench --explain --keep` shows the plan on a large queue). Checked on the
    SQL rather than on a plan: over a test's few rows the planner may prefer a smaller index
    and visit the table."""
    index = next(i for i in Claim._meta.indexes if i.name == "claim_status_payer_dos_idx")
    held = {Claim._meta.get_field(name).column for name in [*index.fields, *index.include]}
    totals = selectors.queue_totals_query(selectors.claim_queue(biller, selectors.QueueFilters()))
    sql = str(totals.query)

    read = set(re.findall(r'"billing_claim"\."(\w+)"', sql))
    assert read and read <= held, (read, held)
    assert sum(count for _, count, _ in totals) == 3


def test_a_status_filter_counts_and_totals_only_what_it_selects(as_biller, claims):
    response = as_biller.get(reverse("billing:queue"), {"status": "void"})

    assert listed(response) == [claims["void"].pk]
    totals = response.context["totals"]
    assert (totals.count, totals.total) == (1, Decimal("0.00"))


@pytest.mark.parametrize("rule", ["R31", "r31"])
def test_a_rule_id_matches_in_any_case(as_biller, claims, rule):
    response = as_biller.get(reverse("billing:queue"), {"rule": rule})

    assert listed(response) == [claims["hold"].pk]
    assert response.context["filter_form"].cleaned_data["rule"] == "R31"


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"rule": "R3"}, "rule", "A rule ID looks like R31."),
        ({"date_from": "2026-13-40"}, "date_from", "Enter a valid date."),
        ({"date_from": "2026-03-05", "date_to": "2026-03-01"}, "date_to", "Ends before it starts."),
        ({"status": "lost"}, "status", "Select a valid choice. lost is not one of the available"),
        ({"sort": "patient__mrn"}, "sort", "Choose an order from the list."),
        ({"payer": "999999"}, "payer", "Select a valid choice."),
    ],
)
def test_a_filter_that_fails_shows_its_error_and_no_claims(
    as_biller, claims, params, field, message
):
    response = as_biller.get(reverse("billing:queue"), params)

    assert response.status_code == 200
    assert listed(response) == []
    assert response.context["totals"] is None
    assert response.context["filter_form"].errors[field][0].startswith(message)
    html = response.content.decode()
    assert f'id="error_1_id_{field}"' in html
    assert "The filter could not be applied" in html
    assert "No claims: the filter has an error." in html
    for claim in claims.values():
        assert claim.number not in html


def test_a_search_that_fails_shows_its_error_and_no_claims(as_biller, claims):
    response = as_biller.post(reverse("billing:queue"), {"q": "x" * 81})

    assert response.status_code == 200
    assert listed(response) == []
    assert 'id="error_1_id_q"' in response.content.decode()
    assert "The search could not be applied" in response.content.decode()


def test_a_search_keeps_the_filters_and_puts_no_name_in_the_url(as_biller, claims):
    url = reverse("billing:queue") + "?status=hold&sort=patient&rogue=Cruz"

    response = as_biller.post(url, {"q": "Cruz"})

    assert response.status_code == 302
    assert response["Location"] == reverse("billing:queue") + "?status=hold&sort=patient"
    followed = as_biller.get(response["Location"])
    assert listed(followed) == [claims["hold"].pk]


# The claims in each column's ascending order; "-column" is the same order reversed, and
# with no sort the newest date of service comes first.
ASCENDING = {
    "date": ["approved", "hold", "ready"],
    "patient": ["approved", "ready", "hold"],
    "total": ["approved", "hold", "ready"],
    "number": ["ready", "approved", "hold"],
    "payer": ["ready", "approved", "hold"],
    "status": ["approved", "hold", "ready"],
}
SORTED = {
    "": ASCENDING["date"][::-1],
    **ASCENDING,
    **{f"-{key}": order[::-1] for key, order in ASCENDING.items()},
}


def test_every_sort_key_is_offered_and_tested():
    assert set(SORTED) - {""} == {key for key, _ in QueueFilterForm().fields["sort"].choices}


@pytest.mark.parametrize(("sort", "order"), SORTED.items())
def test_sorting(as_biller, claims, sort, order):
    response = as_biller.get(reverse("billing:queue"), {"sort": sort})

    assert listed(response) == [claims[k].pk for k in order]


def test_a_column_header_links_to_its_order_and_says_how_it_is_sorted(as_biller, claims):
    response = as_biller.get(reverse("billing:queue"), {"status": "hold", "sort": "patient"})

    links = response.context["sort_links"]
    assert links["patient"] == {"href": "?status=hold&sort=-patient", "aria": "ascending"}
    assert links["total"] == {"href": "?status=hold&sort=-total", "aria": ""}
    assert 'aria-sort="ascending"><a href="?status=hold&amp;sort=-patient">Patient' in (
        response.content.decode()
    )


def test_the_pages_keep_the_filters_and_the_order(as_biller, nurse):
    for n in range(26):
        claim_row(nurse, last_name=f"Patient{n:02d}", status="ready", total="10.00")

    first = as_biller.get(reverse("billing:queue"), {"status": "ready", "sort": "patient"})
    second = as_biller.get(
        reverse("billing:queue"), {"status": "ready", "sort": "patient", "page": "2"}
    )

    assert 'href="?status=ready&amp;sort=patient&amp;page=2"' in first.content.decode()
    assert [c.patient.last_name for c in second.context["page"]] == ["Patient25"]
    assert second.context["totals"].count == 26
    assert second.context["totals"].total == Decimal("260.00")
