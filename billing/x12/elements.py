"""X12 elements: the character set, the code lists and the checks every value passes."""

from __future__ import annotations

import functools
import re
import string
import unicodedata
from datetime import date, datetime
from decimal import Decimal

from anyascii import anyascii
from stdnum import luhn

IMPLEMENTATION_GUIDE = "005010X222A1"
TRANSACTION_SET_CONTROL_NUMBER = "0001"
MAX_DIAGNOSES = 12
MAX_LINES = 50
MAX_MODIFIERS = 4
MAX_POINTERS = 4
MAX_CLAIMS = 5000
MAX_CLAIM_ID_LENGTH = 20
NDC_UNITS = frozenset({"F2", "GR", "ME", "ML", "UN"})
PATIENT_RELATIONSHIPS = frozenset({"01", "19", "20", "21", "39", "40", "53", "G8"})
# USPS codes of the states, DC, the territories and the military "states".
US_STATE_CODES = frozenset(
    {
        "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL",
        "IN", "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE",
        "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD",
        "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY",
        "AS", "FM", "GU", "MH", "MP", "PR", "PW", "VI",
        "AA", "AE", "AP",
    }
)  # fmt: skip
CLAIM_FILING_INDICATORS = frozenset(
    {
        "11", "12", "13", "14", "15", "16", "17", "AM", "BL", "CH", "CI", "DS", "FI",
        "HM", "LM", "MA", "MB", "MC", "OF", "TV", "VA", "WC", "ZZ",
    }
)  # fmt: skip

# A PO box ("PO Box 12", "P.O. Box", "Post Office Box", "Lockbox 7"): the billing provider's
# address (2010AA) may not be one; payment to a box goes to the pay-to address (2010AB).
_PO_BOX = re.compile(
    r"\b(?:P\.?\s*O\.?\s*B(?:OX)?|POST\s+OFFICE\s+BOX|POSTAL\s+BOX|LOCK\s*BOX|BOX)\b\.?\s*#?\s*\d",
    re.IGNORECASE,
)


def is_po_box(address_line: str) -> bool:
    return _PO_BOX.search(address_line) is not None


# The X12 basic character set; lower case and the extended set are not assumed to be
# accepted by every clearinghouse.
_BASIC_CHARACTERS = frozenset(string.ascii_uppercase + string.digits + "!\"&'()*+,-./:;?= ")

ICD10_FORMAT = re.compile(r"[A-Z][0-9][0-9A-Z](?:\.?[0-9A-Z]{1,4})?")
PROCEDURE_FORMAT = re.compile(r"[A-Z0-9]{5}")
MODIFIER_FORMAT = re.compile(r"[A-Z0-9]{2}")
PLACE_OF_SERVICE_FORMAT = re.compile(r"[0-9]{2}")
NPI_FORMAT = re.compile(r"[12][0-9]{9}")
TAXONOMY_FORMAT = re.compile(r"[0-9]{3}[0-9A-Z]{6}X")
POSTAL_CODE_FORMAT = re.compile(r"[0-9]{5}(?:-?[0-9]{4})?")
NDC_FORMAT = re.compile(r"[0-9]{11}")
EIN_FORMAT = re.compile(r"[0-9]{9}")
_AMOUNT_LIMIT = Decimal(10) ** 10
# The smallest step of an amount with 0 to 3 decimal places.
_QUANTUM = {places: Decimal(1).scaleb(-places) for places in range(4)}

# Maximum lengths of the free-text elements (names, addresses) in 005010X222A1.
ORGANIZATION_NAME_LENGTH = 60
LAST_NAME_LENGTH = 60
FIRST_NAME_LENGTH = 35
ADDRESS_LINE_LENGTH = 55
CITY_LENGTH = 30
CONTACT_NAME_LENGTH = 60


class X12Error(ValueError):
    """Input that cannot be written as a valid 837P.

    ``what`` names the value refused ("subscriber member id", "state code"), so that a
    caller can say which field to correct without repeating the value itself.
    """

    def __init__(self, message: str, *, what: str | None = None) -> None:
        super().__init__(message)
        self.what = what


def clean_element(value: str, reserved: str = "") -> str:
    """Return `value` as upper-case X12 basic-character-set text.

    Letters outside ASCII are transliterated (anyascii: Østergaard is OSTERGAARD, Łucja
    LUCJA, 王 WANG), every character outside the basic set and every character of
    `reserved` (the separators in use) becomes a space, and runs of spaces collapse to
    one, so no separator can reach the file inside data.
    """
    if not value.isascii():
        value = "".join(map(_transliterated, value))
    return " ".join(value.translate(_kept_characters(reserved)).split())


@functools.cache
def _transliterated(char: str) -> str:
    """One character in ASCII: letters and digits transliterated, combining marks (accents
    written apart) dropped, anything else (a symbol, an emoji) a space."""
    if char.isascii():
        return char
    kind = unicodedata.category(char)[0]
    if kind in "LN":
        return anyascii(char)
    return "" if kind == "M" else " "


@functools.cache
def _kept_characters(reserved: str) -> dict[int, str]:
    """A `str.translate` table for ASCII: each character's upper case when it is a kept
    basic character, else a space."""
    table = {}
    for code in range(128):
        char = chr(code).upper()
        table[code] = char if char in _BASIC_CHARACTERS and char not in reserved else " "
    return table


def check_text(value: object, what: str) -> None:
    if not (isinstance(value, str) and value.strip() != ""):
        raise X12Error(f"{what} must be a non-empty string", what=what)


def check_identifier(value: object, what: str, min_length: int, max_length: int) -> None:
    """An identifier is written exactly as given, so it must already be clean X12 text."""
    if not isinstance(value, str):
        raise X12Error(f"{what} must be a string, got {value!r}", what=what)
    if not (min_length <= len(value) <= max_length):
        raise X12Error(
            f"{what} must be {min_length} to {max_length} characters, got {value!r}", what=what
        )
    if clean_element(value) != value:
        raise X12Error(
            f"{what} {value!r} may hold only upper-case letters, digits, single inner spaces "
            "and the X12 basic special characters",
            what=what,
        )


def check_match(pattern: re.Pattern[str], value: object, what: str) -> None:
    if not (isinstance(value, str) and pattern.fullmatch(value) is not None):
        raise X12Error(f"{what} is not valid: {value!r}", what=what)


def check_npi(value: object, what: str) -> None:
    if not (
        isinstance(value, str)
        and NPI_FORMAT.fullmatch(value) is not None
        and luhn.is_valid("80840" + value)
    ):
        raise X12Error(f"{what} is not a valid NPI: {value!r}", what=what)


def check_date(value: object, what: str) -> None:
    if not (isinstance(value, date) and not isinstance(value, datetime)):
        raise X12Error(f"{what} must be a date, got {value!r}", what=what)


def check_sex(value: object, what: str) -> None:
    if value not in ("M", "F", "U"):
        raise X12Error(f"{what} must be 'M', 'F' or 'U', got {value!r}", what=what)


def phone_digits(value: str) -> str:
    return "".join(char for char in value if char.isdigit())


def check_phone(value: object, what: str) -> None:
    if not (
        isinstance(value, str)
        and set(value) <= set(string.digits + " ()-.")
        and len(phone_digits(value)) == 10
    ):
        raise X12Error(f"{what} must be a 10-digit phone number, got {value!r}", what=what)


def check_amount(value: object, what: str, places: int) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise X12Error(f"{what} must be a finite Decimal, got {value!r}", what=what)
    # Bounded first, so that the remainder below and format_decimal stay exact.
    if abs(value) >= _AMOUNT_LIMIT:
        raise X12Error(f"{what} is too large: {value}", what=what)
    if value % _QUANTUM[places] != 0:
        raise X12Error(f"{what} may have at most {places} decimal places, got {value}", what=what)
    return value


def format_decimal(value: Decimal) -> str:
    """Format an amount or quantity without trailing zeros: 175, 175.5, 175.25."""
    text = format(value.normalize(), "f")
    return "0" if text == "-0" else text
