"""The 277CA claim acknowledgment (005010X214) of an exported 837P.

For each claim (loop 2200D) the payer or clearinghouse says whether it entered
adjudication: the patient control number is our claim number (TRN02, sent as CLM01),
REF*1K carries the payer's claim control number, and each STC gives a status category
(STC01-1), a status (STC01-2) and the entity it concerns (STC01-3), with STC03 ``WQ``
(accepted) or ``U`` (rejected). The receiver (2200B) and billing provider (2200C) levels
can reject every claim beneath them. The ``claim_status_category``, ``claim_status``
and ``entity_identifier`` code lists put the codes in words.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TypedDict

from billing.inbound.codes import describe
from billing.inbound.errors import X12ReadError
from billing.inbound.reading import (
    Interchange,
    Patient,
    Segment,
    TransactionSet,
    find,
    first,
    read_document,
    runs,
    service,
)

ACCEPT = "WQ"


@dataclass(frozen=True)
class StatusCode:
    """One composite of an STC (STC01, STC10 or STC11)."""

    category: str  # -1: claim status category code (list "claim_status_category")
    code: str  # -2: claim status code (list "claim_status")
    entity: str | None  # -3: entity identifier code (list "entity_identifier")


@dataclass(frozen=True)
class Status:
    """One STC segment."""

    codes: tuple[StatusCode, ...]
    effective: date | None  # STC02
    action: str  # STC03: "WQ" accepted, "U" rejected
    amount: Decimal | None  # STC04: total submitted charges
    message: str | None  # STC12: free-form text
    position: int

    @property
    def accepted(self) -> bool:
        return self.action == ACCEPT


class _Statuses:
    """A level of the 277CA with its STC segments: accepted when every one accepts it."""

    statuses: tuple[Status, ...]

    @property
    def accepted(self) -> bool:
        return all(status.accepted for status in self.statuses)


@dataclass(frozen=True)
class ServiceLineStatus(_Statuses):
    """Loop 2220D: the status of one service line, where the payer reports lines."""

    qualifier: str  # SVC01-1, "HC"
    procedure: str  # SVC01-2
    modifiers: tuple[str, ...]  # SVC01-3 to -6
    charge: Decimal  # SVC02
    units: Decimal | None  # SVC07
    statuses: tuple[Status, ...]
    line_control_number: str | None  # REF*FJ: REF*6R of the 837P line
    service_from: date | None
    service_to: date | None
    position: int


@dataclass(frozen=True)
class ClaimStatus(_Statuses):
    """Loop 2200D: the acknowledgment of one claim; its own statuses accept it or not (see
    `ClaimAcknowledgment.outcomes` for the levels above)."""

    claim_number: str  # TRN02: the patient control number, our CLM01
    payer_claim_control_number: str | None  # REF*1K
    clearinghouse_trace: str | None  # REF*D9
    patient: Patient
    statuses: tuple[Status, ...]
    service_from: date
    service_to: date
    lines: tuple[ServiceLineStatus, ...]
    position: int

    @property
    def amount(self) -> Decimal | None:
        return self.statuses[0].amount


@dataclass(frozen=True)
class ProviderStatus(_Statuses):
    """Loop 2000C: the billing provider, its status and its claims."""

    name: str
    id_qualifier: str  # NM108: XX NPI, FI tax id
    id: str
    trace: str  # 2200C TRN02
    statuses: tuple[Status, ...]
    accepted_quantity: int | None  # QTY*QA
    rejected_quantity: int | None  # QTY*QC
    accepted_amount: Decimal | None  # AMT*YU
    rejected_amount: Decimal | None  # AMT*YY
    claims: tuple[ClaimStatus, ...]
    position: int


@dataclass(frozen=True)
class ClaimOutcome:
    """A claim with every level considered: rejected if the batch, its provider or it is."""

    claim: ClaimStatus
    accepted: bool
    reasons: tuple[Status, ...]  # the rejecting statuses, batch first, then provider, claim


@dataclass(frozen=True)
class ClaimAcknowledgment:
    """One information source (loop 2000A) of a 277CA, with everything beneath it."""

    control_number: str  # ST02
    group_control_number: str  # GS06
    reference: str  # BHT03
    created: date  # BHT04
    source_name: str  # 2100A NM103: the payer or clearinghouse
    source_id: str  # 2100A NM109
    source_trace: str  # 2200A TRN02
    received: date  # 2200A DTP*050
    processed: date  # 2200A DTP*009
    receiver_name: str  # 2100B NM103
    receiver_id: str  # 2100B NM109
    receiver_trace: str  # 2200B TRN02: BHT03 of the acknowledged 837P
    receiver_statuses: tuple[Status, ...]
    accepted_quantity: int | None  # QTY*90
    rejected_quantity: int | None  # QTY*AA
    accepted_amount: Decimal | None  # AMT*YU
    rejected_amount: Decimal | None  # AMT*YY
    providers: tuple[ProviderStatus, ...]
    position: int  # the HL of loop 2000A

    @property
    def accepted(self) -> bool:
        return all(status.accepted for status in self.receiver_statuses)

    @property
    def claims(self) -> tuple[ClaimStatus, ...]:
        return tuple(claim for provider in self.providers for claim in provider.claims)

    def outcomes(self) -> tuple[ClaimOutcome, ...]:
        batch = tuple(status for status in self.receiver_statuses if not status.accepted)
        found: list[ClaimOutcome] = []
        for provider in self.providers:
            above = batch + tuple(status for status in provider.statuses if not status.accepted)
            for claim in provider.claims:
                reasons = above + tuple(status for status in claim.statuses if not status.accepted)
                found.append(ClaimOutcome(claim=claim, accepted=not reasons, reasons=reasons))
        return tuple(found)


@dataclass(frozen=True)
class ClaimAcknowledgmentFile:
    interchange: Interchange
    acknowledgments: tuple[ClaimAcknowledgment, ...]

    @property
    def claims(self) -> tuple[ClaimStatus, ...]:
        return tuple(claim for ack in self.acknowledgments for claim in ack.claims)


def describe_status(
    code: StatusCode,
    *,
    categories: Mapping[str, str],
    statuses: Mapping[str, str],
    entities: Mapping[str, str],
) -> str:
    """One status composite in words, from the three code lists (files or tables)."""
    words = f"{describe(code.category, categories)} {describe(code.code, statuses)}"
    if code.entity:
        words += f" Entity: {describe(code.entity, entities)}."
    return words


def _status(segment: Segment) -> Status:
    codes = tuple(
        StatusCode(
            category=segment.value(f"{ref}-1"),
            code=segment.value(f"{ref}-2"),
            entity=segment.text(f"{ref}-3"),
        )
        for ref in ("STC01", "STC10", "STC11")
        if segment.value(f"{ref}-1")
    )
    return Status(
        codes=codes,
        effective=segment.optional_date("STC02"),
        action=segment.value("STC03"),
        amount=segment.optional_money("STC04"),
        message=segment.text("STC12"),
        position=segment.position,
    )


def _statuses(segments: Sequence[Segment]) -> tuple[Status, ...]:
    return tuple(_status(segment) for segment in segments if segment.id == "STC")


class _Counts(TypedDict):
    """The claims a level (2200B, 2200C) accepted and rejected: how many, and their charges."""

    accepted_quantity: int | None
    rejected_quantity: int | None
    accepted_amount: Decimal | None  # AMT*YU
    rejected_amount: Decimal | None  # AMT*YY


def _counts(segments: Sequence[Segment], accepted: str, rejected: str) -> _Counts:
    """The counts of a level whose QTY qualifiers are ``accepted`` and ``rejected``."""
    return _Counts(
        accepted_quantity=_quantity(segments, accepted),
        rejected_quantity=_quantity(segments, rejected),
        accepted_amount=_amount(segments, "YU"),
        rejected_amount=_amount(segments, "YY"),
    )


def _quantity(segments: Sequence[Segment], qualifier: str) -> int | None:
    found = find(segments, "QTY", qualifier)
    if found is None:
        return None
    count = found.optional_number("QTY02")
    if count is None or count != count.to_integral_value():
        raise X12ReadError(found.problem("QTY02", "is not a whole number"))
    return int(count)


def _amount(segments: Sequence[Segment], qualifier: str) -> Decimal | None:
    found = find(segments, "AMT", qualifier)
    return found.money("AMT02") if found else None


def _reference(segments: Sequence[Segment], qualifier: str) -> str | None:
    found = find(segments, "REF", qualifier)
    return found.text("REF02") if found else None


def _line(segments: Sequence[Segment]) -> ServiceLineStatus:
    svc = segments[0]
    day = find(segments, "DTP", "472")
    dates = day.date_range("DTP02", "DTP03") if day else (None, None)
    return ServiceLineStatus(
        **service(svc),
        units=svc.optional_number("SVC07"),
        statuses=_statuses(segments),
        line_control_number=_reference(segments, "FJ"),
        service_from=dates[0],
        service_to=dates[1],
        position=svc.position,
    )


def _claim(segments: Sequence[Segment], patient: Patient) -> ClaimStatus:
    trn = segments[0]
    own = [s for s in segments if s.loop == "2200D"]
    service_from, service_to = first(own, "DTP", "472").date_range("DTP02", "DTP03")
    lines = [s for s in segments if s.loop == "2220D"]
    return ClaimStatus(
        claim_number=trn.value("TRN02"),
        payer_claim_control_number=_reference(own, "1K"),
        clearinghouse_trace=_reference(own, "D9"),
        patient=patient,
        statuses=_statuses(own),
        service_from=service_from,
        service_to=service_to,
        lines=tuple(_line(run) for run in runs(lines, "SVC") if run),
        position=trn.position,
    )


def _patient_claims(segments: Sequence[Segment]) -> list[ClaimStatus]:
    patient = Patient.from_nm1(first(segments, "NM1"))
    claims = [s for s in segments if s.loop in ("2200D", "2220D")]
    return [_claim(run, patient) for run in runs(claims, "TRN") if run]


def _provider(segments: Sequence[Segment], patients: list[list[Segment]]) -> ProviderStatus:
    nm1 = first(segments, "NM1")
    own = [s for s in segments if s.loop == "2200C"]
    return ProviderStatus(
        name=nm1.value("NM103"),
        id_qualifier=nm1.value("NM108"),
        id=nm1.value("NM109"),
        trace=first(own, "TRN").value("TRN02"),
        statuses=_statuses(own),
        **_counts(own, accepted="QA", rejected="QC"),
        claims=tuple(claim for block in patients for claim in _patient_claims(block)),
        position=segments[0].position,
    )


def _acknowledgment(
    group: Segment, st: Segment, bht: Segment, blocks: list[list[Segment]]
) -> ClaimAcknowledgment:
    """One 2000A block followed by its 2000B, 2000C and 2000D blocks, in file order."""
    source = blocks[0]
    if len(blocks) < 2 or blocks[1][0].value("HL03") != "21":
        raise X12ReadError(
            source[0].problem(None, "the information source has no information receiver (2000B)")
        )
    receiver = blocks[1]
    providers: list[tuple[list[Segment], list[list[Segment]]]] = []
    for block in blocks[2:]:
        if block[0].value("HL03") == "19":
            providers.append((block, []))
        elif providers:
            providers[-1][1].append(block)
    source_nm1 = first(source, "NM1")
    receiver_nm1 = first(receiver, "NM1")
    receiver_own = [s for s in receiver if s.loop == "2200B"]
    return ClaimAcknowledgment(
        control_number=st.value("ST02"),
        group_control_number=group.value("GS06"),
        reference=bht.value("BHT03"),
        created=bht.date("BHT04"),
        source_name=source_nm1.value("NM103"),
        source_id=source_nm1.value("NM109"),
        source_trace=first(source, "TRN").value("TRN02"),
        received=first(source, "DTP", "050").date("DTP03"),
        processed=first(source, "DTP", "009").date("DTP03"),
        receiver_name=receiver_nm1.value("NM103"),
        receiver_id=receiver_nm1.value("NM109"),
        receiver_trace=first(receiver_own, "TRN").value("TRN02"),
        receiver_statuses=_statuses(receiver_own),
        **_counts(receiver_own, accepted="90", rejected="AA"),
        providers=tuple(_provider(block, patients) for block, patients in providers),
        position=source[0].position,
    )


def _transaction(group: Segment, segments: Sequence[Segment]) -> list[ClaimAcknowledgment]:
    st, bht = segments[0], first(segments, "BHT")
    hierarchy = [s for s in segments if s.loop.startswith(("2000", "2100", "2200", "2220"))]
    blocks = [block for block in runs(hierarchy, "HL") if block and block[0].id == "HL"]
    sources: list[list[list[Segment]]] = []
    for block in blocks:
        if block[0].value("HL03") == "20":
            sources.append([])
        if sources:
            sources[-1].append(block)
    return [_acknowledgment(group, st, bht, source) for source in sources]


def read_277ca(data: bytes) -> ClaimAcknowledgmentFile:
    """Every claim acknowledgment in a 277CA file; `X12ReadError` if it is refused."""
    document = read_document(data, TransactionSet.CLAIM_ACK_277)
    return ClaimAcknowledgmentFile(
        interchange=document.interchange,
        acknowledgments=tuple(
            ack
            for group, segments in document.transaction_sets()
            for ack in _transaction(group, segments)
        ),
    )
