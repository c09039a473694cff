"""The check that the totals the database keeps by status match the claims."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Sum

from billing.models import Claim
from billing.selectors import status_totals_query


def kept_totals() -> dict[str, tuple[int, int]]:
    """(claims, cents) by status as the triggers keep them, statuses with claims only."""
    rows = status_totals_query(Claim.Status.values)
    return {status: (count, cents) for status, count, cents in rows if count or cents}


def counted_totals() -> dict[str, tuple[int, int]]:
    """(claims, cents) by status, counted afresh from the claims."""
    rows = (
        Claim.objects.order_by()
        .values("status")
        .annotate(count=Count("*"), total=Sum("total_charge"))
        .values_list("status", "count", "total")
    )
    return {
        status: (count, int((Decimal(str(total)) * 100).to_integral_value()))
        for status, count, total in rows
    }


def assert_status_totals_exact() -> None:
    assert kept_totals() == counted_totals()
