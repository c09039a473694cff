"""Money: a Decimal to the cent, rounded half up, in one place.

Amounts are never floats. Charges and payments arrive in whole cents and sums of cents are
exact; ``money`` makes an amount a stored or shown value and says how it would round.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENTS = Decimal("0.01")
ZERO = Decimal("0.00")


def money(value: Decimal | int | str | None) -> Decimal:
    """``value`` to the cent, half up; None (an empty sum in SQL) is zero."""
    if isinstance(value, float):
        raise TypeError("money is never a float")
    return Decimal(ZERO if value is None else value).quantize(CENTS, rounding=ROUND_HALF_UP)
