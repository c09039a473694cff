"""ICD-10-CM code checks: is a code billable, what does it describe, is it a malignancy.

Pure Python with no dependencies, shared by the documentation forms and the billing engine.
The answers come from `codes.tsv` beside this file, generated from simple-icd-10-cm by
`tools/build_icd10_table.py`; it is read on the first lookup, never on import.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from functools import cache, lru_cache

__all__ = ["describe", "is_billable", "is_malignancy", "is_valid", "normalize"]

TABLE = "codes.tsv"

_MALIGNANCY = re.compile(r"(?:C(?:0[0-9]|[1-8][0-9]|9[0-6]|4A|7A|7B)|D0[0-9])")


def normalize(code: str) -> str:
    """Upper-case, trimmed, dotted form ("c189 " -> "C18.9"); does not validate."""
    raw = code.strip().upper().replace(".", "")
    if len(raw) > 3:
        return f"{raw[:3]}.{raw[3:]}"
    return raw


def is_valid(code: str) -> bool:
    """True for an ICD-10-CM code (category or subcategory), billable or not."""
    return _line(normalize(code)) is not None


@lru_cache(maxsize=4096)
def is_billable(code: str) -> bool:
    """True for a code with nothing more specific under it (a leaf, not a chapter or block)."""
    line = _line(normalize(code))
    return line is not None and "\t" in line


def is_malignancy(code: str) -> bool:
    """C00-C96 (C4A, C7A, C7B included) and D00-D09, for a billable code only."""
    dotted = normalize(code)
    return _MALIGNANCY.match(dotted) is not None and is_billable(dotted)


def describe(code: str) -> str:
    """The description of a billable code; "" for anything else."""
    line = _line(normalize(code))
    return "" if line is None else line.partition("\t")[2]


def _line(code: str) -> str | None:
    """The code's line of the table: "CODE" when not billable, "CODE<TAB>description" when
    billable; None when it is not a code. The lines are in sorted order, so a code's line is
    the first at or after the code itself (a tab sorts before any character of a code)."""
    if not code or "\t" in code:
        return None
    lines = _lines()
    found = bisect_left(lines, code)
    if found < len(lines):
        line = lines[found]
        if line == code or line.startswith(f"{code}\t"):
            return line
    return None


@cache
def _lines() -> list[str]:
    """The table's lines, read once (splitting the text costs less than building a dict)."""
    from importlib.resources import files

    text = files(__package__).joinpath(TABLE).read_text(encoding="utf-8")
    return [line for line in text.split("\n") if line and not line.startswith("#")]
