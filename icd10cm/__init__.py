"""ICD-10-CM code checks: is a code billable, what does it describe, is it a malignancy.

Pure Python with no dependencies, shared by the documentation forms and the billing engine.
The answers come from `codes.tsv` beside this file, generated from simple-icd-10-cm by
`tools/build_icd10_table.py`; it is read on the first lookup, never on import.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

__all__ = ["describe", "is_billable", "is_malignancy", "is_valid", "normalize"]

TABLE = "codes.tsv"

_MALIGNANCY = re.compile(r"^(C(0\d|[1-8]\d|9[0-6]|4A|7A|7B)|D0\d)")


def normalize(code: str) -> str:
    """Upper-case, trimmed, dotted form ("c189 " -> "C18.9"); does not validate."""
    raw = code.strip().upper().replace(".", "")
    if len(raw) > 3:
        return f"{raw[:3]}.{raw[3:]}"
    return raw


def is_valid(code: str) -> bool:
    """True for an ICD-10-CM code (category or subcategory), billable or not."""
    return normalize(code) in _codes()


@lru_cache(maxsize=4096)
def is_billable(code: str) -> bool:
    """True for a code with nothing more specific under it (a leaf, not a chapter or block)."""
    return _codes().get(normalize(code)) is not None


def is_malignancy(code: str) -> bool:
    """C00-C96 (C4A, C7A, C7B included) and D00-D09, for a billable code only."""
    dotted = normalize(code)
    return bool(_MALIGNANCY.match(dotted)) and is_billable(dotted)


def describe(code: str) -> str:
    """The description of a billable code; "" for anything else."""
    return _codes().get(normalize(code)) or ""


@cache
def _codes() -> dict[str, str | None]:
    """Every code: its description when billable, None when it is not."""
    from importlib.resources import files

    text = files(__package__).joinpath(TABLE).read_text(encoding="utf-8")
    codes: dict[str, str | None] = {}
    for line in text.split("\n"):
        if not line or line.startswith("#"):
            continue
        code, tab, description = line.partition("\t")
        codes[code] = description if tab else None
    return codes
