"""Reads of the billing dashboard: every figure is one aggregate query, computed by the
database (GROUP BY and conditional sums), so a page costs the same few queries whether the
clinic has a hundred claims or a million lines. `docs/benchmarks.md` shows their plans.

The figures are plain values; the view turns each into a chart, a table and links to the
biller's queue filtered to the claims behind every number (`age_condition` is the one
definition of an age both use).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone

from billing.models import Claim

ZERO = Decimal("0.00")
CENTS = Decimal("0.01")


def cents(value: Decimal | None) -> Decimal:
    """A database sum as money: SQLite returns 295 for 295.00, and no rows sum to NULL.
    Sums of cents are exact, so the rounding mode only makes the quantize explicit."""
    return (value or ZERO).quantize(CENTS, rounding=ROUND_HALF_UP)


# Claims a payer still owes an answer on: exported and neither paid, denied nor voided.
UNPAID = (Claim.Status.EXPORTED,)


@dataclass(frozen=True)
class AgeBucket:
    """Days since a claim was exported, both ends included (``last`` None: no end)."""

    key: str
    first: int
    last: int | None

    @property
    def label(self) -> str:
        if self.last is None:
            return f"over {self.first - 1} days"
        return f"{self.first}-{self.last} days"


AGE_BUCKETS = (
    AgeBucket("0-30", 0, 30),
    AgeBucket("31-60", 31, 60),
    AgeBucket("61-90", 61, 90),
    AgeBucket("90+", 91, None),
)
AGE_KEYS = {bucket.key: bucket for bucket in AGE_BUCKETS}


def _start_of(day: dt.date) -> dt.datetime:
    """Midnight at the start of ``day`` in the clinic's zone (an aware datetime)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def age_condition(bucket: AgeBucket, today: dt.date) -> Q:
    """Unpaid claims exported ``bucket`` days before ``today``, counted in the clinic's days
    (exported at 23:30 yesterday is one day old this morning)."""
    exported = Q()
    if bucket.last is not None:
        exported &= Q(export__created_at__gte=_start_of(today - dt.timedelta(days=bucket.last)))
    if bucket.first > 0:
        exported &= Q(export__created_at__lt=_start_of(today - dt.timedelta(days=bucket.first - 1)))
    return Q(status__in=UNPAID) & exported


@dataclass(frozen=True)
class Period:
    """Claims whose date of service falls in these days, both included."""

    first: dt.date
    last: dt.date

    def condition(self, prefix: str = "") -> Q:
        return Q(
            **{
                f"{prefix}date_of_service__gte": self.first,
                f"{prefix}date_of_service__lte": self.last,
            }
        )


@dataclass(frozen=True)
class StatusCount:
    status: str
    label: str
    claims: int
    charges: Decimal


@dataclass(frozen=True)
class AgeCount:
    bucket: AgeBucket
    claims: int
    charges: Decimal


def claims_by_status(period: Period) -> list[StatusCount]:
    """Every status, in the order a claim moves through them, with its claims and charges."""
    rows = {
        row["status"]: row
        for row in Claim.objects.filter(period.condition())
        .order_by()
        .values("status")
        .annotate(claims=Count("id"), charges=Sum("total_charge"))
    }
    return [
        StatusCount(
            status=status,
            label=label,
            claims=rows.get(status, {}).get("claims", 0),
            charges=cents(rows.get(status, {}).get("charges")),
        )
        for status, label in Claim.Status.choices
    ]


def ar_aging(today: dt.date) -> list[AgeCount]:
    """Unpaid claims by days since export, with their charges, in one query."""
    aggregates = {}
    for bucket in AGE_BUCKETS:
        condition = age_condition(bucket, today)
        aggregates[f"n{bucket.key}"] = Count("id", filter=condition)
        aggregates[f"s{bucket.key}"] = Sum("total_charge", filter=condition)
    totals = Claim.objects.filter(status__in=UNPAID).aggregate(**aggregates)
    return [
        AgeCount(
            bucket=bucket,
            claims=totals[f"n{bucket.key}"],
            charges=cents(totals[f"s{bucket.key}"]),
        )
        for bucket in AGE_BUCKETS
    ]
