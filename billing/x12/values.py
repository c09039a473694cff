"""The 837P's value objects: frozen dataclasses that check themselves when built."""

from __future__ import annotations

import string
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from stdnum.us import ein

from billing.x12.elements import (
    CLAIM_FILING_INDICATORS,
    EIN_FORMAT,
    ICD10_FORMAT,
    MAX_CLAIM_ID_LENGTH,
    MAX_DIAGNOSES,
    MAX_LINES,
    MAX_MODIFIERS,
    MAX_POINTERS,
    MODIFIER_FORMAT,
    NDC_FORMAT,
    NDC_UNITS,
    PATIENT_RELATIONSHIPS,
    PLACE_OF_SERVICE_FORMAT,
    POSTAL_CODE_FORMAT,
    PROCEDURE_FORMAT,
    TAXONOMY_FORMAT,
    US_STATE_CODES,
    X12Error,
    check_amount,
    check_date,
    check_identifier,
    check_match,
    check_npi,
    check_phone,
    check_sex,
    check_text,
    clean_element,
    is_po_box,
)

# The codes a value object takes from a fixed list; each object checks them when built, so
# a caller holding plain text (from the database) may pass it as one of these.
Sex = Literal["M", "F", "U"]
Responsibility = Literal["P", "S", "T"]  # SBR01
Frequency = Literal["1", "7", "8"]  # CLM05-3
Usage = Literal["P", "T"]  # ISA15


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
        check_text(self.line1, "address line 1")
        if not (self.line2 is None or isinstance(self.line2, str)):
            raise X12Error("address line 2 must be text", what="address line 2")
        check_text(self.city, "city")
        if self.state not in US_STATE_CODES:
            raise X12Error(
                f"state code must be a USPS state or territory code, got {self.state!r}",
                what="state code",
            )
        check_match(POSTAL_CODE_FORMAT, self.postal_code, "postal code")

    @property
    def postal_digits(self) -> str:
        return self.postal_code.replace("-", "")


def _check_organization(name: str, identifier: str, what: str) -> None:
    """An organization's name (NM103) and identifier (NM109, 2 to 80 characters)."""
    check_text(name, f"{what} name")
    check_identifier(identifier, f"{what} id", 2, 80)


@dataclass(frozen=True, kw_only=True, slots=True)
class Submitter:
    name: str
    id: str
    contact_name: str
    contact_phone: str

    def __post_init__(self) -> None:
        _check_organization(self.name, self.id, "submitter")
        check_text(self.contact_name, "submitter contact name")
        check_phone(self.contact_phone, "submitter contact phone")


@dataclass(frozen=True, kw_only=True, slots=True)
class Receiver:
    name: str
    id: str

    def __post_init__(self) -> None:
        _check_organization(self.name, self.id, "receiver")


@dataclass(frozen=True, kw_only=True, slots=True)
class BillingProvider:
    name: str
    npi: str
    tax_id: str
    taxonomy: str
    address: Address
    # Where payment goes when not to the address above (2010AB), for example a PO box.
    pay_to_address: Address | None = None
    contact_name: str | None = None
    contact_phone: str | None = None

    def __post_init__(self) -> None:
        check_text(self.name, "billing provider name")
        check_npi(self.npi, "billing provider NPI")
        if not (
            isinstance(self.tax_id, str)
            and EIN_FORMAT.fullmatch(self.tax_id) is not None
            and ein.is_valid(self.tax_id)
        ):
            raise X12Error(
                f"billing provider tax id must be a valid EIN of 9 digits, got {self.tax_id!r}"
            )
        check_match(TAXONOMY_FORMAT, self.taxonomy, "billing provider taxonomy")
        if not isinstance(self.address, Address):
            raise X12Error("billing provider address must be an Address")
        # 005010X222A1 requires the full ZIP+4 for the billing provider, and a street
        # address: a PO box goes in the pay-to address.
        if len(self.address.postal_digits) != 9:
            raise X12Error(
                f"billing provider postal code must be ZIP+4, got {self.address.postal_code!r}",
                what="billing provider postal code",
            )
        if is_po_box(self.address.line1) or is_po_box(self.address.line2 or ""):
            raise X12Error(
                "billing provider address may not be a PO box: put the box in the pay-to address",
                what="billing provider address line 1",
            )
        if not (self.pay_to_address is None or isinstance(self.pay_to_address, Address)):
            raise X12Error("pay-to address must be an Address")
        if (self.contact_name is None) != (self.contact_phone is None):
            raise X12Error("billing provider contact name and phone go together")
        if self.contact_name is not None:
            check_text(self.contact_name, "billing provider contact name")
            check_phone(self.contact_phone, "billing provider contact phone")


@dataclass(frozen=True, kw_only=True, slots=True)
class _Person:
    """The name, birth date, sex and address a subscriber and a patient both carry."""

    last_name: str
    first_name: str
    birth_date: date
    sex: Sex
    address: Address


def _check_person(person: _Person, what: str) -> None:
    check_text(person.last_name, f"{what} last name")
    check_text(person.first_name, f"{what} first name")
    check_date(person.birth_date, f"{what} birth date")
    check_sex(person.sex, f"{what} sex")
    if not isinstance(person.address, Address):
        raise X12Error(f"{what} address must be an Address")


@dataclass(frozen=True, kw_only=True, slots=True)
class Subscriber(_Person):
    member_id: str
    group_number: str | None = None

    def __post_init__(self) -> None:
        check_identifier(self.member_id, "subscriber member id", 2, 80)
        _check_person(self, "subscriber")
        if self.group_number is not None:
            check_identifier(self.group_number, "subscriber group number", 1, 50)


@dataclass(frozen=True, kw_only=True, slots=True)
class Patient(_Person):
    """The patient when they are not the subscriber (loop 2000C)."""

    relationship: str

    def __post_init__(self) -> None:
        if self.relationship not in PATIENT_RELATIONSHIPS:
            raise X12Error(
                f"patient relationship must be one of {sorted(PATIENT_RELATIONSHIPS)}, "
                f"got {self.relationship!r}"
            )
        _check_person(self, "patient")


@dataclass(frozen=True, kw_only=True, slots=True)
class PayerRef:
    name: str
    payer_id: str
    claim_filing_indicator: str = "CI"

    def __post_init__(self) -> None:
        _check_organization(self.name, self.payer_id, "payer")
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
        check_text(self.last_name, "provider last name")
        check_text(self.first_name, "provider first name")
        check_npi(self.npi, "provider NPI")
        if self.taxonomy is not None:
            check_match(TAXONOMY_FORMAT, self.taxonomy, "provider taxonomy")


def _check_some(
    items: object, what: str, most: int, *, of: str, counted: str | None = None
) -> None:
    """Refuse ``items``, the ``what`` of ``of``, unless it is a tuple of one to ``most``."""
    if not isinstance(items, tuple):
        raise X12Error(f"{what} must be a tuple")
    if not (1 <= len(items) <= most):
        raise X12Error(f"{of}: 1 to {most} {counted or what}, got {len(items)}")


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
    # The practitioner the line is billed under; 2420A is written when it is not the
    # claim's rendering provider.
    rendering: Provider | None = None

    def __post_init__(self) -> None:
        check_match(PROCEDURE_FORMAT, self.code, "procedure code")
        if not isinstance(self.modifiers, tuple):
            raise X12Error("modifiers must be a tuple")
        if len(self.modifiers) > MAX_MODIFIERS:
            raise X12Error(
                f"{self.code}: at most {MAX_MODIFIERS} modifiers, got {len(self.modifiers)}"
            )
        for modifier in self.modifiers:
            check_match(MODIFIER_FORMAT, modifier, f"{self.code}: modifier")
        charge = check_amount(self.charge, f"{self.code}: charge", places=2)
        if charge < 0:
            raise X12Error(f"{self.code}: charge must not be negative, got {self.charge}")
        if not (isinstance(self.units, int) and not isinstance(self.units, bool)):
            raise X12Error(f"{self.code}: units must be an int, got {self.units!r}")
        if not (1 <= self.units <= 9999):
            raise X12Error(f"{self.code}: units must be 1 to 9999, got {self.units}")
        check_match(
            PLACE_OF_SERVICE_FORMAT, self.place_of_service, f"{self.code}: place of service"
        )
        _check_some(self.pointers, "diagnosis pointers", MAX_POINTERS, of=self.code)
        if not all(
            isinstance(p, int) and not isinstance(p, bool) and 1 <= p <= MAX_DIAGNOSES
            for p in self.pointers
        ):
            raise X12Error(
                f"{self.code}: diagnosis pointers must be 1 to {MAX_DIAGNOSES}, got {self.pointers}"
            )
        if len(set(self.pointers)) != len(self.pointers):
            raise X12Error(f"{self.code}: repeated diagnosis pointer in {self.pointers}")
        check_date(self.service_date, f"{self.code}: service date")
        drug = (self.ndc, self.ndc_quantity, self.ndc_unit)
        if not (all(part is None for part in drug) or all(part is not None for part in drug)):
            raise X12Error(f"{self.code}: NDC, NDC quantity and NDC unit go together")
        if self.ndc is not None:
            check_match(NDC_FORMAT, self.ndc, f"{self.code}: NDC (11 digits, 5-4-2 without dashes)")
            quantity = check_amount(self.ndc_quantity, f"{self.code}: NDC quantity", places=3)
            if quantity <= 0:
                raise X12Error(f"{self.code}: NDC quantity must be positive")
            if self.ndc_unit not in NDC_UNITS:
                raise X12Error(
                    f"{self.code}: NDC unit must be one of {sorted(NDC_UNITS)}, "
                    f"got {self.ndc_unit!r}"
                )
        if not (self.rendering is None or isinstance(self.rendering, Provider)):
            raise X12Error(f"{self.code}: rendering must be a Provider")


@dataclass(frozen=True, kw_only=True, slots=True)
class Claim:
    claim_id: str
    place_of_service: str
    diagnoses: tuple[str, ...]
    lines: tuple[ServiceLine, ...]
    subscriber: Subscriber
    payer: PayerRef
    # SBR01: the payer's responsibility, primary (P), secondary (S) or tertiary (T).
    responsibility: Responsibility = "P"
    # 2310B: the claim's rendering provider. A line billed under someone else names them
    # itself (ServiceLine.rendering, 2420A).
    rendering: Provider | None = None
    supervising: Provider | None = None
    patient: Patient | None = None
    provider_signature: bool = True
    assignment: Literal["A", "B", "C"] = "A"
    benefits_assigned: Literal["Y", "N", "W"] = "Y"
    release_of_information: Literal["Y", "I"] = "Y"
    # CLM05-3: 1 original, 7 replacement of a prior claim, 8 void/cancel of a prior claim;
    # a replacement or cancellation names the payer's number of the prior claim (REF*F8).
    frequency: Frequency = "1"
    payer_claim_control_number: str | None = None

    def __post_init__(self) -> None:
        check_identifier(self.claim_id, "claim id", 1, MAX_CLAIM_ID_LENGTH)
        if self.frequency not in ("1", "7", "8"):
            raise X12Error(f"claim {self.claim_id}: frequency must be 1, 7 or 8")
        if self.frequency == "1" and self.payer_claim_control_number is not None:
            raise X12Error(
                f"claim {self.claim_id}: an original claim names no payer claim control number"
            )
        if self.frequency != "1":
            check_identifier(
                self.payer_claim_control_number,
                f"claim {self.claim_id}: payer claim control number (REF*F8)",
                1,
                50,
            )
        check_match(PLACE_OF_SERVICE_FORMAT, self.place_of_service, "claim place of service")
        _check_some(self.diagnoses, "diagnoses", MAX_DIAGNOSES, of=f"claim {self.claim_id}")
        for code in self.diagnoses:
            check_match(ICD10_FORMAT, code, f"claim {self.claim_id}: ICD-10 code")
        undotted = [code.replace(".", "") for code in self.diagnoses]
        if len(set(undotted)) != len(undotted):
            raise X12Error(f"claim {self.claim_id}: repeated diagnosis in {self.diagnoses}")
        _check_some(
            self.lines, "lines", MAX_LINES, of=f"claim {self.claim_id}", counted="service lines"
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
        if self.responsibility not in ("P", "S", "T"):
            raise X12Error("payer responsibility must be P, S or T", what="responsibility")
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
    usage: Usage
    separators: Separators = Separators()
    sender_qualifier: str = "ZZ"
    receiver_qualifier: str = "ZZ"

    def __post_init__(self) -> None:
        # 15 is the fixed width of ISA06/ISA08; GS02/GS03 need at least 2.
        check_identifier(self.sender_id, "interchange sender id", 2, 15)
        check_identifier(self.receiver_id, "interchange receiver id", 2, 15)
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
