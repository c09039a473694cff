"""The claims' count and charge by status that the database keeps (ClaimStatusTotal): every
way of writing a claim keeps them equal to a fresh count, and the queue shows them.

Every billing test checks the same equality when it ends (tests/billing/conftest.py), so the
services' own paths (deciding, approving, holding, exporting, posting remittances,
correcting, voiding) are checked wherever they are tested; here, the ways SQL can reach the
claim table, each with the figures it must leave."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from billing import dashboard, status_totals
from billing.models import Claim, ClaimStatusTotal
from billing.selectors import QUEUE_STATUSES, QueueFilters, statuses_alone
from tests.billing.remits import make_claim
from tests.billing.status_totals import assert_status_totals_exact, kept_totals
from tests.factories import billing_reference

DAY = dt.date(2026, 3, 4)


def new_claim(nurse, *, status="hold", total="175.00", payer=None, save=True) -> Claim:
    return make_claim(nurse, status=status, day=DAY, total=total, payer=payer, save=save)


def test_the_check_sees_totals_that_do_not_match_the_claims(nurse):
    new_claim(nurse)
    ClaimStatusTotal.objects.filter(status="hold").update(claims=2)

    with pytest.raises(AssertionError):
        assert_status_totals_exact()
    ClaimStatusTotal.objects.filter(status="hold").update(claims=1)


def test_the_claim_table_has_its_triggers(db):
    assert status_totals.installed(connection) == status_totals.expected(connection)


def test_a_new_claim_is_counted_with_its_charge_in_cents(nurse):
    new_claim(nurse, total="175.10")
    new_claim(nurse, total="0.20")
    new_claim(nurse, status="ready", total="295.00")

    assert kept_totals() == {"hold": (2, 17530), "ready": (1, 29500)}


def test_many_claims_created_at_once_are_counted(nurse):
    Claim.objects.bulk_create(
        [new_claim(nurse, save=False), new_claim(nurse, status="void", total="10.01", save=False)]
    )

    assert kept_totals() == {"hold": (1, 17500), "void": (1, 1001)}


def test_a_saved_status_or_charge_moves_the_claim_between_totals(nurse):
    claim = new_claim(nurse)
    claim.status = "ready"
    claim.save(update_fields=["status"])
    assert kept_totals() == {"ready": (1, 17500)}

    claim.total_charge = Decimal("200.05")
    claim.save()
    assert kept_totals() == {"ready": (1, 20005)}


def test_a_queryset_update_of_status_and_charge_is_counted(nurse):
    claims = [new_claim(nurse), new_claim(nurse), new_claim(nurse, status="ready")]

    Claim.objects.filter(status="hold").update(status="approved")
    assert kept_totals() == {"approved": (2, 35000), "ready": (1, 17500)}

    Claim.objects.filter(pk=claims[0].pk).update(total_charge=Decimal("1.00"))
    assert kept_totals() == {"approved": (2, 17600), "ready": (1, 17500)}


def test_an_update_of_other_columns_leaves_the_totals(nurse):
    new_claim(nurse)

    Claim.objects.update(hold_reason="Labs are too old.")

    assert kept_totals() == {"hold": (1, 17500)}


def test_a_bulk_update_is_counted(nurse):
    claims = [new_claim(nurse), new_claim(nurse)]
    claims[0].status, claims[1].total_charge = "void", Decimal("0.00")

    Claim.objects.bulk_update(claims, ["status", "total_charge"])

    assert kept_totals() == {"hold": (1, 0), "void": (1, 17500)}


def test_deleted_claims_leave_the_totals(nurse):
    claims = [new_claim(nurse), new_claim(nurse), new_claim(nurse, status="ready")]

    claims[0].delete()
    assert kept_totals() == {"hold": (1, 17500), "ready": (1, 17500)}

    Claim.objects.all().delete()
    assert kept_totals() == {}


def test_raw_sql_is_counted(nurse):
    claim = new_claim(nurse)

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE billing_claim SET status = %s, total_charge = %s WHERE id = %s",
            ["ready", "99.99", claim.pk],
        )

    assert kept_totals() == {"ready": (1, 9999)}


@pytest.mark.postgres
def test_truncating_the_claims_empties_the_totals(nurse):
    new_claim(nurse)

    with connection.cursor() as cursor:
        # The claim's deferred foreign key checks run first: TRUNCATE refuses to leave them.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE billing_claim CASCADE")

    assert kept_totals() == {}


# Outside the test's transaction, so that another connection sees the claims; serialized
# rollback brings back the role groups the flush after a transactional test takes.
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_transaction_never_waits_for_the_totals_another_holds(nurse):
    """Another transaction holds every totals row (as one that changed claims of each status
    and has not committed yet): a claim written now adds a row of its own at once, rather than
    waiting for that commit (and, in the wrong order, deadlocking with it)."""
    new_claim(nurse, status="approved")
    other = connection.get_new_connection(connection.get_connection_params())
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT id FROM billing_claimstatustotal FOR UPDATE")
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")
        new_claim(nurse, status="approved", total="100.00")
        assert ClaimStatusTotal.objects.filter(status="approved").count() == 2
    finally:
        other.rollback()
        other.close()
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")

    # Nothing held: the next claim adds to the first row of its status.
    new_claim(nurse, status="approved", total="50.00")
    assert ClaimStatusTotal.objects.filter(status="approved").count() == 2
    assert kept_totals() == {"approved": (3, 32500)}


def test_after_migrate_lost_triggers_come_back_and_the_claims_are_counted_again(nurse):
    """SQLite drops a table's triggers when a migration rebuilds it: ``ensure`` (run after
    every migrate) puts them back and counts the claims written without them."""
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL keeps a table's triggers when a migration alters it")
    new_claim(nurse)
    status_totals.uninstall(connection)
    new_claim(nurse, status="ready")
    assert kept_totals() == {"hold": (1, 17500)}

    status_totals.ensure(connection)

    assert status_totals.installed(connection) == status_totals.expected(connection)
    assert kept_totals() == {"hold": (1, 17500), "ready": (1, 17500)}
    new_claim(nurse, status="ready")
    assert kept_totals() == {"hold": (1, 17500), "ready": (2, 35000)}


@pytest.fixture
def queue_claims(nurse):
    medicare = billing_reference()
    return [
        new_claim(nurse, status="hold", total="175.00", payer=medicare),
        new_claim(nurse, status="ready", total="295.00", payer=medicare),
        new_claim(nurse, status="ready", total="100.50"),
        new_claim(nurse, status="void", total="75.00", payer=medicare),
    ]


def _queue(client, biller, params=None):
    client.force_login(biller)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("billing:queue"), params or {})
    totals = response.context["totals"]
    rows = [(r.status, r.count, r.total) for r in totals.by_status]
    grouped = [q["sql"] for q in captured if "GROUP BY" in q["sql"]]
    return response, rows, grouped


@pytest.mark.parametrize(
    ("params", "rows"),
    [
        ({}, [("hold", 1, Decimal("175.00")), ("ready", 2, Decimal("395.50"))]),
        ({"status": "ready"}, [("ready", 2, Decimal("395.50"))]),
        ({"status": "void"}, [("void", 1, Decimal("75.00"))]),
    ],
)
def test_the_queue_shows_the_kept_totals_when_it_filters_by_status_alone(
    client, biller, queue_claims, params, rows
):
    response, shown, grouped = _queue(client, biller, params)

    assert shown == rows
    (totals,) = grouped
    assert '"billing_claimstatustotal"' in totals
    assert '"billing_claim"' not in totals.replace('"billing_claimstatustotal"', "")
    count, total = sum(r[1] for r in rows), sum(r[2] for r in rows)
    assert f"{count} claim{'s' if count > 1 else ''} · ${total}" in response.content.decode()


def test_the_queue_follows_a_change_of_status(client, biller, queue_claims):
    Claim.objects.filter(pk=queue_claims[0].pk).update(status="void")

    _, shown, _ = _queue(client, biller)

    assert shown == [("ready", 2, Decimal("395.50"))]


def test_other_filters_count_the_claims_they_select(client, biller, queue_claims):
    _, shown, grouped = _queue(client, biller, {"payer": queue_claims[0].payer_id})

    assert shown == [("hold", 1, Decimal("175.00")), ("ready", 1, Decimal("295.00"))]
    (totals,) = grouped
    assert "billing_claimstatustotal" not in totals


@pytest.mark.parametrize(
    ("filters", "statuses"),
    [
        (QueueFilters(), set(QUEUE_STATUSES)),
        (QueueFilters(status="void"), {"void"}),
        (QueueFilters(outcome="answered"), set(dashboard.OUTCOMES["answered"][1])),
        (QueueFilters(status="paid", outcome="answered"), {"paid"}),
        (QueueFilters(status="hold", outcome="answered"), set()),
        (QueueFilters(status="hold", sort="patient"), {"hold"}),
        (QueueFilters(status="hold", payer=1), None),
        (QueueFilters(date_from=DAY), None),
        (QueueFilters(date_to=DAY), None),
        (QueueFilters(rule="R31"), None),
        (QueueFilters(search="Cruz"), None),
        (QueueFilters(age="0-30"), None),
        (QueueFilters(carc="97"), None),
        (QueueFilters(paid_in="0-30"), None),
    ],
)
def test_the_kept_totals_answer_only_filters_by_status(filters, statuses):
    found = statuses_alone(filters)

    assert (found if found is None else set(found)) == statuses
