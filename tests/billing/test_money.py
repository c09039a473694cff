"""The one rounding of money: to the cent, half up, never from a float."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing.money import money


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("175"), Decimal("175.00")),
        (Decimal("0.005"), Decimal("0.01")),
        (Decimal("0.0049"), Decimal("0.00")),
        (Decimal("-0.005"), Decimal("-0.01")),
        (Decimal("2.675"), Decimal("2.68")),
        ("45.5", Decimal("45.50")),
        (3, Decimal("3.00")),
        (None, Decimal("0.00")),
    ],
)
def test_money_rounds_half_up_to_the_cent(value, expected):
    rounded = money(value)

    assert rounded == expected
    assert rounded.as_tuple().exponent == -2


def test_money_refuses_a_float():
    with pytest.raises(TypeError, match="never a float"):
        money(2.675)
