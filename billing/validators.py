"""Checks on what billers and admins type that a payer will read: member IDs, EINs, addresses."""

from __future__ import annotations

import re
from typing import Protocol

from django.core.exceptions import ValidationError
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.us import ein

from billing.x12.elements import is_po_box

__all__ = [
    "is_po_box",
    "mbi_is_valid",
    "normalize_identifier",
    "normalize_mbi",
    "validate_group_number",
    "validate_mbi",
    "validate_member_id",
]

# The Medicare Beneficiary Identifier (CMS, "MBI format specifications"): 11 characters,
# C A AN N A AN N A A N N, where N is a digit (1-9 in the first position), A a letter other
# than S, L, O, I, B and Z, and AN either.
_MBI_LETTER = "ACDEFGHJKMNPQRTUVWXY"
_MBI = re.compile(
    "[1-9]"
    f"[{_MBI_LETTER}]"
    f"[{_MBI_LETTER}0-9]"
    "[0-9]"
    f"[{_MBI_LETTER}]"
    f"[{_MBI_LETTER}0-9]"
    "[0-9]"
    f"[{_MBI_LETTER}]"
    f"[{_MBI_LETTER}]"
    "[0-9]"
    "[0-9]"
)
# What the 837P carries for a member or group ID without a clearinghouse refusing it:
# upper-case letters, digits and inner hyphens (never a separator such as * : ^ ~).
_MEMBER_ID = re.compile(r"[A-Z0-9](?:[A-Z0-9-]*[A-Z0-9])?")


def validate_ein(value: str) -> None:
    try:
        ein.validate(value)
    except StdnumError as exc:
        raise ValidationError(
            "%(value)s is not a valid employer identification number (EIN).",
            code="ein",
            params={"value": value},
        ) from exc


def normalize_identifier(value: str) -> str:
    """A member or group ID as stored: upper case, without the spaces typed in it."""
    return "".join(value.split()).upper()


def normalize_mbi(value: str) -> str:
    """An MBI as stored: the dashes printed on the card go (``1eg4-te5-mk73`` is
    ``1EG4TE5MK73``)."""
    return normalize_identifier(value).replace("-", "")


def mbi_is_valid(value: str) -> bool:
    return _MBI.fullmatch(value) is not None


def validate_mbi(value: str) -> None:
    if not mbi_is_valid(value):
        raise ValidationError(
            "A Medicare member ID is the 11-character MBI on the Medicare card, for example "
            "1EG4TE5MK73 (no S, L, O, I, B or Z).",
            code="mbi",
        )


class Validator(Protocol):
    """A field's check: returns, or raises ValidationError."""

    def __call__(self, value: str) -> None: ...


def _identifier_validator(shortest: int, message: str, code: str) -> Validator:
    """A check that a member or group ID is ``shortest`` to 30 characters the 837P carries."""

    def validate(value: str) -> None:
        if not (shortest <= len(value) <= 30 and _MEMBER_ID.fullmatch(value)):
            raise ValidationError(message, code=code)

    return validate


validate_member_id = _identifier_validator(
    2,
    "Use the ID as on the insurance card: 2 to 30 letters and digits (hyphens between them "
    "are kept); no spaces or other characters.",
    "member_id",
)
validate_group_number = _identifier_validator(
    1,
    "Use the group number as on the insurance card: letters and digits (hyphens between "
    "them are kept); no spaces or other characters.",
    "group_number",
)
