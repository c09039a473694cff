"""Which rule of the engine a payer's denial touches, read from ``denial_rules.csv``.

A row matches an adjustment when its CARC is the row's and, where the row names them, the
denied line's procedure and one of its modifiers are the row's. The table is data: a biller
who learns a payer's habits adds a row, no code changes.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

TABLE = Path(__file__).with_name("denial_rules.csv")


@dataclass(frozen=True)
class DenialRule:
    carc: str
    procedure: str
    modifier: str
    rule: str
    why: str

    def matches(self, carc: str, procedure: str, modifiers: Iterable[str]) -> bool:
        return (
            self.carc == carc
            and (not self.procedure or self.procedure == procedure)
            and (not self.modifier or self.modifier in modifiers)
        )


@cache
def denial_rules() -> tuple[DenialRule, ...]:
    with TABLE.open(encoding="utf-8", newline="") as handle:
        return tuple(DenialRule(**row) for row in csv.DictReader(handle))


def rules_for(carc: str, procedure: str = "", modifiers: Iterable[str] = ()) -> list[DenialRule]:
    """The rules a denial for ``carc`` on a line (``procedure`` with ``modifiers``) touches;
    a claim-level adjustment (no line) matches only rows that name no procedure or modifier."""
    modifiers = tuple(modifiers)
    return [rule for rule in denial_rules() if rule.matches(carc, procedure, modifiers)]
