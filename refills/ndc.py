"""National Drug Codes as nurses type or scan them, stored as the 11-digit 5-4-2 form.

A label prints a 10-digit NDC in one of three layouts (4-4-2, 5-3-2, 5-4-1); claims carry
11 digits, the short segment padded with a leading zero. With the hyphens the layout is
known; without them ten digits can be read three ways, and only the practice's stock can
tell which one is meant. A scanner reading the package's linear barcode (UPC-A) sends
"3", the ten digits and a check digit.

The drug catalogue (which NDCs the practice stocks) is billing's; ``refills`` must not import
``billing``, so billing registers its lookup here when it starts (``register_stock``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Collection

from django.core.exceptions import ValidationError

_ELEVEN = re.compile(r"[0-9]{11}")
_TEN = re.compile(r"[0-9]{10}")
_UPC_A = re.compile(r"3[0-9]{11}")
_HYPHENATED = re.compile(r"([0-9]+)-([0-9]+)-([0-9]+)")
# Segment lengths of the label layouts and where each pads its zero (labeler, product,
# package), to reach 5-4-2.
_LAYOUTS = {(4, 4, 2): 0, (5, 3, 2): 1, (5, 4, 1): 2, (5, 4, 2): None}
EXAMPLE = "63323-117-10"


class NDCError(ValueError):
    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def _pad(segments: tuple[str, str, str]) -> str:
    padded = list(segments)
    where = _LAYOUTS[(len(segments[0]), len(segments[1]), len(segments[2]))]
    if where is not None:
        padded[where] = "0" + padded[where]
    return "".join(padded)


def readings_of_ten(digits: str) -> list[str]:
    """The three 11-digit NDCs ten unhyphenated digits could stand for, in layout order."""
    return [
        _pad((digits[:4], digits[4:8], digits[8:])),
        _pad((digits[:5], digits[5:8], digits[8:])),
        _pad((digits[:5], digits[5:9], digits[9:])),
    ]


def _upc_check_ok(digits: str) -> bool:
    odd = sum(int(d) for d in digits[0:11:2])
    even = sum(int(d) for d in digits[1:11:2])
    return (odd * 3 + even + int(digits[11])) % 10 == 0


def normalize(text: str, *, stocked: Collection[str] = ()) -> str:
    """The 11-digit NDC for what was typed or scanned; raises ``NDCError`` saying what to type.

    ``stocked`` (11-digit NDCs) settles ten digits typed or scanned without hyphens: they are
    accepted when exactly one of their readings is stocked.
    """
    value = text.strip()
    if _ELEVEN.fullmatch(value):
        return value
    match = _HYPHENATED.fullmatch(value)
    if match:
        segments = (match[1], match[2], match[3])
        if tuple(len(s) for s in segments) not in _LAYOUTS:
            raise NDCError(
                f"An NDC on a label is 4-4-2, 5-3-2 or 5-4-1 digits (for example {EXAMPLE}), "
                "or 5-4-2 as on a claim.",
                code="ndc_layout",
            )
        return _pad(segments)
    if _UPC_A.fullmatch(value):
        if not _upc_check_ok(value):
            raise NDCError(
                "This barcode did not scan correctly (its check digit is wrong): scan it "
                "again or type the NDC from the label.",
                code="ndc_barcode",
            )
        value = value[1:11]
    if _TEN.fullmatch(value):
        matches = [ndc for ndc in readings_of_ten(value) if ndc in stocked]
        if len(matches) == 1:
            return matches[0]
        raise NDCError(
            f"Ten digits without hyphens can be read three ways: type the NDC with its "
            f"hyphens as printed on the label (for example {EXAMPLE}).",
            code="ndc_ambiguous",
        )
    raise NDCError(
        f"Type the NDC as printed on the label, with its hyphens (for example {EXAMPLE}), "
        "or the 11 digits of the claim form.",
        code="ndc_format",
    )


def formatted(ndc: str) -> str:
    """An 11-digit NDC as 5-4-2 with hyphens, for display."""
    return f"{ndc[:5]}-{ndc[5:9]}-{ndc[9:]}" if _ELEVEN.fullmatch(ndc) else ndc


def validate_ndc11(value: str) -> None:
    """Model-level check: what is stored is exactly 11 ASCII digits."""
    if not _ELEVEN.fullmatch(value):
        raise ValidationError(
            "An NDC is stored as 11 digits (5-4-2 without hyphens).", code="ndc11"
        )


# The stocked NDCs in force on a day (None: any day), as 11-digit strings.
StockLookup = Callable[[dt.date | None], Collection[str]]


def _no_stock(day: dt.date | None) -> Collection[str]:
    return ()


_stock_lookup: list[StockLookup] = [_no_stock]


def register_stock(lookup: StockLookup) -> None:
    _stock_lookup[0] = lookup


def stocked(day: dt.date | None = None) -> Collection[str]:
    return _stock_lookup[0](day)
