"""ICD-10-CM code checks shared by the documentation forms and the billing engine.

Pure Python (no Django), so the billing engine can use it and stay free of the ORM.
"""

from __future__ import annotations

import re
import warnings
from functools import lru_cache

with warnings.catch_warnings():
    # The library warns about its own deprecated API on import; nothing we call is affected.
    warnings.simplefilter("ignore", DeprecationWarning)
    import simple_icd_10_cm as _cm

_MALIGNANCY = re.compile(r"^(C(0\d|[1-8]\d|9[0-6]|4A|7A|7B)|D0\d)")


def normalize(code: str) -> str:
    """Upper-case, trimmed, dotted form ("c189 " -> "C18.9"); does not validate."""
    raw = code.strip().upper().replace(".", "")
    if len(raw) > 3:
        return f"{raw[:3]}.{raw[3:]}"
    return raw


@lru_cache(maxsize=4096)
def is_billable(code: str) -> bool:
    """True for a valid ICD-10-CM leaf code (not a chapter, block or parent category)."""
    dotted = normalize(code)
    if not dotted or not _cm.is_valid_item(dotted):
        return False
    if _cm.is_chapter_or_block(dotted):
        return False
    return bool(_cm.is_leaf(dotted))


def is_malignancy(code: str) -> bool:
    """C00-C96 (C4A, C7A, C7B included) and D00-D09, for a billable code only."""
    dotted = normalize(code)
    return bool(_MALIGNANCY.match(dotted)) and is_billable(dotted)


def describe(code: str) -> str:
    dotted = normalize(code)
    if not is_billable(dotted):
        return ""
    return _cm.get_description(dotted)
