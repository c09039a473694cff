"""The segment writer and the 837P it streams to a text file.

If `write_837p` raises `X12Error`, what was already written to `out` is not a valid
interchange and must be discarded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from io import StringIO
from typing import TextIO

from billing.x12.elements import (
    ADDRESS_LINE_LENGTH,
    CITY_LENGTH,
    CONTACT_NAME_LENGTH,
    FIRST_NAME_LENGTH,
    IMPLEMENTATION_GUIDE,
    LAST_NAME_LENGTH,
    MAX_CLAIMS,
    ORGANIZATION_NAME_LENGTH,
    TRANSACTION_SET_CONTROL_NUMBER,
    X12Error,
    clean_element,
    format_decimal,
    phone_digits,
)
from billing.x12.values import (
    Address,
    BillingProvider,
    Claim,
    Interchange,
    Provider,
    Receiver,
    Separators,
    Submitter,
    WriteResult,
)

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
        self._dates: dict[date, str] = {}

    def clean(self, value: str) -> str:
        cleaned = self._cleaned.get(value)
        if cleaned is None:
            if len(self._cleaned) >= self._CACHE_SIZE:
                self._cleaned.clear()
            cleaned = self._cleaned[value] = clean_element(value, self._reserved)
            # Cleaning is idempotent, and a cleaned name or address comes back in segment().
            self._cleaned[cleaned] = cleaned
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

    def d8(self, day: date) -> str:
        """A date as CCYYMMDD (D8): service and birth dates recur from claim to claim."""
        text = self._dates.get(day)
        if text is None:
            if len(self._dates) >= self._CACHE_SIZE:
                self._dates.clear()
            text = self._dates[day] = day.strftime("%Y%m%d")
        return text

    def text(self, value: str, max_length: int, what: str) -> str:
        """Free text (a name, an address): cleaned, cut to the element's length, required."""
        cleaned = self.clean(value)[:max_length].rstrip()
        if cleaned == "":
            raise X12Error(f"{what} {value!r} has no character X12 can carry", what=what)
        return cleaned

    def optional_text(self, value: str | None, max_length: int) -> str | None:
        if value is None:
            return None
        return self.clean(value)[:max_length].rstrip() or None

    def identifier(self, value: str, what: str) -> str:
        if self.clean(value) != value:
            raise X12Error(f"{what} {value!r} holds a character reserved as a separator", what=what)
        return value


def _without_trailing_empties(items: list[str]) -> list[str]:
    while items and items[-1] == "":
        items.pop()
    return items


def _person(
    w: _SegmentWriter, entity: str, last: str, first: str, what: str, *identified_by: str
) -> str:
    """NM1 for a person (NM102 1) by name, and by an ID qualifier and ID when given."""
    return w.segment(
        "NM1",
        entity,
        "1",
        w.text(last, LAST_NAME_LENGTH, f"{what} last name"),
        w.text(first, FIRST_NAME_LENGTH, f"{what} first name"),
        None,
        None,
        None,
        *identified_by,
    )


def _provider_segments(w: _SegmentWriter, entity: str, provider: Provider, what: str) -> list[str]:
    """A provider by name and NPI, and for a rendering provider (82: 2310B, 2420A) their
    taxonomy (PRV) when known; the supervising provider's loop (DQ, 2310D) has no PRV."""
    segments = [
        _person(w, entity, provider.last_name, provider.first_name, what, "XX", provider.npi)
    ]
    if entity == "82" and provider.taxonomy is not None:
        segments.append(w.segment("PRV", "PE", "PXC", provider.taxonomy))
    return segments


def _address_segments(w: _SegmentWriter, address: Address, what: str) -> list[str]:
    city = w.text(address.city, CITY_LENGTH, f"{what} city")
    if len(city) < 2:
        raise X12Error(
            f"{what} city {address.city!r} is shorter than 2 characters", what=f"{what} city"
        )
    return [
        w.segment(
            "N3",
            w.text(address.line1, ADDRESS_LINE_LENGTH, f"{what} address line 1"),
            w.optional_text(address.line2, ADDRESS_LINE_LENGTH),
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
            claim.responsibility,
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
            w.text(subscriber.last_name, LAST_NAME_LENGTH, "subscriber last name"),
            w.text(subscriber.first_name, FIRST_NAME_LENGTH, "subscriber first name"),
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
        segments.append(w.segment("DMG", "D8", w.d8(subscriber.birth_date), subscriber.sex))
    segments.append(
        w.segment(
            "NM1",
            "PR",
            "2",
            w.text(claim.payer.name, ORGANIZATION_NAME_LENGTH, "payer name"),
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
            _person(w, "QC", patient.last_name, patient.first_name, "patient"),
            *_address_segments(w, patient.address, "patient"),
            w.segment("DMG", "D8", w.d8(patient.birth_date), patient.sex),
        ]
    segments += [
        w.segment(
            "CLM",
            w.identifier(claim.claim_id, "claim id"),
            format_decimal(claim.total_charge),
            None,
            None,
            # B: place of service code; the frequency: 1 original, 7 replacement, 8 void.
            (claim.place_of_service, "B", claim.frequency),
            "Y" if claim.provider_signature else "N",
            claim.assignment,
            claim.benefits_assigned,
            claim.release_of_information,
        ),
    ]
    if claim.payer_claim_control_number is not None:
        # The payer's number of the claim this one replaces or cancels.
        segments.append(
            w.segment(
                "REF", "F8", w.identifier(claim.payer_claim_control_number, "payer claim number")
            )
        )
    segments += [
        w.segment(
            "HI",
            *(
                ("ABK" if index == 0 else "ABF", code.replace(".", ""))
                for index, code in enumerate(claim.diagnoses)
            ),
        ),
    ]
    if claim.rendering is not None:
        segments += _provider_segments(w, "82", claim.rendering, "rendering provider")
    if claim.supervising is not None:
        segments += _provider_segments(w, "DQ", claim.supervising, "supervising provider")
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
            w.segment("DTP", "472", "D8", w.d8(line.service_date)),
        ]
        # The three drug fields are all set or all None (ServiceLine checks it).
        if line.ndc is not None and line.ndc_quantity is not None and line.ndc_unit is not None:
            segments += [
                w.segment("LIN", None, "N4", line.ndc),
                w.segment(
                    "CTP", None, None, None, format_decimal(line.ndc_quantity), (line.ndc_unit,)
                ),
            ]
        # 2420A: a line billed under someone other than the claim's rendering provider.
        if line.rendering is not None and line.rendering != claim.rendering:
            segments += _provider_segments(w, "82", line.rendering, "rendering provider")
    return segments


def check_claim(claim: Claim, separators: Separators) -> None:
    """Raise ``X12Error`` when `claim` cannot be written with these separators, as
    ``write_837p`` would: a claim that passes can be written into any interchange."""
    _claim_segments(_SegmentWriter(separators), claim, 2)


def _same_contact(w: _SegmentWriter, submitter: Submitter, provider: BillingProvider) -> bool:
    """Whether the billing provider's contact is the submitter's (1000A): 2010AA PER is
    sent only when it differs."""
    return (
        provider.contact_name is not None
        and provider.contact_phone is not None
        and w.clean(provider.contact_name) == w.clean(submitter.contact_name)
        and phone_digits(provider.contact_phone) == phone_digits(submitter.contact_phone)
    )


def write_837p(
    interchange: Interchange,
    submitter: Submitter,
    receiver: Receiver,
    billing_provider: BillingProvider,
    claims: Iterable[Claim],
    out: TextIO,
    refused: Callable[[Claim, X12Error], object] | None = None,
) -> WriteResult:
    """Stream one interchange holding one 837P transaction set to `out`.

    All claims go under one billing provider; each claim gets its own subscriber
    (and, when needed, patient) hierarchical level. Claims are consumed and written
    one at a time, so `claims` may be a generator.

    A claim the writer cannot carry raises `X12Error`, unless `refused` is given: then the
    claim and the error are passed to it and the claim is left out (the writer's check is
    the writing itself, so no claim is built twice). If it leaves out every claim, the
    interchange holds none and `X12Error` is raised.
    """
    separators = interchange.separators
    w = _SegmentWriter(separators)
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
            w.text(submitter.name, ORGANIZATION_NAME_LENGTH, "submitter name"),
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
            w.text(submitter.contact_name, CONTACT_NAME_LENGTH, "submitter contact name"),
            "TE",
            phone_digits(submitter.contact_phone),
        ),
        w.segment(
            "NM1",
            "40",
            "2",
            w.text(receiver.name, ORGANIZATION_NAME_LENGTH, "receiver name"),
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
            w.text(billing_provider.name, ORGANIZATION_NAME_LENGTH, "billing provider name"),
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
    if (
        billing_provider.contact_name is not None
        and billing_provider.contact_phone is not None
        and not _same_contact(w, submitter, billing_provider)
    ):
        header.append(
            w.segment(
                "PER",
                "IC",
                w.text(
                    billing_provider.contact_name, CONTACT_NAME_LENGTH, "billing provider contact"
                ),
                "TE",
                phone_digits(billing_provider.contact_phone),
            )
        )
    if billing_provider.pay_to_address is not None:
        header += [
            w.segment("NM1", "87", "2"),
            *_address_segments(w, billing_provider.pay_to_address, "pay-to"),
        ]
    out.write(isa + separators.segment)
    out.write("".join(header))
    segment_count = len(header) - 1  # GS precedes ST

    hl = 2
    claim_count = 0
    line_count = 0
    total = Decimal(0)
    for claim in claims:
        if not isinstance(claim, Claim):
            raise X12Error(f"claims must hold Claim objects, got {claim!r}")
        if claim_count >= MAX_CLAIMS:
            raise X12Error(f"at most {MAX_CLAIMS} claims in one transaction set")
        try:
            segments = _claim_segments(w, claim, hl)
        except X12Error as error:
            if refused is None:
                raise
            refused(claim, error)
            continue
        out.write("".join(segments))
        segment_count += len(segments)
        hl += 1 if claim.patient is None else 2
        claim_count += 1
        line_count += len(claim.lines)
        total += claim.total_charge

    if claim_count == 0:
        raise X12Error("an 837P needs at least one claim")
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
