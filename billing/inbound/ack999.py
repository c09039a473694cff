"""The 999 implementation acknowledgment (005010X231A1) of an exported 837P.

A 999 answers one functional group (AK1: its GS06) and each transaction set in it
(AK2: its ST02): accepted, accepted with errors or rejected (IK5, AK9), with the
segments (IK3) and elements (IK4) at fault. Codes are returned as codes; the
``segment_error``, ``element_error``, ``acknowledgment_code``,
``transaction_set_error`` and ``group_error`` code lists put them in words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from billing.inbound.errors import X12ReadError
from billing.inbound.reading import Interchange, Segment, TransactionSet, read_document


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    ACCEPTED_WITH_ERRORS = "accepted_with_errors"
    PARTIALLY_ACCEPTED = "partially_accepted"
    REJECTED = "rejected"


# IK501 and AK901 (acknowledgment code, data element 717).
_OUTCOMES = {
    "A": Outcome.ACCEPTED,
    "E": Outcome.ACCEPTED_WITH_ERRORS,
    "P": Outcome.PARTIALLY_ACCEPTED,
    "M": Outcome.REJECTED,
    "R": Outcome.REJECTED,
    "W": Outcome.REJECTED,
    "X": Outcome.REJECTED,
}


@dataclass(frozen=True)
class ElementError:
    """IK4: an element of the acknowledged transaction set in error."""

    element: str  # the element named as usual, e.g. "NM109" or "CLM05-3"
    position: int  # IK401-1
    component: int | None  # IK401-2
    repetition: int | None  # IK401-3
    reference_number: str | None  # IK402: the data element's number in the dictionary
    code: str  # IK403: element syntax error code (list "element_error")
    bad_value: str | None  # IK404


@dataclass(frozen=True)
class SegmentError:
    """IK3: a segment of the acknowledged transaction set in error."""

    segment_id: str  # IK301
    position: int  # IK302: the segment's number counted from the acknowledged ST
    loop: str | None  # IK303
    code: str | None  # IK304: segment syntax error code (list "segment_error")
    claim_number: str | None  # CTX*CLM01: the claim (CLM01) the segment belongs to
    elements: tuple[ElementError, ...]


class _Answer:
    """An IK5 or AK9 answer: its code (list "acknowledgment_code") as an outcome."""

    code: str

    @property
    def outcome(self) -> Outcome:
        return _OUTCOMES[self.code]

    @property
    def accepted(self) -> bool:
        return self.outcome in (Outcome.ACCEPTED, Outcome.ACCEPTED_WITH_ERRORS)


@dataclass(frozen=True)
class TransactionSetResponse(_Answer):
    """AK2 to IK5: the answer for one transaction set of the acknowledged group."""

    transaction_set: str  # AK201, "837"
    control_number: str  # AK202: ST02 of the acknowledged transaction set
    implementation: str | None  # AK203
    code: str  # IK501 (list "acknowledgment_code")
    errors: tuple[str, ...]  # IK502-IK506 (list "transaction_set_error")
    segment_errors: tuple[SegmentError, ...]


@dataclass(frozen=True)
class FunctionalGroupResponse(_Answer):
    """One 999 transaction set: the answer for one functional group."""

    control_number: str  # ST02 of the 999
    group_control_number: str  # GS06 of the 999's own group
    functional_id: str  # AK101, "HC" for an 837
    acknowledged_group: str  # AK102: GS06 of the acknowledged group
    version: str  # AK103
    transaction_sets: tuple[TransactionSetResponse, ...]
    code: str  # AK901 (list "acknowledgment_code")
    included: int  # AK902
    received: int  # AK903
    accepted_count: int  # AK904
    errors: tuple[str, ...]  # AK905-AK909 (list "group_error")
    position: int  # the ST's number in the file


@dataclass(frozen=True)
class AcknowledgmentFile:
    interchange: Interchange
    responses: tuple[FunctionalGroupResponse, ...]


def _int(segment: Segment, ref: str) -> int:
    raw = segment.value(ref)
    if not (raw.isascii() and raw.isdigit()):
        raise X12ReadError(segment.problem(ref, "is not a whole number"))
    return int(raw)


def _optional_int(segment: Segment, ref: str) -> int | None:
    return _int(segment, ref) if segment.value(ref) else None


def _codes(segment: Segment, first: int, last: int) -> tuple[str, ...]:
    return segment.values(f"{segment.id}{index:02d}" for index in range(first, last + 1))


def _element_error(segment: Segment, owner: str) -> ElementError:
    position = _int(segment, "IK401-1")
    component = _optional_int(segment, "IK401-2")
    element = f"{owner}{position:02d}" + (f"-{component}" if component else "")
    return ElementError(
        element=element,
        position=position,
        component=component,
        repetition=_optional_int(segment, "IK401-3"),
        reference_number=segment.text("IK402"),
        code=segment.value("IK403"),
        bad_value=segment.text("IK404"),
    )


def _segment_errors(segments: Sequence[Segment]) -> tuple[SegmentError, ...]:
    found: list[SegmentError] = []
    for index, segment in enumerate(segments):
        if segment.id != "IK3":
            continue
        claim_number: str | None = None
        elements: list[ElementError] = []
        for following in segments[index + 1 :]:
            if following.id in ("IK3", "IK5"):
                break
            if following.id == "CTX" and following.loop == "2100":
                if following.value("CTX01-1") == "CLM01":
                    claim_number = following.text("CTX01-2")
            elif following.id == "IK4":
                elements.append(_element_error(following, segment.value("IK301")))
        found.append(
            SegmentError(
                segment_id=segment.value("IK301"),
                position=_int(segment, "IK302"),
                loop=segment.text("IK303"),
                code=segment.text("IK304"),
                claim_number=claim_number,
                elements=tuple(elements),
            )
        )
    return tuple(found)


def _responses(segments: Sequence[Segment]) -> tuple[TransactionSetResponse, ...]:
    found: list[TransactionSetResponse] = []
    start: Segment | None = None
    inside: list[Segment] = []
    for segment in segments:
        if segment.id == "AK2":
            start, inside = segment, []
        elif segment.id == "IK5" and start is not None:
            found.append(
                TransactionSetResponse(
                    transaction_set=start.value("AK201"),
                    control_number=start.value("AK202"),
                    implementation=start.text("AK203"),
                    code=segment.value("IK501"),
                    errors=_codes(segment, 2, 6),
                    segment_errors=_segment_errors(inside),
                )
            )
            start = None
        elif start is not None:
            inside.append(segment)
    return tuple(found)


def _response(group: Segment, segments: Sequence[Segment]) -> FunctionalGroupResponse:
    by_id = {segment.id: segment for segment in segments if segment.id in ("AK1", "AK9")}
    ak1, ak9, st = by_id["AK1"], by_id["AK9"], segments[0]
    return FunctionalGroupResponse(
        control_number=st.value("ST02"),
        group_control_number=group.value("GS06"),
        functional_id=ak1.value("AK101"),
        acknowledged_group=ak1.value("AK102"),
        version=ak1.value("AK103"),
        transaction_sets=_responses(segments),
        code=ak9.value("AK901"),
        included=_int(ak9, "AK902"),
        received=_int(ak9, "AK903"),
        accepted_count=_int(ak9, "AK904"),
        errors=_codes(ak9, 5, 9),
        position=st.position,
    )


def read_999(data: bytes) -> AcknowledgmentFile:
    """Every functional group response in a 999 file; `X12ReadError` if it is refused."""
    document = read_document(data, TransactionSet.ACK_999)
    return AcknowledgmentFile(
        interchange=document.interchange,
        responses=tuple(_response(group, st) for group, st in document.transaction_sets()),
    )
