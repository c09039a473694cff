"""The hand-written 999, 277CA and 835 files under tests/fixtures/x12, filled in.

The templates answer claims the app exported: the claim numbers (CLM01, returned as
TRN02 and CLP01) and the exported interchange's control numbers are placeholders such
as ``{claim_1}`` or ``{gs_control}``, so a test can export real claims and answer
them. `fill` is pure: a template name and the values in, the file's bytes out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures" / "x12"

_PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")
# A value may hold no separator (* : ^ ~), no braces and no line break.
_VALUE = re.compile(r"[A-Za-z0-9 .\-]{1,30}")

# What each placeholder stands for, in the exported 837P it answers.
MEANINGS = {
    "gs_control": "GS06 of the exported 837P (the 999 answers it in AK102)",
    "st_control": "ST02 of the exported 837P (the 999 answers it in AK202)",
    "bht_reference": "BHT03 of the exported 837P (the 277CA answers it in the 2200B TRN02)",
    "claim_1": "CLM01 of the first claim (TRN02 in 2200D, CLP01, CTX CLM01)",
    "claim_2": "CLM01 of the second claim",
    "claim_3": "CLM01 of the third claim",
}

# Values the tests of the readers use; any others of the same shape do as well.
EXAMPLE_VALUES = {
    "gs_control": "7",
    "st_control": "0001",
    "bht_reference": "000000042",
    "claim_1": "C00000011",
    "claim_2": "C00000012",
    "claim_3": "C00000013",
}

TEMPLATES = (
    "999_accepted",
    "999_rejected",
    "277ca_accepted_and_rejected",
    "277ca_provider_rejected",
    "835_full_payment",
    "835_partial_pr1_pr2",
    "835_denial_co4",
    "835_bundling_co97",
    "835_reversal_correction",
    "835_plb_adjustment",
)


def template(name: str) -> str:
    """The raw template ``name`` (``"835_full_payment"``, ``"broken/835_truncated"``)."""
    path = (FIXTURES / f"{name}.x12").resolve()
    if path.parent != FIXTURES.resolve() and path.parent.parent != FIXTURES.resolve():
        raise ValueError(f"no fixture named {name!r}")
    return path.read_text(encoding="ascii")


def placeholders(name: str) -> frozenset[str]:
    """The placeholders template ``name`` needs."""
    return frozenset(_PLACEHOLDER.findall(template(name)))


def fill(name: str, values: Mapping[str, str]) -> bytes:
    """Template ``name`` with each ``{placeholder}`` replaced by ``values[placeholder]``.

    Every placeholder the template uses must be given; values it does not use are
    ignored, so one mapping can serve several templates.
    """
    text = template(name)
    missing = sorted(set(_PLACEHOLDER.findall(text)) - set(values))
    if missing:
        raise KeyError(f"{name} needs values for {', '.join(missing)}")
    for key in set(_PLACEHOLDER.findall(text)):
        if not isinstance(values[key], str) or not _VALUE.fullmatch(values[key]):
            raise ValueError(f"{key}={values[key]!r} is not a plain X12 identifier")
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], text).encode("ascii")
