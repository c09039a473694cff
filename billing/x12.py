"""X12 837P (005010X222A1) professional claim writer.

Pure Python: it knows nothing of Django, takes frozen dataclasses and streams segments
to a text file. Every value object checks itself when it is built; what depends on the
separators in use (a name that cleans to nothing, an identifier holding a separator) is
checked while writing.

If `write_837p` raises `X12Error`, what was already written to `out` is not a valid
interchange and must be discarded.
"""

from __future__ import annotations

import functools
import re
import string
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from io import StringIO
from itertools import chain
from typing import Literal, TextIO

from stdnum import luhn
from stdnum.us import ein

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

# The X12 basic character set; lower case and the extended set are not assumed to be
# accepted by every clearinghouse.
_BASIC_CHARACTERS = frozenset(string.ascii_uppercase + string.digits + "!\"&'()*+,-./:;?= ")

_ICD10 = re.compile(r"[A-Z][0-9][0-9A-Z](?:\.?[0-9A-Z]{1,4})?")
_PROCEDURE = re.compile(r"[A-Z0-9]{5}")
_MODIFIER = re.compile(r"[A-Z0-9]{2}")
_PLACE_OF_SERVICE = re.compile(r"[0-9]{2}")
_NPI = re.compile(r"[12][0-9]{9}")
_TAXONOMY = re.compile(r"[0-9]{3}[0-9A-Z]{6}X")
_POSTAL_CODE = re.compile(r"[0-9]{5}(?:-?[0-9]{4})?")
_NDC = re.compile(r"[0-9]{11}")
_EIN = re.compile(r"[0-9]{9}")
_AMOUNT_LIMIT = Decimal(10) ** 10
# The smallest step of an amount with 0 to 3 decimal places.
_QUANTUM = {places: Decimal(1).scaleb(-places) for places in range(4)}

# Maximum lengths of the free-text elements (names, addresses) in 005010X222A1.
_ORGANIZATION_NAME = 60
_LAST_NAME = 60
_FIRST_NAME = 35
_ADDRESS_LINE = 55
_CITY = 30
_CONTACT_NAME = 60


class X12Error(ValueError):
    """Input that cannot be written as a valid 837P."""


def clean_element(value: str, reserved: str = "") -> str:
    """Return `value` as upper-case X12 basic-character-set text.

    Accents are stripped (NFKD), every character outside the basic set and every
    character of `reserved` (the separators in use) becomes a space, and runs of
    spaces collapse to one, so no separator can reach the file inside data.
    """
    if not value.isascii():
        # NFKD splits accents off as combining marks; what is still not ASCII is outside
        # the basic set.
        value = "".join(
            char if char.isascii() else " "
            for char in unicodedata.normalize("NFKD", value).upper()
            if not unicodedata.combining(char)
        )
    return " ".join(value.translate(_kept_characters(reserved)).split())


@functools.cache
def _kept_characters(reserved: str) -> dict[int, str]:
    """A `str.translate` table for ASCII: each character's upper case when it is a kept
    basic character, else a space."""
    table = {}
    for code in range(128):
        char = chr(code).upper()
        table[code] = char if char in _BASIC_CHARACTERS and char not in reserved else " "
    return table


def _check_text(value: object, what: str) -> None:
    if not (isinstance(value, str) and value.strip() != ""):
        raise X12Error(f"{what} must be a non-empty string")


def _check_identifier(value: object, what: str, min_length: int, max_length: int) -> None:
    """An identifier is written exactly as given, so it must already be clean X12 text."""
    if not isinstance(value, str):
        raise X12Error(f"{what} must be a string, got {value!r}")
    if not (min_length <= len(value) <= max_length):
        raise X12Error(f"{what} must be {min_length} to {max_length} characters, got {value!r}")
    if clean_element(value) != value:
        raise X12Error(
            f"{what} {value!r} may hold only upper-case letters, digits, single inner spaces "
            "and the X12 basic special characters"
        )


def _check_match(pattern: re.Pattern[str], value: object, what: str) -> None:
    if not (isinstance(value, str) and pattern.fullmatch(value) is not None):
        raise X12Error(f"{what} is not valid: {value!r}")


def _check_npi(value: object, what: str) -> None:
    if not (
        isinstance(value, str)
        and _NPI.fullmatch(value) is not None
        and luhn.is_valid("80840" + value)
    ):
        raise X12Error(f"{what} is not a valid NPI: {value!r}")


def _check_date(value: object, what: str) -> None:
    if not (isinstance(value, date) and not isinstance(value, datetime)):
        raise X12Error(f"{what} must be a date, got {value!r}")


def _check_sex(value: object, what: str) -> None:
    if value not in ("M", "F", "U"):
        raise X12Error(f"{what} must be 'M', 'F' or 'U', got {value!r}")


def _phone_digits(value: str) -> str:
    return "".join(char for char in value if char.isdigit())


def _check_phone(value: object, what: str) -> None:
    if not (
        isinstance(value, str)
        and set(value) <= set(string.digits + " ()-.")
        and len(_phone_digits(value)) == 10
    ):
        raise X12Error(f"{what} must be a 10-digit phone number, got {value!r}")


def _check_amount(value: object, what: str, places: int) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise X12Error(f"{what} must be a finite Decimal, got {value!r}")
    # Bounded first, so that the remainder below and format_decimal stay exact.
    if abs(value) >= _AMOUNT_LIMIT:
        raise X12Error(f"{what} is too large: {value}")
    if value % _QUANTUM[places] != 0:
        raise X12Error(f"{what} may have at most {places} decimal places, got {value}")
    return value


def format_decimal(value: Decimal) -> str:
    """Format an amount or quantity without trailing zeros: 175, 175.5, 175.25."""
    text = format(value.normalize(), "f")
    return "0" if text == "-0" else text


@dataclass(frozen=True, kw_only=True, slots=True)
class Separators:
    element: str = "*"
    sub_element: str = ":"
    segment: str = "~"
    repetition: str = "^"

    def __post_init__(self) -> None:
        chosen = (self.element, self.sub_element, self.segment, self.repetition)
        if not all(isinstance(char, str) and len(char) == 1 for char in chosen):
            raise X12Error(f"each separator must be one character, got {chosen!r}")
        if len(set(chosen)) != 4:
            raise X12Error(f"the four separators must differ, got {chosen!r}")
        # '.' is the decimal mark of every amount, so it can never be a separator.
        if not all(char in string.punctuation and char != "." for char in chosen):
            raise X12Error(f"separators must be ASCII punctuation other than '.', got {chosen!r}")

    @property
    def reserved(self) -> str:
        return self.element + self.sub_element + self.segment + self.repetition


@dataclass(frozen=True, kw_only=True, slots=True)
class Address:
    line1: str
    line2: str | None = None
    city: str
    state: str
    postal_code: str

    def __post_init__(self) -> None:
        _check_text(self.line1, "address line 1")
        if not (self.line2 is None or isinstance(self.line2, str)):
            raise X12Error("address line 2 must be text")
        _check_text(self.city, "city")
        if self.state not in US_STATE_CODES:
            raise X12Error(f"state code must be a USPS state or territory code, got {self.state!r}")
        _check_match(_POSTAL_CODE, self.postal_code, "postal code")

    @property
    def postal_digits(self) -> str:
        return self.postal_code.replace("-", "")


@dataclass(frozen=True, kw_only=True, slots=True)
class Submitter:
    name: str
    id: str
    contact_name: str
    contact_phone: str

    def __post_init__(self) -> None:
        _check_text(self.name, "submitter name")
        _check_identifier(self.id, "submitter id", 2, 80)
        _check_text(self.contact_name, "submitter contact name")
        _check_phone(self.contact_phone, "submitter contact phone")


@dataclass(frozen=True, kw_only=True, slots=True)
class Receiver:
    name: str
    id: str

    def __post_init__(self) -> None:
        _check_text(self.name, "receiver name")
        _check_identifier(self.id, "receiver id", 2, 80)


@dataclass(frozen=True, kw_only=True, slots=True)
class BillingProvider:
    name: str
    npi: str
    tax_id: str
    taxonomy: str
    address: Address
    contact_name: str | None = None
    contact_phone: str | None = None

    def __post_init__(self) -> None:
        _check_text(self.name, "billing provider name")
        _check_npi(self.npi, "billing provider NPI")
        if not (
            isinstance(self.tax_id, str)
            and _EIN.fullmatch(self.tax_id) is not None
            and ein.is_valid(self.tax_id)
        ):
            raise X12Error(
                f"billing provider tax id must be a valid EIN of 9 digits, got {self.tax_id!r}"
            )
        _check_match(_TAXONOMY, self.taxonomy, "billing provider taxonomy")
        if not isinstance(self.address, Address):
            raise X12Error("billing provider address must be an Address")
        # 005010X222A1 requires the full ZIP+4 for the billing provider.
        if len(self.address.postal_digits) != 9:
            raise X12Error(
                f"billing provider postal code must be ZIP+4, got {self.address.postal_code!r}"
            )
        if (self.contact_name is None) != (self.contact_phone is None):
            raise X12Error("billing provider contact name and phone go together")
        if self.contact_name is not None:
            _check_text(self.contact_name, "billing provider contact name")
            _check_phone(self.contact_phone, "billing provider contact phone")


@dataclass(frozen=True, kw_only=True, slots=True)
class Subscriber:
    member_id: str
    last_name: str
    first_name: str
    birth_date: date
    sex: Literal["M", "F", "U"]
    address: Address
    group_number: str | None = None

    def __post_init__(self) -> None:
        _check_identifier(self.member_id, "subscriber member id", 2, 80)
        _check_text(self.last_name, "subscriber last name")
        _check_text(self.first_name, "subscriber first name")
        _check_date(self.birth_date, "subscriber birth date")
        _check_sex(self.sex, "subscriber sex")
        if not isinstance(self.address, Address):
            raise X12Error("subscriber address must be an Address")
        if self.group_number is not None:
            _check_identifier(self.group_number, "subscriber group number", 1, 50)


@dataclass(frozen=True, kw_only=True, slots=True)
class Patient:
    """The patient when they are not the subscriber (loop 2000C)."""

    relationship: str
    last_name: str
    first_name: str
    birth_date: date
    sex: Literal["M", "F", "U"]
    address: Address

    def __post_init__(self) -> None:
        if self.relationship not in PATIENT_RELATIONSHIPS:
            raise X12Error(
                f"patient relationship must be one of {sorted(PATIENT_RELATIONSHIPS)}, "
                f"got {self.relationship!r}"
            )
        _check_text(self.last_name, "patient last name")
        _check_text(self.first_name, "patient first name")
        _check_date(self.birth_date, "patient birth date")
        _check_sex(self.sex, "patient sex")
        if not isinstance(self.address, Address):
            raise X12Error("patient address must be an Address")


@dataclass(frozen=True, kw_only=True, slots=True)
class PayerRef:
    name: str
    payer_id: str
    claim_filing_indicator: str = "CI"

    def __post_init__(self) -> None:
        _check_text(self.name, "payer name")
        _check_identifier(self.payer_id, "payer id", 2, 80)
        if self.claim_filing_indicator not in CLAIM_FILING_INDICATORS:
            raise X12Error(f"claim filing indicator is not valid: {self.claim_filing_indicator!r}")


@dataclass(frozen=True, kw_only=True, slots=True)
class Provider:
    """A person: the rendering or the supervising provider."""

    last_name: str
    first_name: str
    npi: str
    taxonomy: str | None = None

    def __post_init__(self) -> None:
        _check_text(self.last_name, "provider last name")
        _check_text(self.first_name, "provider first name")
        _check_npi(self.npi, "provider NPI")
        if self.taxonomy is not None:
            _check_match(_TAXONOMY, self.taxonomy, "provider taxonomy")


@dataclass(frozen=True, kw_only=True, slots=True)
class ServiceLine:
    code: str
    modifiers: tuple[str, ...] = ()
    charge: Decimal
    units: int
    place_of_service: str
    pointers: tuple[int, ...]
    service_date: date
    ndc: str | None = None
    ndc_quantity: Decimal | None = None
    ndc_unit: str | None = None

    def __post_init__(self) -> None:
        _check_match(_PROCEDURE, self.code, "procedure code")
        if not isinstance(self.modifiers, tuple):
            raise X12Error("modifiers must be a tuple")
        if len(self.modifiers) > MAX_MODIFIERS:
            raise X12Error(
                f"{self.code}: at most {MAX_MODIFIERS} modifiers, got {len(self.modifiers)}"
            )
        for modifier in self.modifiers:
            _check_match(_MODIFIER, modifier, f"{self.code}: modifier")
        charge = _check_amount(self.charge, f"{self.code}: charge", places=2)
        if charge < 0:
            raise X12Error(f"{self.code}: charge must not be negative, got {self.charge}")
        if not (isinstance(self.units, int) and not isinstance(self.units, bool)):
            raise X12Error(f"{self.code}: units must be an int, got {self.units!r}")
        if not (1 <= self.units <= 9999):
            raise X12Error(f"{self.code}: units must be 1 to 9999, got {self.units}")
        _check_match(_PLACE_OF_SERVICE, self.place_of_service, f"{self.code}: place of service")
        if not isinstance(self.pointers, tuple):
            raise X12Error("diagnosis pointers must be a tuple")
        if not (1 <= len(self.pointers) <= MAX_POINTERS):
            raise X12Error(
                f"{self.code}: 1 to {MAX_POINTERS} diagnosis pointers, got {len(self.pointers)}"
            )
        if not all(
            isinstance(p, int) and not isinstance(p, bool) and 1 <= p <= MAX_DIAGNOSES
            for p in self.pointers
        ):
            raise X12Error(
                f"{self.code}: diagnosis pointers must be 1 to {MAX_DIAGNOSES}, got {self.pointers}"
            )
        if len(set(self.pointers)) != len(self.pointers):
            raise X12Error(f"{self.code}: repeated diagnosis pointer in {self.pointers}")
        _check_date(self.service_date, f"{self.code}: service date")
        drug = (self.ndc, self.ndc_quantity, self.ndc_unit)
        if not (all(part is None for part in drug) or all(part is not None for part in drug)):
            raise X12Error(f"{self.code}: NDC, NDC quantity and NDC unit go together")
        if self.ndc is not None:
            _check_match(_NDC, self.ndc, f"{self.code}: NDC (11 digits, 5-4-2 without dashes)")
            quantity = _check_amount(self.ndc_quantity, f"{self.code}: NDC quantity", places=3)
            if quantity <= 0:
                raise X12Error(f"{self.code}: NDC quantity must be positive")
            if self.ndc_unit not in NDC_UNITS:
                raise X12Error(
                    f"{self.code}: NDC unit must be one of {sorted(NDC_UNITS)}, "
                    f"got {self.ndc_unit!r}"
                )


@dataclass(frozen=True, kw_only=True, slots=True)
class Claim:
    claim_id: str
    place_of_service: str
    diagnoses: tuple[str, ...]
    lines: tuple[ServiceLine, ...]
    subscriber: Subscriber
    payer: PayerRef
    rendering: Provider | None = None
    supervising: Provider | None = None
    patient: Patient | None = None
    provider_signature: bool = True
    assignment: Literal["A", "B", "C"] = "A"
    benefits_assigned: Literal["Y", "N", "W"] = "Y"
    release_of_information: Literal["Y", "I"] = "Y"

    def __post_init__(self) -> None:
        _check_identifier(self.claim_id, "claim id", 1, MAX_CLAIM_ID_LENGTH)
        _check_match(_PLACE_OF_SERVICE, self.place_of_service, "claim place of service")
        if not isinstance(self.diagnoses, tuple):
            raise X12Error("diagnoses must be a tuple")
        if not (1 <= len(self.diagnoses) <= MAX_DIAGNOSES):
            raise X12Error(
                f"claim {self.claim_id}: 1 to {MAX_DIAGNOSES} diagnoses, got {len(self.diagnoses)}"
            )
        for code in self.diagnoses:
            _check_match(_ICD10, code, f"claim {self.claim_id}: ICD-10 code")
        undotted = [code.replace(".", "") for code in self.diagnoses]
        if len(set(undotted)) != len(undotted):
            raise X12Error(f"claim {self.claim_id}: repeated diagnosis in {self.diagnoses}")
        if not isinstance(self.lines, tuple):
            raise X12Error("lines must be a tuple")
        if not (1 <= len(self.lines) <= MAX_LINES):
            raise X12Error(
                f"claim {self.claim_id}: 1 to {MAX_LINES} service lines, got {len(self.lines)}"
            )
        for line in self.lines:
            if not isinstance(line, ServiceLine):
                raise X12Error("lines must hold ServiceLine objects")
            if max(line.pointers) > len(self.diagnoses):
                raise X12Error(
                    f"claim {self.claim_id}, {line.code}: pointer {max(line.pointers)} is beyond "
                    f"the {len(self.diagnoses)} diagnoses"
                )
        if not isinstance(self.subscriber, Subscriber):
            raise X12Error("subscriber must be a Subscriber")
        if not isinstance(self.payer, PayerRef):
            raise X12Error("payer must be a PayerRef")
        for role, provider in (("rendering", self.rendering), ("supervising", self.supervising)):
            if not (provider is None or isinstance(provider, Provider)):
                raise X12Error(f"{role} must be a Provider")
        if not (self.patient is None or isinstance(self.patient, Patient)):
            raise X12Error("patient must be a Patient")
        if not isinstance(self.provider_signature, bool):
            raise X12Error("provider signature must be a bool")
        if self.assignment not in ("A", "B", "C"):
            raise X12Error("assignment must be A, B or C")
        if self.benefits_assigned not in ("Y", "N", "W"):
            raise X12Error("benefits assigned must be Y, N or W")
        if self.release_of_information not in ("Y", "I"):
            raise X12Error("release of information must be Y or I")

    @property
    def total_charge(self) -> Decimal:
        return sum((line.charge for line in self.lines), Decimal(0))


@dataclass(frozen=True, kw_only=True, slots=True)
class Interchange:
    sender_id: str
    receiver_id: str
    interchange_control_number: int
    group_control_number: int
    created_at: datetime
    usage: Literal["P", "T"]
    separators: Separators = Separators()
    sender_qualifier: str = "ZZ"
    receiver_qualifier: str = "ZZ"

    def __post_init__(self) -> None:
        # 15 is the fixed width of ISA06/ISA08; GS02/GS03 need at least 2.
        _check_identifier(self.sender_id, "interchange sender id", 2, 15)
        _check_identifier(self.receiver_id, "interchange receiver id", 2, 15)
        for what, number in (
            ("interchange control number", self.interchange_control_number),
            ("group control number", self.group_control_number),
        ):
            if not (
                isinstance(number, int)
                and not isinstance(number, bool)
                and 1 <= number <= 999_999_999
            ):
                raise X12Error(f"{what} must be 1 to 999999999, got {number!r}")
        if not (isinstance(self.created_at, datetime) and self.created_at.utcoffset() is not None):
            raise X12Error(f"created_at must be an aware datetime, got {self.created_at!r}")
        if self.usage not in ("P", "T"):
            raise X12Error(f"usage must be 'P' or 'T', got {self.usage!r}")
        if not isinstance(self.separators, Separators):
            raise X12Error("separators must be Separators")
        for what, qualifier in (
            ("sender", self.sender_qualifier),
            ("receiver", self.receiver_qualifier),
        ):
            if not (
                isinstance(qualifier, str)
                and len(qualifier) == 2
                and clean_element(qualifier) == qualifier
            ):
                raise X12Error(
                    f"interchange {what} qualifier must be 2 characters, got {qualifier!r}"
                )


@dataclass(frozen=True, kw_only=True, slots=True)
class WriteResult:
    """What was written; `segment_count` runs from ST to SE inclusive, as in SE01."""

    segment_count: int
    transaction_set_control_number: str
    claim_count: int
    line_count: int
    total_charge: Decimal


_Element = str | tuple[str, ...] | None


class _SegmentWriter:
    # The same values (qualifiers, codes, payer names, dates) recur in every claim; the
    # cache is bounded so a long interchange cannot grow it without limit.
    _CACHE_SIZE = 20_000

    def __init__(self, separators: Separators) -> None:
        self.separators = separators
        self._reserved = separators.reserved
        self._element = separators.element
        self._sub_element = separators.sub_element
        self._terminator = separators.segment
        self._cleaned: dict[str, str] = {}

    def clean(self, value: str) -> str:
        cleaned = self._cleaned.get(value)
        if cleaned is None:
            if len(self._cleaned) >= self._CACHE_SIZE:
                self._cleaned.clear()
            cleaned = self._cleaned[value] = clean_element(value, self._reserved)
        return cleaned

    def segment(self, segment_id: str, *elements: _Element) -> str:
        # Called for every segment of the file: the cache is read inline.
        cleaned = self._cleaned
        parts = [segment_id]
        for element in elements:
            if element is None:
                parts.append("")
            elif isinstance(element, tuple):
                components = _without_trailing_empties([self.clean(c) for c in element])
                parts.append(self._sub_element.join(components))
            else:
                parts.append(cleaned.get(element) or self.clean(element))
        return self._element.join(_without_trailing_empties(parts)) + self._terminator

    def text(self, value: str, max_length: int, what: str) -> str:
        """Free text (a name, an address): cleaned, cut to the element's length, required."""
        cleaned = self.clean(value)[:max_length].rstrip()
        if cleaned == "":
            raise X12Error(f"{what} {value!r} has no character X12 can carry")
        return cleaned

    def optional_text(self, value: str | None, max_length: int) -> str | None:
        if value is None:
            return None
        return self.clean(value)[:max_length].rstrip() or None

    def identifier(self, value: str, what: str) -> str:
        if self.clean(value) != value:
            raise X12Error(f"{what} {value!r} holds a character reserved as a separator")
        return value


def _without_trailing_empties(items: list[str]) -> list[str]:
    while items and items[-1] == "":
        items.pop()
    return items


def _name_segment(
    w: _SegmentWriter, entity: str, *, last: str, first: str, npi: str, what: str
) -> str:
    return w.segment(
        "NM1",
        entity,
        "1",
        w.text(last, _LAST_NAME, f"{what} last name"),
        w.text(first, _FIRST_NAME, f"{what} first name"),
        None,
        None,
        None,
        "XX",
        npi,
    )


def _address_segments(w: _SegmentWriter, address: Address, what: str) -> list[str]:
    city = w.text(address.city, _CITY, f"{what} city")
    if len(city) < 2:
        raise X12Error(f"{what} city {address.city!r} is shorter than 2 characters")
    return [
        w.segment(
            "N3",
            w.text(address.line1, _ADDRESS_LINE, f"{what} address line 1"),
            w.optional_text(address.line2, _ADDRESS_LINE),
        ),
        w.segment("N4", city, address.state, address.postal_digits),
    ]


def _claim_segments(w: _SegmentWriter, claim: Claim, hl: int) -> list[str]:
    subscriber = claim.subscriber
    patient = claim.patient
    segments = [
        w.segment("HL", str(hl), "1", "22", "0" if patient is None else "1"),
        w.segment(
            "SBR",
            "P",
            "18" if patient is None else None,
            subscriber.group_number,
            None,
            None,
            None,
            None,
            None,
            claim.payer.claim_filing_indicator,
        ),
        w.segment(
            "NM1",
            "IL",
            "1",
            w.text(subscriber.last_name, _LAST_NAME, "subscriber last name"),
            w.text(subscriber.first_name, _FIRST_NAME, "subscriber first name"),
            None,
            None,
            None,
            "MI",
            w.identifier(subscriber.member_id, "subscriber member id"),
        ),
    ]
    segments += _address_segments(w, subscriber.address, "subscriber")
    if patient is None:
        # The subscriber's demographics are sent only when the subscriber is the patient.
        segments.append(
            w.segment("DMG", "D8", subscriber.birth_date.strftime("%Y%m%d"), subscriber.sex)
        )
    segments.append(
        w.segment(
            "NM1",
            "PR",
            "2",
            w.text(claim.payer.name, _ORGANIZATION_NAME, "payer name"),
            None,
            None,
            None,
            None,
            "PI",
            w.identifier(claim.payer.payer_id, "payer id"),
        )
    )
    if patient is not None:
        segments += [
            w.segment("HL", str(hl + 1), str(hl), "23", "0"),
            w.segment("PAT", patient.relationship),
            w.segment(
                "NM1",
                "QC",
                "1",
                w.text(patient.last_name, _LAST_NAME, "patient last name"),
                w.text(patient.first_name, _FIRST_NAME, "patient first name"),
            ),
            *_address_segments(w, patient.address, "patient"),
            w.segment("DMG", "D8", patient.birth_date.strftime("%Y%m%d"), patient.sex),
        ]
    segments += [
        w.segment(
            "CLM",
            w.identifier(claim.claim_id, "claim id"),
            format_decimal(claim.total_charge),
            None,
            None,
            # B: place of service code; 1: original claim (replacements need REF*F8).
            (claim.place_of_service, "B", "1"),
            "Y" if claim.provider_signature else "N",
            claim.assignment,
            claim.benefits_assigned,
            claim.release_of_information,
        ),
        w.segment(
            "HI",
            *(
                ("ABK" if index == 0 else "ABF", code.replace(".", ""))
                for index, code in enumerate(claim.diagnoses)
            ),
        ),
    ]
    if claim.rendering is not None:
        segments.append(
            _name_segment(
                w,
                "82",
                last=claim.rendering.last_name,
                first=claim.rendering.first_name,
                npi=claim.rendering.npi,
                what="rendering provider",
            )
        )
        if claim.rendering.taxonomy is not None:
            segments.append(w.segment("PRV", "PE", "PXC", claim.rendering.taxonomy))
    if claim.supervising is not None:
        segments.append(
            _name_segment(
                w,
                "DQ",
                last=claim.supervising.last_name,
                first=claim.supervising.first_name,
                npi=claim.supervising.npi,
                what="supervising provider",
            )
        )
    for number, line in enumerate(claim.lines, start=1):
        segments += [
            w.segment("LX", str(number)),
            w.segment(
                "SV1",
                ("HC", line.code, *line.modifiers),
                format_decimal(line.charge),
                "UN",
                str(line.units),
                # SV105 is sent only when it differs from the claim's place of service.
                None if line.place_of_service == claim.place_of_service else line.place_of_service,
                None,
                tuple(str(pointer) for pointer in line.pointers),
            ),
            w.segment("DTP", "472", "D8", line.service_date.strftime("%Y%m%d")),
        ]
        # The three drug fields are all set or all None (ServiceLine checks it).
        if line.ndc is not None and line.ndc_quantity is not None and line.ndc_unit is not None:
            segments += [
                w.segment("LIN", None, "N4", line.ndc),
                w.segment(
                    "CTP", None, None, None, format_decimal(line.ndc_quantity), (line.ndc_unit,)
                ),
            ]
    return segments


def write_837p(
    interchange: Interchange,
    submitter: Submitter,
    receiver: Receiver,
    billing_provider: BillingProvider,
    claims: Iterable[Claim],
    out: TextIO,
) -> WriteResult:
    """Stream one interchange holding one 837P transaction set to `out`.

    All claims go under one billing provider; each claim gets its own subscriber
    (and, when needed, patient) hierarchical level. Claims are consumed and written
    one at a time, so `claims` may be a generator.
    """
    separators = interchange.separators
    w = _SegmentWriter(separators)
    remaining = iter(claims)
    first = next(remaining, None)
    if first is None:
        raise X12Error("an 837P needs at least one claim")

    created = interchange.created_at
    control = f"{interchange.interchange_control_number:09d}"
    group = str(interchange.group_control_number)
    sender = w.identifier(interchange.sender_id, "interchange sender id")
    receiver_id = w.identifier(interchange.receiver_id, "interchange receiver id")
    isa = separators.element.join(
        [
            "ISA",
            "00",
            " " * 10,
            "00",
            " " * 10,
            w.identifier(interchange.sender_qualifier, "interchange sender qualifier"),
            sender.ljust(15),
            w.identifier(interchange.receiver_qualifier, "interchange receiver qualifier"),
            receiver_id.ljust(15),
            created.strftime("%y%m%d"),
            created.strftime("%H%M"),
            separators.repetition,
            "00501",
            control,
            "0",
            interchange.usage,
            separators.sub_element,
        ]
    )
    header = [
        w.segment(
            "GS",
            "HC",
            sender,
            receiver_id,
            created.strftime("%Y%m%d"),
            created.strftime("%H%M"),
            group,
            "X",
            IMPLEMENTATION_GUIDE,
        ),
        w.segment("ST", "837", TRANSACTION_SET_CONTROL_NUMBER, IMPLEMENTATION_GUIDE),
        w.segment(
            "BHT", "0019", "00", control, created.strftime("%Y%m%d"), created.strftime("%H%M"), "CH"
        ),
        w.segment(
            "NM1",
            "41",
            "2",
            w.text(submitter.name, _ORGANIZATION_NAME, "submitter name"),
            None,
            None,
            None,
            None,
            "46",
            w.identifier(submitter.id, "submitter id"),
        ),
        w.segment(
            "PER",
            "IC",
            w.text(submitter.contact_name, _CONTACT_NAME, "submitter contact name"),
            "TE",
            _phone_digits(submitter.contact_phone),
        ),
        w.segment(
            "NM1",
            "40",
            "2",
            w.text(receiver.name, _ORGANIZATION_NAME, "receiver name"),
            None,
            None,
            None,
            None,
            "46",
            w.identifier(receiver.id, "receiver id"),
        ),
        w.segment("HL", "1", None, "20", "1"),
        w.segment("PRV", "BI", "PXC", billing_provider.taxonomy),
        w.segment(
            "NM1",
            "85",
            "2",
            w.text(billing_provider.name, _ORGANIZATION_NAME, "billing provider name"),
            None,
            None,
            None,
            None,
            "XX",
            billing_provider.npi,
        ),
        *_address_segments(w, billing_provider.address, "billing provider"),
        w.segment("REF", "EI", billing_provider.tax_id),
    ]
    if billing_provider.contact_name is not None and billing_provider.contact_phone is not None:
        header.append(
            w.segment(
                "PER",
                "IC",
                w.text(billing_provider.contact_name, _CONTACT_NAME, "billing provider contact"),
                "TE",
                _phone_digits(billing_provider.contact_phone),
            )
        )
    out.write(isa + separators.segment)
    out.write("".join(header))
    segment_count = len(header) - 1  # GS precedes ST

    hl = 2
    claim_count = 0
    line_count = 0
    total = Decimal(0)
    for claim in chain([first], remaining):
        if not isinstance(claim, Claim):
            raise X12Error(f"claims must hold Claim objects, got {claim!r}")
        if claim_count >= MAX_CLAIMS:
            raise X12Error(f"at most {MAX_CLAIMS} claims in one transaction set")
        segments = _claim_segments(w, claim, hl)
        out.write("".join(segments))
        segment_count += len(segments)
        hl += 1 if claim.patient is None else 2
        claim_count += 1
        line_count += len(claim.lines)
        total += claim.total_charge

    segment_count += 1  # SE counts itself
    out.write(w.segment("SE", str(segment_count), TRANSACTION_SET_CONTROL_NUMBER))
    out.write(w.segment("GE", "1", group))
    out.write(w.segment("IEA", "1", control))
    return WriteResult(
        segment_count=segment_count,
        transaction_set_control_number=TRANSACTION_SET_CONTROL_NUMBER,
        claim_count=claim_count,
        line_count=line_count,
        total_charge=total,
    )


def render_837p(
    interchange: Interchange,
    submitter: Submitter,
    receiver: Receiver,
    billing_provider: BillingProvider,
    claims: Iterable[Claim],
) -> str:
    """The whole interchange as one string (for small batches and tests)."""
    buffer = StringIO()
    write_837p(interchange, submitter, receiver, billing_provider, claims, buffer)
    return buffer.getvalue()
