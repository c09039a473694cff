"""Reading an X12 interchange with pyx12.

pyx12 splits the file into segments, checks it against the implementation guide's map
(`x12n_document`) and says which loop of the map each segment belongs to. This module
turns what pyx12 reports into `Segment` values for the transaction readers, and every
problem it finds into one `X12ReadError` naming the segment and element.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, TypedDict, TypeVar

import pyx12.errors
import pyx12.params
import pyx12.rawx12file
import pyx12.segment
import pyx12.x12n_document

from billing.inbound.codes import read_code_list
from billing.inbound.errors import Problem, X12ReadError

# pyx12 logs each problem with the offending value, which can be a patient's name or
# member ID. Its records stop at this logger; problems reach callers as X12ReadError.
_PYX12_LOG = logging.getLogger("pyx12")
_PYX12_LOG.addHandler(logging.NullHandler())
_PYX12_LOG.propagate = False


class TransactionSet(StrEnum):
    """The transaction sets the app reads (ST01)."""

    ACK_999 = "999"
    CLAIM_ACK_277 = "277"
    REMITTANCE_835 = "835"


# The implementation guides (GS08) each transaction set is read under.
GUIDES: dict[TransactionSet, frozenset[str]] = {
    TransactionSet.ACK_999: frozenset({"005010X231A1", "005010X231"}),
    TransactionSet.CLAIM_ACK_277: frozenset({"005010X214"}),
    TransactionSet.REMITTANCE_835: frozenset({"005010X221A1"}),
}

_T = TypeVar("_T")

_KINDS = {
    "999": "a 999 (implementation acknowledgment)",
    "277": "a 277CA (claim acknowledgment)",
    "835": "an 835 (remittance advice)",
    "837": "an 837 (health care claim)",
    "997": "a 997 (functional acknowledgment)",
    "276": "a 276 (claim status request)",
    "270": "a 270 (eligibility inquiry)",
    "271": "a 271 (eligibility response)",
}

_ISA_LENGTH = 106
CENT = Decimal("0.01")
_SUPPORTED_VERSION = "00501"


def _kind(st01: str) -> str:
    return _KINDS.get(st01, f"transaction set {st01[:6]!r}")


@dataclass(frozen=True)
class Interchange:
    """The ISA envelope: who sent the file to whom, and its control number."""

    sender_qualifier: str
    sender_id: str
    receiver_qualifier: str
    receiver_id: str
    control_number: str
    date: date
    time: time
    usage: str  # ISA15: P production, T test

    @property
    def is_production(self) -> bool:
        return self.usage == "P"


@dataclass(frozen=True)
class Segment:
    """One segment as pyx12 read it, with its number in the file and its map path.

    ``path`` is pyx12's path of the segment in the guide's map, for example
    ``/ISA_LOOP/GS_LOOP/ST_LOOP/DETAIL/2000/2100/CLP``; ``loop`` is its last loop.
    """

    position: int
    id: str
    path: str
    data: pyx12.segment.Segment = field(repr=False, compare=False)

    @property
    def loop(self) -> str:
        parts = self.path.split("/")
        return parts[-2] if len(parts) > 2 else ""

    def value(self, ref: str) -> str:
        """The element or component at ``ref`` (``"CLP04"``, ``"SVC01-2"``), "" if absent."""
        return self.data.get_value(ref) or ""

    def problem(self, ref: str | None, message: str) -> Problem:
        return Problem(message, segment_id=self.id, position=self.position, element=ref)

    def text(self, ref: str) -> str | None:
        return self.value(ref) or None

    def values(self, refs: Iterable[str]) -> tuple[str, ...]:
        """The values at ``refs`` that are not empty, in order (a list of codes, modifiers)."""
        return tuple(code for code in (self.value(ref) for ref in refs) if code)

    def optional_number(self, ref: str) -> Decimal | None:
        raw = self.value(ref)
        if not raw:
            return None
        try:
            found = Decimal(raw)
        except InvalidOperation:
            raise X12ReadError(self.problem(ref, "is not a number")) from None
        if not found.is_finite():
            raise X12ReadError(self.problem(ref, "is not a number"))
        return found

    def _required(self, found: _T | None, ref: str, missing: str) -> _T:
        if found is None:
            raise X12ReadError(self.problem(ref, missing))
        return found

    def money(self, ref: str) -> Decimal:
        return self._required(self.optional_money(ref), ref, "the amount is missing")

    def optional_money(self, ref: str) -> Decimal | None:
        """An amount in dollars and cents; more precision than a cent is refused."""
        found = self.optional_number(ref)
        if found is None:
            return None
        try:
            cents = found.quantize(CENT)
        except InvalidOperation:
            raise X12ReadError(self.problem(ref, "is not an amount of money")) from None
        if cents != found:
            raise X12ReadError(self.problem(ref, "has more than two decimal places"))
        return cents

    def date(self, ref: str) -> date:
        return self._required(self.optional_date(ref), ref, "the date is missing")

    def optional_date(self, ref: str) -> dt.date | None:
        raw = self.value(ref)
        if not raw:
            return None
        try:
            return datetime.strptime(raw, "%Y%m%d").date()
        except ValueError:
            raise X12ReadError(self.problem(ref, "is not a date (CCYYMMDD)")) from None

    def date_range(self, qualifier_ref: str, value_ref: str) -> tuple[dt.date, dt.date]:
        """A D8 date or an RD8 range (``CCYYMMDD-CCYYMMDD``) as (first, last)."""
        raw = self.value(value_ref)
        parts = raw.split("-") if self.value(qualifier_ref) == "RD8" else [raw]
        try:
            days = [datetime.strptime(part, "%Y%m%d").date() for part in parts]
        except ValueError:
            raise X12ReadError(self.problem(value_ref, "is not a date or date range")) from None
        if len(days) not in (1, 2) or days[0] > days[-1]:
            raise X12ReadError(self.problem(value_ref, "is not a date or date range"))
        return days[0], days[-1]


def find(segments: Sequence[Segment], seg_id: str, qualifier: str | None = None) -> Segment | None:
    """The first segment ``seg_id`` (whose first element is ``qualifier``, if given)."""
    for segment in segments:
        if segment.id == seg_id and (qualifier is None or segment.value("01") == qualifier):
            return segment
    return None


def first(segments: Sequence[Segment], seg_id: str, qualifier: str | None = None) -> Segment:
    """As `find`, for a segment the guide requires: its absence refuses the file."""
    found = find(segments, seg_id, qualifier)
    if found is None:
        name = f"{seg_id}*{qualifier}" if qualifier else seg_id
        raise X12ReadError(
            Problem(
                f"the required {name} segment is missing",
                segment_id=seg_id,
                position=segments[0].position if segments else None,
            )
        )
    return found


def runs(segments: Sequence[Segment], starts: str) -> list[list[Segment]]:
    """``segments`` cut where a segment with id ``starts`` begins a new run (a loop repeat)."""
    found: list[list[Segment]] = []
    for segment in segments:
        if segment.id == starts or not found:
            found.append([])
        found[-1].append(segment)
    return found


class Service(TypedDict):
    """The procedure a service line (SVC) names, and its charge."""

    qualifier: str  # SVC01-1, "HC" for CPT/HCPCS
    procedure: str  # SVC01-2
    modifiers: tuple[str, ...]  # SVC01-3 to -6
    charge: Decimal  # SVC02


def service(svc: Segment) -> Service:
    """What an SVC says of the procedure, as the 835 (2110) and the 277CA (2220D) both give it."""
    return Service(
        qualifier=svc.value("SVC01-1"),
        procedure=svc.value("SVC01-2"),
        modifiers=svc.values(f"SVC01-{i}" for i in range(3, 7)),
        charge=svc.money("SVC02"),
    )


@dataclass(frozen=True)
class Patient:
    """The patient's NM1 (NM101 ``QC``) as the payer has it."""

    last_name: str | None  # NM103
    first_name: str | None  # NM104
    id_qualifier: str | None  # NM108: MI member ID, II, ...
    id: str | None  # NM109

    @classmethod
    def from_nm1(cls, nm1: Segment | None) -> Patient:
        if nm1 is None:
            return cls(last_name=None, first_name=None, id_qualifier=None, id=None)
        return cls(
            last_name=nm1.text("NM103"),
            first_name=nm1.text("NM104"),
            id_qualifier=nm1.text("NM108"),
            id=nm1.text("NM109"),
        )


@dataclass(frozen=True)
class Document:
    """A validated interchange: its envelope and every segment in file order."""

    interchange: Interchange
    segments: tuple[Segment, ...]

    def transaction_sets(self) -> Iterator[tuple[Segment, tuple[Segment, ...]]]:
        """Each ST with the segments from it to its SE, and the GS it sits in."""
        group: Segment | None = None
        start: int | None = None
        for index, segment in enumerate(self.segments):
            if segment.id == "GS":
                group = segment
            elif segment.id == "ST":
                start = index
            elif segment.id == "SE" and start is not None and group is not None:
                yield group, self.segments[start : index + 1]
                start = None


@dataclass(frozen=True)
class _Header:
    position: int
    st01: str
    gs_position: int | None
    gs08: str


def _text(data: bytes) -> str:
    raw = bytes(data)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise X12ReadError(
            Problem(
                f"byte {exc.start + 1} (0x{raw[exc.start]:02X}) is not text: an X12 file is "
                "plain text, and this looks like a binary file"
            )
        ) from None
    text = text.lstrip()
    if not text:
        raise X12ReadError(Problem("the file is empty"))
    return text


def _isa_problem(text: str) -> Problem | None:
    if not text.startswith("ISA"):
        return Problem(
            "the file does not begin with an ISA segment (interchange header): "
            "it is not an X12 file",
            segment_id="ISA",
            position=1,
        )
    if len(text) < _ISA_LENGTH:
        return Problem(
            f"the ISA segment (interchange header) is cut short: it must be {_ISA_LENGTH} "
            f"characters and the file has {len(text)}",
            segment_id="ISA",
            position=1,
        )
    if text[84:89] != _SUPPORTED_VERSION:
        return Problem(
            f"the interchange version is not {_SUPPORTED_VERSION} (5010)",
            segment_id="ISA",
            position=1,
            element="ISA12",
        )
    separators = {text[3], text[104], text[105]}
    if len(separators) != 3 or any(c.isalnum() or c == " " for c in separators):
        return Problem(
            "the ISA segment does not give three distinct separators "
            "(element, component and segment)",
            segment_id="ISA",
            position=1,
            element="ISA16",
        )
    return None


def _isa_date(segment: pyx12.segment.Segment) -> tuple[date, time]:
    try:
        stamp = datetime.strptime(
            f"{segment.get_value('ISA09')}{segment.get_value('ISA10')}", "%y%m%d%H%M"
        )
    except ValueError:
        raise X12ReadError(
            Problem(
                "the interchange date and time are not YYMMDD and HHMM",
                segment_id="ISA",
                position=1,
                element="ISA09",
            )
        ) from None
    return stamp.date(), stamp.time()


_HEADERS = {"ISA": None, "GS": "ISA", "ST": "GS"}
_TRAILERS = {"SE": "ST", "GE": "GS", "IEA": "ISA"}
_TRAILER_OF = {header: trailer for trailer, header in _TRAILERS.items()}
_NAMES = {
    "ISA": "interchange header",
    "GS": "functional group header",
    "ST": "transaction set header",
    "SE": "transaction set trailer",
    "GE": "functional group trailer",
    "IEA": "interchange trailer",
}


def _nesting_problem(open_loops: list[str], segment: pyx12.segment.Segment) -> str | None:
    """What is wrong with where ``segment`` stands among the ISA/GS/ST envelopes, if anything.

    pyx12 follows the envelopes as well, but fails with an IndexError on a trailer that
    closes nothing, so the nesting is checked before pyx12 reads the file.
    """
    seg_id = segment.get_seg_id() or ""
    innermost = open_loops[-1] if open_loops else None
    if seg_id in _HEADERS:
        parent = _HEADERS[seg_id]
        if innermost != parent:
            inside = f"inside a {parent} ({_NAMES[parent]})" if parent else "first in the file"
            return f"the {_NAMES[seg_id]} must come {inside}"
    elif seg_id in _TRAILERS:
        header = _TRAILERS[seg_id]
        if innermost != header:
            return f"the {_NAMES[seg_id]} closes a {header} that is not open"
    elif innermost != "ST":
        return "the segment stands outside a transaction set (between ST and SE)"
    return None


def _is_count(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _count_problem(segment: pyx12.segment.Segment) -> str | None:
    seg_id = segment.get_seg_id() or ""
    if seg_id in _TRAILERS and not _is_count(segment.get_value(f"{seg_id}01") or ""):
        return f"{seg_id}01 must be a count"
    return None


@dataclass(frozen=True)
class _Envelope:
    interchange: Interchange
    headers: tuple[_Header, ...]
    segment_ids: tuple[str, ...]  # every segment's id, in file order


def _envelope(text: str) -> _Envelope:
    """The ISA, the ST01 of each transaction set and the segment ids, without the map."""
    problem = _isa_problem(text)
    if problem is not None:
        raise X12ReadError(problem)
    raw = pyx12.rawx12file.RawX12File(io.StringIO(text))
    seg_term, ele_term, subele_term, _, repetition = raw.get_term()
    interchange: Interchange | None = None
    headers: list[_Header] = []
    open_loops: list[str] = []
    ids: list[str] = []
    gs_position: int | None = None
    gs08 = ""
    position = 0
    for position, line in enumerate(raw, start=1):
        segment = pyx12.segment.Segment(
            line.lstrip(), seg_term, ele_term, subele_term, repetition or "^"
        )
        seg_id = segment.get_seg_id() or ""
        ids.append(seg_id)
        wrong = _nesting_problem(open_loops, segment)
        if wrong is not None:
            raise X12ReadError(Problem(wrong, segment_id=seg_id, position=position))
        wrong_count = _count_problem(segment)
        if wrong_count is not None:
            raise X12ReadError(
                Problem(wrong_count, segment_id=seg_id, position=position, element=f"{seg_id}01")
            )
        if seg_id in _HEADERS:
            open_loops.append(seg_id)
        elif seg_id in _TRAILERS:
            open_loops.pop()
        if seg_id == "ISA":
            if interchange is not None:
                raise X12ReadError(
                    Problem(
                        "the file holds more than one interchange (ISA); "
                        "each must come in a file of its own",
                        segment_id="ISA",
                        position=position,
                    )
                )
            interchange = _interchange(segment)
        elif seg_id == "GS":
            gs_position, gs08 = position, segment.get_value("GS08") or ""
        elif seg_id == "ST":
            headers.append(_Header(position, segment.get_value("ST01") or "", gs_position, gs08))
    rest = raw.buffer.strip()
    if rest:
        # pyx12 stops at an empty segment and drops an unterminated last one.
        if seg_term in rest:
            raise X12ReadError(
                Problem(
                    "the file has an empty segment (two segment terminators in a row)",
                    position=position + 1,
                )
            )
        partial = rest.split(ele_term)[0]
        raise X12ReadError(
            Problem(
                "the file ends in the middle of a segment: it is truncated",
                segment_id=partial if re.fullmatch(r"[A-Z][A-Z0-9]{1,2}", partial) else None,
                position=position + 1,
            )
        )
    if open_loops:
        trailer = _TRAILER_OF[open_loops[-1]]
        raise X12ReadError(
            Problem(
                f"the file ends before the {_NAMES[trailer]} ({trailer}): it is truncated",
                segment_id=trailer,
                position=position + 1,
            )
        )
    if interchange is None:
        raise X12ReadError(Problem("the file has no ISA segment", segment_id="ISA", position=1))
    if not headers:
        raise X12ReadError(
            Problem("the file holds no transaction set (no ST segment)", segment_id="ST")
        )
    return _Envelope(interchange, tuple(headers), tuple(ids))


def _interchange(segment: pyx12.segment.Segment) -> Interchange:
    if len(segment) != 16:
        raise X12ReadError(
            Problem(
                "the ISA segment (interchange header) does not have its 16 elements",
                segment_id="ISA",
                position=1,
            )
        )
    day, clock = _isa_date(segment)
    return Interchange(
        sender_qualifier=segment.get_value("ISA05") or "",
        sender_id=(segment.get_value("ISA06") or "").strip(),
        receiver_qualifier=segment.get_value("ISA07") or "",
        receiver_id=(segment.get_value("ISA08") or "").strip(),
        control_number=segment.get_value("ISA13") or "",
        date=day,
        time=clock,
        usage=segment.get_value("ISA15") or "",
    )


def sniff(data: bytes) -> TransactionSet:
    """Which transaction set the file holds (its ST01), for routing an upload.

    Reads only the envelope: the reader for that transaction set validates the file.
    """
    headers = _envelope(_text(data)).headers
    first = headers[0]
    for header in headers:
        if header.st01 not in TransactionSet.__members__.values():
            raise X12ReadError(
                Problem(
                    f"this file holds {_kind(header.st01)}; only 999, 277CA and 835 files are read",
                    segment_id="ST",
                    position=header.position,
                    element="ST01",
                )
            )
        if header.st01 != first.st01:
            raise X12ReadError(
                Problem(
                    f"this file mixes {_kind(first.st01)} and {_kind(header.st01)}; "
                    "each must come in a file of its own",
                    segment_id="ST",
                    position=header.position,
                    element="ST01",
                )
            )
    return TransactionSet(first.st01)


def _check_kind(headers: Sequence[_Header], expect: TransactionSet) -> None:
    for header in headers:
        if header.st01 != expect:
            raise X12ReadError(
                Problem(
                    f"this file holds {_kind(header.st01)}, not {_kind(expect)}",
                    segment_id="ST",
                    position=header.position,
                    element="ST01",
                )
            )
        if header.gs08 not in GUIDES[expect]:
            raise X12ReadError(
                Problem(
                    f"the functional group follows implementation guide {header.gs08[:12]!r}; "
                    f"{_kind(expect)} is read under {' or '.join(sorted(GUIDES[expect]))}",
                    segment_id="GS",
                    position=header.gs_position,
                    element="GS08",
                )
            )


# --- what pyx12 found wrong ---------------------------------------------------------

# Interchange, group and transaction set errors: pyx12's code -> (segment, element,
# message). The trailers are named where pyx12 notices they are missing or wrong.
_ISA_ERRORS = {
    "001": ("IEA", "IEA02", "the interchange control numbers in ISA13 and IEA02 differ"),
    "021": ("IEA", "IEA01", "IEA01 does not match the number of functional groups"),
    "023": ("IEA", None, "the file ends without its IEA (interchange trailer): it is truncated"),
    "024": ("GE", None, "a functional group ends without its GE (group trailer)"),
    "025": ("ISA", "ISA13", "the interchange control number is not unique in the file"),
}
_GS_ERRORS = {
    "3": ("GE", None, "the functional group ends without its GE (group trailer)"),
    "4": ("GE", "GE02", "the group control numbers in GS06 and GE02 differ"),
    "5": ("GE", "GE01", "GE01 does not match the number of transaction sets in the group"),
    "6": ("GS", "GS06", "the group control number is not unique in the interchange"),
}
_ST_ERRORS = {
    "1": ("ST", "ST01", "the transaction set is not supported"),
    "2": ("SE", None, "the transaction set ends without its SE (trailer): it is truncated"),
    "3": ("SE", "SE02", "the control numbers in ST02 and SE02 differ"),
    "4": ("SE", "SE01", "SE01 does not match the number of segments in the transaction set"),
    "23": ("ST", "ST02", "the transaction set control number is not unique in the group"),
}
_MISSING = re.compile(r'Mandatory (?:segment|loop) "[^"]*" \((\w+)\) missing')
_MISSING_TRAILERS = {("isa", "023"), ("isa", "024"), ("gs", "3"), ("st", "2")}
_TRAILER_ORDER = {"SE": 0, "GE": 1, "IEA": 2}


def _last_position(segments: Sequence[Segment], seg_id: str) -> int | None:
    for segment in reversed(segments):
        if segment.id == seg_id:
            return segment.position
    return None


def _envelope_problem(
    level: str, error: dict[str, Any], segments: Sequence[Segment]
) -> tuple[bool, Problem]:
    table = {"isa": _ISA_ERRORS, "gs": _GS_ERRORS, "st": _ST_ERRORS}[level]
    code = str(error.get("err_cde", ""))
    seg_id, element, message = table.get(
        code, ({"isa": "ISA", "gs": "GS", "st": "ST"}[level], None, str(error.get("err_str")))
    )
    missing = (level, code) in _MISSING_TRAILERS
    position = None if missing else _last_position(segments, seg_id)
    if missing:
        position = (segments[-1].position + 1) if segments else None
    return missing, Problem(message, segment_id=seg_id, position=position, element=element)


def _element_ref(seg_id: str, element: dict[str, Any]) -> str:
    ref = f"{seg_id}{int(element['ele_pos']):02d}"
    if element.get("subele_pos"):
        ref += f"-{int(element['subele_pos'])}"
    return ref


def _is_map_erratum(seg_id: str, code: str, text: str) -> bool:
    """A report of pyx12's map that the implementation guide contradicts.

    The 835 guide lets the PLB segment repeat in its footer (repeat >1); pyx12 counts
    each PLB as a new footer loop and reports the second as one loop too many.
    """
    return seg_id == "PLB" and code == "4" and text.startswith("Loop FOOTER exceeded")


def _segment_problems(found: dict[str, Any], words: dict[str, str]) -> Iterator[Problem]:
    seg_id = str(found.get("seg_id") or "")
    position = found.get("cur_line")
    segment_words = _SEGMENT_ERRORS
    for error in found.get("errors", []):
        code = str(error.get("err_cde"))
        text = str(error.get("err_str") or "")
        if _is_map_erratum(seg_id, code, text):
            continue
        missing = _MISSING.search(text)
        if missing:
            yield Problem(text, segment_id=missing.group(1), position=position)
        elif code in ("4", "5"):
            yield Problem(text, segment_id=seg_id, position=position)
        else:
            yield Problem(segment_words.get(code, text), segment_id=seg_id, position=position)
    for element in found.get("elements", []):
        ref = _element_ref(seg_id, element)
        for error in element.get("errors", []):
            code = str(error.get("err_cde"))
            message = words.get(code, "invalid value").capitalize()
            yield Problem(
                f"{message} ({element.get('name')})",
                segment_id=seg_id,
                position=position,
                element=ref,
            )


_SEGMENT_ERRORS = {
    "1": "segment not expected here: it is not in the implementation guide at this place",
    "2": "segment not used by the implementation guide",
    "8": "segment has data element errors",
}


def _problems(report: dict[str, Any], segments: Sequence[Segment]) -> list[Problem]:
    """What pyx12's JSON report finds wrong, without the errata of its maps."""
    words = read_code_list("element_error")
    truncated: list[Problem] = []
    others: list[Problem] = []

    def envelope(level: str, errors: list[dict[str, Any]]) -> None:
        for error in errors:
            missing, problem = _envelope_problem(level, error, segments)
            (truncated if missing else others).append(problem)

    for interchange in report.get("interchanges", []):
        envelope("isa", interchange.get("errors", []))
        for group in interchange.get("groups", []):
            envelope("gs", group.get("errors", []))
            for transaction in group.get("transactions", []):
                envelope("st", transaction.get("errors", []))
                for found in transaction.get("segments", []):
                    others.extend(_segment_problems(found, words))
    # The innermost missing trailer first: the SE, then the GE, then the IEA.
    truncated.sort(key=lambda p: _TRAILER_ORDER.get(p.segment_id or "", 0))
    others.sort(key=lambda p: (p.position is None, p.position or 0))
    return truncated + others


def _only_errata(report: dict[str, Any]) -> bool:
    """Whether every error pyx12 reported is an erratum of its maps (and there is one)."""
    errata = 0
    for interchange in report.get("interchanges", []):
        for group in interchange.get("groups", []):
            for transaction in group.get("transactions", []):
                for found in transaction.get("segments", []):
                    for error in found.get("errors", []):
                        seg_id, code = str(found.get("seg_id")), str(error.get("err_cde"))
                        text = str(error.get("err_str") or "")
                        errata += _is_map_erratum(seg_id, code, text)
    return errata > 0


def _validate(text: str, ids: Sequence[str]) -> tuple[Segment, ...]:
    segments: list[Segment] = []

    def collect(seg: pyx12.segment.Segment, src: Any, node: Any, valid: bool) -> None:
        segments.append(
            Segment(
                position=src.get_cur_line(),
                id=seg.get_seg_id() or "",
                path=node.get_path(),
                data=seg,
            )
        )

    report = io.StringIO()
    try:
        valid = pyx12.x12n_document.x12n_document(
            param=pyx12.params.ParamsBase(),
            src_file=io.StringIO(text),
            fd_997=None,
            fd_html=None,
            fd_json=report,
            callback=collect,
        )
    except (
        pyx12.errors.EngineError,
        pyx12.errors.X12Error,
        ArithmeticError,
        AttributeError,
        LookupError,
        TypeError,
        ValueError,
    ):
        # pyx12 reads files from outside; where it fails on a malformed segment instead of
        # reporting it, the file is refused at the segment it could not get past.
        position = segments[-1].position + 1 if segments else 1
        raise X12ReadError(
            Problem(
                "the segment is malformed: it cannot be checked against the implementation guide",
                segment_id=ids[position - 1] if position <= len(ids) else None,
                position=position,
            )
        ) from None
    if [segment.id for segment in segments] != list(ids):
        raise X12ReadError(Problem("not every segment of the file could be followed"))
    found = json.loads(report.getvalue() or "{}")
    problems = _problems(found, segments)
    if not valid and not problems and not _only_errata(found):
        problems = [Problem("the file does not follow its implementation guide")]
    if problems:
        raise X12ReadError(problems)
    return tuple(segments)


def read_document(data: bytes, expect: TransactionSet) -> Document:
    """The file's segments, after checking it holds ``expect`` and pyx12 finds it valid."""
    text = _text(data)
    envelope = _envelope(text)
    _check_kind(envelope.headers, expect)
    segments = _validate(text, envelope.segment_ids)
    return Document(interchange=envelope.interchange, segments=segments)
