"""The code lists that turn X12 codes into words, kept as data rather than literals.

Each list is a CSV file ``data/<name>.csv`` with the columns ``code`` and
``description``: a subset of the published list with its published wording. The
readers return codes only; `describe` turns a code into words with whatever mapping it
is given, so the same call works with these files or with tables an administrator
edits.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from importlib import resources
from types import MappingProxyType

# name -> what the list is and where its codes appear.
CODE_LISTS: Mapping[str, str] = MappingProxyType(
    {
        "carc": "Claim adjustment reason codes (CAS02, CAS05, ...; X12 code source 139)",
        "rarc": "Remittance advice remark codes (LQ02, MOA03-07, MIA; code source 411)",
        "claim_status_category": "Claim status category codes (STC01-1; code source 507)",
        "claim_status": "Claim status codes (STC01-2; code source 508)",
        "entity_identifier": "Entity identifier codes (STC01-3)",
        "adjustment_group": "Claim adjustment group codes (CAS01)",
        "claim_payment_status": "Claim status codes of the 835 (CLP02)",
        "provider_adjustment_reason": "Provider adjustment reason codes (PLB03-1)",
        "acknowledgment_code": "Acknowledgment codes of the 999 (IK501, AK901)",
        "segment_error": "Segment syntax error codes of the 999 (IK304)",
        "element_error": "Element syntax error codes of the 999 (IK403)",
        "transaction_set_error": "Transaction set syntax error codes of the 999 (IK502-IK506)",
        "group_error": "Functional group syntax error codes of the 999 (AK905-AK909)",
    }
)


def read_code_list(name: str) -> dict[str, str]:
    """The shipped list ``name`` (one of `CODE_LISTS`) as a code -> description dict."""
    if name not in CODE_LISTS:
        raise KeyError(f"no code list named {name!r}")
    text = (resources.files(__package__) / "data" / f"{name}.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(io.StringIO(text))
    return {row["code"]: row["description"] for row in rows}


def describe(code: str, meanings: Mapping[str, str]) -> str:
    """The words for ``code``, or a sentence saying the list does not hold it."""
    meaning = meanings.get(code)
    if meaning:
        return meaning
    return f"code {code} is not in the code list"
