"""Dated rows are in force from `effective_from` to `effective_to` inclusive: one rule, in SQL
(`effective_on`, `effective_between`) and for rows already loaded (`is_effective_on`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from billing.models import ChargeMasterItem, is_effective_on

JAN = dt.date(2026, 1, 1)


@pytest.fixture
def items(db):
    return {
        "closed": ChargeMasterItem.objects.create(
            code="96521",
            description="refill",
            charge=Decimal("170.00"),
            effective_from=JAN,
            effective_to=dt.date(2026, 1, 31),
        ),
        "open": ChargeMasterItem.objects.create(
            code="96521",
            description="refill",
            charge=Decimal("175.00"),
            effective_from=dt.date(2026, 2, 1),
        ),
    }


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2025, 12, 31), set()),
        (JAN, {"closed"}),
        (dt.date(2026, 1, 31), {"closed"}),
        (dt.date(2026, 2, 1), {"open"}),
        (dt.date(2030, 6, 1), {"open"}),
    ],
)
def test_in_force_on_a_day_in_sql_and_in_python(items, day, expected):
    in_sql = set(ChargeMasterItem.objects.effective_on(day).values_list("pk", flat=True))
    in_python = {key for key, item in items.items() if is_effective_on(item, day)}

    assert in_sql == {items[key].pk for key in expected}
    assert in_python == expected


def test_in_force_on_any_day_of_a_period(items):
    between = ChargeMasterItem.objects.effective_between(dt.date(2026, 1, 20), dt.date(2026, 2, 3))

    assert set(between.values_list("pk", flat=True)) == {items["closed"].pk, items["open"].pk}
