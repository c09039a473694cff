"""Reads of the billing dashboard: the database computes every figure (GROUP BY and
conditional sums) in one or two queries, so a page costs the same few queries whether the
clinic has a hundred claims or a million lines. `docs/benchmarks.md` shows their plans.

The figures are plain values; the view turns each into a chart, a table and links to the
biller's queue filtered to the claims behind every number (`age_condition` is the one
definition of an age both use).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import (
    Aggregate,
    Count,
    Exists,
    OuterRef,
    Q,
    Sum,
)
from django.utils import timezone

from billing.models import Claim, PaymentAdjustment
from billing.money import money

# The period the dashboard opens on, and the longest it shows: each figure reads the claims
# of its period through an index, so its cost follows the period's size, never the table's.
DEFAULT_DAYS = 90
MAX_DAYS = 366


def cents(value: Decimal | None) -> Decimal:
    """A database sum as money: SQLite returns 295 for 295.00, and no rows sum to NULL."""
    return money(value)


_S = Claim.Status
# Claims a payer still owes an answer on: sent, accepted or appealed, and not yet paid,
# denied, rejected (back with the biller), corrected or voided.
UNPAID = (_S.EXPORTED, _S.ACCEPTED, _S.APPEALED)
# Claims the payer has answered: the denial rate's denominator. An appealed claim waits for
# a second answer and counts again when it comes.
ANSWERED = (_S.PAID, _S.PARTIALLY_PAID, _S.DENIED)
# Queue filters the dashboard links to that are not a single status.
OUTCOMES = {"answered": ("Answered by the payer", ANSWERED)}
del _S


@dataclass(frozen=True)
class DayBucket:
    """A range of days, both ends included (``last`` None: no end): days since a claim was
    exported (A/R aging), or from its export to its payment."""

    key: str
    first: int
    last: int | None

    @property
    def label(self) -> str:
        if self.last is None:
            return f"over {self.first - 1} days"
        return f"{self.first}-{self.last} days"


AGE_BUCKETS = (
    DayBucket("0-30", 0, 30),
    DayBucket("31-60", 31, 60),
    DayBucket("61-90", 61, 90),
    DayBucket("90+", 91, None),
)
AGE_KEYS = {bucket.key: bucket for bucket in AGE_BUCKETS}


def _start_of(day: dt.date) -> dt.datetime:
    """Midnight at the start of ``day`` in the clinic's zone (an aware datetime)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def age_condition(bucket: DayBucket, today: dt.date) -> Q:
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
    bucket: DayBucket
    claims: int
    charges: Decimal


def claims_by_status(period: Period) -> list[StatusCount]:
    """Every status, in the order a claim moves through them, with its claims and charges."""
    rows: dict[str, Mapping[str, Any]] = {
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
    aggregates: dict[str, Aggregate] = {}
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


PAYMENT_BUCKETS = (
    DayBucket("0-14", 0, 14),
    DayBucket("15-30", 15, 30),
    DayBucket("31-45", 31, 45),
    DayBucket("46-60", 46, 60),
    DayBucket("60+", 61, None),
)
PAYMENT_KEYS = {bucket.key: bucket for bucket in PAYMENT_BUCKETS}


def paid_in_condition(bucket: DayBucket) -> Q:
    """Claims whose standing payment came ``bucket`` days after their export
    (`Claim.payment_days`), for the figure and the queue behind it."""
    condition = Q(payment_days__gte=bucket.first)
    if bucket.last is not None:
        condition &= Q(payment_days__lte=bucket.last)
    return condition


@dataclass(frozen=True)
class PaymentDays:
    bucket: DayBucket
    claims: int
    paid: Decimal


@dataclass(frozen=True)
class PaymentTiming:
    buckets: list[PaymentDays]
    average_days: Decimal | None


def days_to_payment(period: Period) -> PaymentTiming:
    """The period's paid claims by days from export to the payment that stands, with what
    the payer paid on them, in one query: a claim paid, taken back and paid again counts
    once, at its last payment."""
    aggregates: dict[str, Aggregate] = {}
    for bucket in PAYMENT_BUCKETS:
        condition = paid_in_condition(bucket)
        aggregates[f"n{bucket.key}"] = Count("id", filter=condition)
        aggregates[f"s{bucket.key}"] = Sum("paid_amount", filter=condition)
    aggregates["claims"] = Count("id")
    aggregates["days"] = Sum("payment_days")
    totals = Claim.objects.filter(period.condition(), payment_days__isnull=False).aggregate(
        **aggregates
    )
    return PaymentTiming(
        buckets=[
            PaymentDays(bucket, totals[f"n{bucket.key}"], cents(totals[f"s{bucket.key}"]))
            for bucket in PAYMENT_BUCKETS
        ],
        average_days=(Decimal(totals["days"]) / totals["claims"]).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )
        if totals["claims"]
        else None,
    )


def percent(part: int | Decimal, whole: int | Decimal) -> Decimal:
    """``part`` per hundred of ``whole`` to one decimal, half up (0.0 of nothing)."""
    if not whole:
        return Decimal("0.0")
    return (Decimal(100) * Decimal(part) / Decimal(whole)).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )


def _answered_by_payer(period: Period, **sums: Aggregate) -> Iterable[Mapping[str, Any]]:
    """The claims of the period their payer has answered, a row per payer (its id and name)
    with ``sums`` over its claims."""
    return (
        Claim.objects.filter(period.condition(), status__in=ANSWERED)
        .order_by()
        .values("payer_id", "payer__name")
        .annotate(**sums)
    )


def _payer(row: Mapping[str, Any]) -> dict[str, Any]:
    """The payer of a row of `_answered_by_payer`, for a per-payer figure."""
    return {"payer_id": row["payer_id"], "payer": row["payer__name"] or "No coverage"}


@dataclass(frozen=True)
class PayerDenials:
    payer_id: int | None
    payer: str
    answered: int
    denied: int
    denied_charges: Decimal

    @property
    def rate(self) -> Decimal:
        """Denied claims per hundred answered, to one decimal."""
        return percent(self.denied, self.answered)


def denials_by_payer(period: Period) -> list[PayerDenials]:
    """Per payer: claims the payer answered in the period, and how many it denied."""
    denied = Q(status=Claim.Status.DENIED)
    rows = _answered_by_payer(
        period,
        answered=Count("id"),
        denied=Count("id", filter=denied),
        denied_charges=Sum("total_charge", filter=denied),
    )
    return sorted(
        (
            PayerDenials(
                **_payer(row),
                answered=row["answered"],
                denied=row["denied"],
                denied_charges=cents(row["denied_charges"]),
            )
            for row in rows
        ),
        key=lambda row: (-row.denied, row.payer),
    )


@dataclass(frozen=True)
class ReasonDenials:
    carc: str
    claims: int
    amount: Decimal


def denials_by_reason(period: Period) -> tuple[int, list[ReasonDenials]]:
    """The claims answered in the period (the rate's denominator), and per CARC the denied
    claims whose remittance gives that reason, with the amounts it adjusted. The adjustments
    carry their claim's date of service, so the period's come from an index range."""
    answered = Claim.objects.filter(period.condition(), status__in=ANSWERED).count()
    rows = (
        PaymentAdjustment.objects.filter(
            period.condition(), period.condition("claim__"), claim__status=Claim.Status.DENIED
        )
        .order_by()
        .values("reason")
        .annotate(claims=Count("claim_id", distinct=True), amount=Sum("amount"))
    )
    reasons = [ReasonDenials(row["reason"], row["claims"], cents(row["amount"])) for row in rows]
    return answered, sorted(reasons, key=lambda row: (-row.claims, row.carc))


def carc_condition(carc: str) -> Q:
    """Claims with an adjustment for ``carc`` on one of their payments (for the queue)."""
    return Q(Exists(PaymentAdjustment.objects.filter(claim=OuterRef("pk"), reason=carc)))


@dataclass(frozen=True)
class PayerYield:
    payer_id: int | None
    payer: str
    expected: Decimal
    allowed: Decimal
    paid: Decimal


def paid_against_expected(period: Period) -> list[PayerYield]:
    """Per payer, for the answered claims of the period: the fee schedule's expected
    allowed amount of their lines, against what the payer allowed and paid on them (the
    sums each claim keeps, `Claim.expected_allowed` and the 835 postings' totals)."""
    rows = _answered_by_payer(
        period,
        expected=Sum("expected_allowed"),
        allowed=Sum("allowed_amount"),
        paid=Sum("paid_amount"),
    )
    return sorted(
        (
            PayerYield(
                **_payer(row),
                expected=cents(row["expected"]),
                allowed=cents(row["allowed"]),
                paid=cents(row["paid"]),
            )
            for row in rows
        ),
        key=lambda row: row.payer,
    )
