"""Turns stored claims into export documents: the X12 837P (via ``billing.x12``) and CSV.

Reads only; ``services.claims_export`` owns the transaction that selects, writes and marks.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TextIO, cast

from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils import timezone

from billing import x12
from billing.models import Claim, ClaimLine, PracticeSettings

CSV_HEADER = [
    "claim_id",
    "date_of_service",
    "payer_code",
    "member_id",
    "patient_mrn",
    "patient_last_name",
    "patient_first_name",
    "line",
    "code",
    "modifiers",
    "units",
    "place_of_service",
    "diagnosis_pointers",
    "diagnoses",
    "charge",
    "claim_total",
    "payer_id",
    "claim_filing_indicator",
    "rendering_npi",
    "ndc",
    "ndc_quantity",
    "ndc_unit",
    # CLM05-3: 1 original, 7 replacement, 8 void; a 7 or 8 names the payer's claim (REF*F8).
    "claim_frequency",
    "payer_claim_control_number",
]


CHUNK_SIZE = 500

# Who is responsible for the claim (SBR01) by the coverage's priority.
RESPONSIBILITY: dict[int, x12.Responsibility] = {1: "P", 2: "S", 3: "T"}

# What the 837P and the CSV read, and nothing more: plain rows, a chunk of claims at a time,
# without a claim's facts and decision JSON or the encounter's documentation.
_CLAIM_COLUMNS = {
    "id": "id",
    "date_of_service": "date_of_service",
    "diagnoses": "diagnoses",
    "total_charge": "total_charge",
    "place_of_service": "encounter__place_of_service",
    "patient_id": "patient_id",
    "mrn": "patient__mrn",
    "last_name": "patient__last_name",
    "first_name": "patient__first_name",
    "date_of_birth": "patient__date_of_birth",
    "sex": "patient__sex",
    "address_line1": "patient__address_line1",
    "address_line2": "patient__address_line2",
    "city": "patient__city",
    "state": "patient__state",
    "postal_code": "patient__postal_code",
    "payer_code": "payer__code",
    "payer_name": "payer__name",
    "payer_program": "payer__program",
    "claim_filing_indicator": "payer__claim_filing_indicator",
    "payer_x12_id": "payer__x12_payer_id",
    "member_id": "coverage__member_id",
    "group_number": "coverage__group_number",
    "priority": "coverage__priority",
    "frequency": "frequency",
    "payer_claim_control_number": "payer_claim_control_number",
}
_LINE_COLUMNS = (
    "claim_id",
    "position",
    "code",
    "modifiers",
    "units",
    "place_of_service",
    "diagnosis_pointers",
    "charge",
    "rendering_npi",
    "rendering_last_name",
    "rendering_first_name",
    "rendering_taxonomy",
    "ndc",
    "ndc_quantity",
    "ndc_unit",
)
# The JSON lists among them, read as text and decoded by _Lists.
_LISTS = frozenset({"diagnoses", "modifiers", "diagnosis_pointers"})


def _selected(columns: Iterable[str]) -> list[str | Cast]:
    return [Cast(c, output_field=TextField()) if c in _LISTS else c for c in columns]


class _Lists:
    """Decodes JSON lists as tuples, each distinct text once: the same few diagnoses,
    modifiers and pointers recur in claim after claim (decoding each one took a tenth of
    an export's CPU)."""

    def __init__(self) -> None:
        self._decoded: dict[str, tuple[Any, ...]] = {}

    def __call__(self, text: str) -> tuple[Any, ...]:
        value = self._decoded.get(text)
        if value is None:
            value = self._decoded[text] = tuple(json.loads(text))
        return value


@dataclass(frozen=True, slots=True)
class ExportLine:
    position: int
    code: str
    modifiers: tuple[str, ...]
    units: int
    place_of_service: str
    diagnosis_pointers: tuple[int, ...]
    # None when the charge master had no charge for the code: the 837P refuses the claim.
    charge: Decimal | None
    rendering_npi: str
    rendering_last_name: str
    rendering_first_name: str
    rendering_taxonomy: str
    ndc: str
    ndc_quantity: Decimal | None
    ndc_unit: str


@dataclass(frozen=True, kw_only=True, slots=True)
class ExportClaim:
    """One claim as the export files see it: the claim, its patient, payer and lines."""

    id: int
    date_of_service: dt.date
    diagnoses: tuple[str, ...]
    total_charge: Decimal
    place_of_service: str
    patient_id: int
    mrn: str
    last_name: str
    first_name: str
    date_of_birth: dt.date
    sex: str
    address_line1: str
    address_line2: str
    city: str
    state: str
    postal_code: str
    payer_code: str | None
    payer_name: str | None
    payer_program: str | None
    claim_filing_indicator: str | None
    payer_x12_id: str | None
    member_id: str | None
    group_number: str | None
    priority: int | None
    lines: tuple[ExportLine, ...]
    frequency: str = "1"
    payer_claim_control_number: str = ""


def claims_for_export(ids: Sequence[int]) -> Iterator[ExportClaim]:
    """The claims with these ids, in the order given, read ``CHUNK_SIZE`` at a time.

    Two queries per chunk (claims, then their lines), so a large export streams in
    bounded memory.
    """
    names = tuple(_CLAIM_COLUMNS)
    claim_columns = _selected(_CLAIM_COLUMNS.values())
    line_columns = _selected(_LINE_COLUMNS)
    modifiers, pointers = (
        _LINE_COLUMNS.index("modifiers"),
        _LINE_COLUMNS.index("diagnosis_pointers"),
    )
    for start in range(0, len(ids), CHUNK_SIZE):
        chunk = ids[start : start + CHUNK_SIZE]
        decoded = _Lists()
        rows = {
            row[0]: row
            # Without the model's ordering: the rows are taken by id.
            for row in Claim.objects.filter(id__in=chunk).order_by().values_list(*claim_columns)
        }
        lines: dict[int, list[ExportLine]] = {}
        for line in (
            # The range repeats what the list says, for the planner: without statistics
            # (lines written in this transaction, a table not yet analyzed) PostgreSQL
            # guesses that the list matches a fifth of all lines and reads them all.
            ClaimLine.objects.filter(
                claim_id__in=chunk, claim_id__gte=min(chunk), claim_id__lte=max(chunk)
            )
            .order_by("claim_id", "position")
            .values_list(*line_columns)
        ):
            values = list(line)
            values[modifiers] = decoded(values[modifiers])
            values[pointers] = decoded(values[pointers])
            lines.setdefault(values[0], []).append(ExportLine(*values[1:]))
        for pk in chunk:
            row = rows.get(pk)
            if row is not None:
                claim = dict(zip(names, row, strict=True))
                claim["diagnoses"] = decoded(claim["diagnoses"])
                yield ExportClaim(**claim, lines=tuple(lines.get(pk, ())))


def export_claim_of(claim: Claim, lines: Sequence[ClaimLine]) -> ExportClaim:
    """A claim not saved yet (with its encounter, patient, payer and coverage loaded) as
    the export reads it, so that it can be checked before it is stored."""
    patient, payer, coverage = claim.patient, claim.payer, claim.coverage
    return ExportClaim(
        id=claim.pk or 0,
        date_of_service=claim.date_of_service,
        diagnoses=tuple(claim.diagnoses),
        total_charge=claim.total_charge,
        place_of_service=claim.encounter.place_of_service,
        patient_id=patient.pk,
        mrn=patient.mrn,
        last_name=patient.last_name,
        first_name=patient.first_name,
        date_of_birth=patient.date_of_birth,
        sex=patient.sex,
        address_line1=patient.address_line1,
        address_line2=patient.address_line2,
        city=patient.city,
        state=patient.state,
        postal_code=patient.postal_code,
        payer_code=payer.code if payer else None,
        payer_name=payer.name if payer else None,
        payer_program=payer.program if payer else None,
        claim_filing_indicator=payer.claim_filing_indicator if payer else None,
        payer_x12_id=payer.x12_payer_id if payer else None,
        member_id=coverage.member_id if coverage else None,
        group_number=coverage.group_number if coverage else None,
        priority=coverage.priority if coverage else None,
        frequency=claim.frequency,
        payer_claim_control_number=claim.payer_claim_control_number,
        lines=tuple(
            ExportLine(
                position=line.position,
                code=line.code,
                modifiers=tuple(line.modifiers),
                units=line.units,
                place_of_service=line.place_of_service,
                diagnosis_pointers=tuple(line.diagnosis_pointers),
                charge=line.charge,
                rendering_npi=line.rendering_npi,
                rendering_last_name=line.rendering_last_name,
                rendering_first_name=line.rendering_first_name,
                rendering_taxonomy=line.rendering_taxonomy,
                ndc=line.ndc,
                ndc_quantity=line.ndc_quantity,
                ndc_unit=line.ndc_unit,
            )
            for line in lines
        ),
    )


def claim_id(claim: ExportClaim) -> str:
    return claim_number(claim.id)


def claim_number(pk: int) -> str:
    """The claim's number as the 837P (CLM01), the CSV and the biller's pages show it."""
    return f"C{pk:08d}"


def separators(practice: PracticeSettings | None) -> x12.Separators:
    if practice is None:
        return x12.Separators()
    return x12.Separators(
        element=practice.element_separator,
        sub_element=practice.sub_element_separator,
        segment=practice.segment_terminator,
        repetition=practice.repetition_separator,
    )


def _address(obj, prefix: str = "") -> x12.Address:
    """The address in ``obj``'s fields ``address_line1`` to ``postal_code``, their names
    after ``prefix`` (the practice's pay-to address is ``pay_to_address_line1``, ...)."""

    def field(name: str):
        return getattr(obj, prefix + name)

    return x12.Address(
        line1=field("address_line1"),
        line2=field("address_line2") or None,
        city=field("city"),
        state=field("state"),
        postal_code=field("postal_code"),
    )


# The finding of a claim the 837P writer refuses: the writer's own check, not an engine rule.
WRITER_FINDING = "X12"


class Unwritable(Exception):
    """A claim the 837P cannot carry: which field, and what the biller does about it.

    The message names fields, never their values (no names or member IDs)."""

    def __init__(self, pk: int, field: str, fix: str) -> None:
        self.pk = pk
        self.field = field
        self.fix = fix
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return f"{self.field} cannot go on an 837P: {self.fix}"


# Where each thing the writer may refuse is corrected.
_PATIENT_PAGE = "correct it on the patient's page, then re-decide the claim."
_NAME = "enter it in Latin letters, as on the insurance card; " + _PATIENT_PAGE
_COVERAGE = "correct it on the patient's coverage, then re-decide the claim."
_PAYER = "correct the payer in the admin, then re-decide the claim."
_PRACTITIONER = "correct the practitioner's NPI and name in their profile, then re-decide."
_DECISION = "re-decide the claim; if it stays, correct the charge master or the diagnoses."
# What the subscriber (when it is built) and the writer (while it writes) name
# (X12Error.what) when they refuse a value.
_FIELDS = {
    "subscriber member id": ("The member ID", _COVERAGE),
    "subscriber group number": ("The group number", _COVERAGE),
    "subscriber last name": ("The patient's last name", _NAME),
    "subscriber first name": ("The patient's first name", _NAME),
    "subscriber birth date": ("The patient's date of birth", _PATIENT_PAGE),
    "subscriber sex": ("The patient's sex", _PATIENT_PAGE),
    "subscriber address line 1": ("The patient's street address", _PATIENT_PAGE),
    "subscriber city": ("The patient's city", _PATIENT_PAGE),
    "payer name": ("The payer's name", _PAYER),
    "payer id": ("The payer's X12 payer ID", _PAYER),
    "rendering provider last name": ("The rendering practitioner's name", _PRACTITIONER),
    "rendering provider first name": ("The rendering practitioner's name", _PRACTITIONER),
}
# What the patient's address refuses when it is built (X12Error.what).
_ADDRESS_FIELDS = {
    "state code": ("The patient's state", "use a USPS state code; " + _PATIENT_PAGE),
    "postal code": ("The patient's ZIP code", "use 12345 or 12345-6789; " + _PATIENT_PAGE),
    "city": ("The patient's city", _PATIENT_PAGE),
    "address line 1": ("The patient's street address", _PATIENT_PAGE),
}


# What a claim the writer refuses while writing it is said to need, unless the refused
# value is one of _FIELDS.
_WRITING = ("The claim", _DECISION)


def _refusal(
    pk: int, error: x12.X12Error, fields: dict[str, tuple[str, str]], default: tuple[str, str]
) -> Unwritable:
    field, fix = fields.get(error.what or "", default)
    return Unwritable(pk, field, fix)


class _Part:
    """Turns the writer's refusal while one part of a claim is built into ``Unwritable``."""

    def __init__(self, pk: int, fields: dict[str, tuple[str, str]], default: tuple[str, str]):
        self.pk, self.fields, self.default = pk, fields, default

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, exc, traceback) -> None:
        if isinstance(exc, x12.X12Error):
            raise _refusal(self.pk, exc, self.fields, self.default) from exc


def _provider(line: ExportLine) -> x12.Provider | None:
    if not line.rendering_npi:
        return None
    return _practitioner(
        line.rendering_npi,
        line.rendering_last_name,
        line.rendering_first_name,
        line.rendering_taxonomy or None,
    )


# A handful of practitioners render every line of an export: each is built (and its NPI
# checked) once. A Provider is immutable, so the lines may share it.
@functools.lru_cache(maxsize=1024)
def _practitioner(npi: str, last_name: str, first_name: str, taxonomy: str | None) -> x12.Provider:
    return x12.Provider(last_name=last_name, first_name=first_name, npi=npi, taxonomy=taxonomy)


def x12_claim(claim: ExportClaim) -> x12.Claim:
    """The claim as the writer takes it; raises ``Unwritable`` naming the field it refused.

    The refill line (the first) is billed under the claim's rendering provider (2310B); a
    line billed under anyone else names them itself (2420A). A supervising provider (2310D)
    is never sent: incident-to billing names the supervising practitioner as the rendering
    one (R41), so no claim here has a rendering provider supervised by another.
    """
    pk = claim.id
    lines = []
    for line in claim.lines:
        with _Part(pk, {}, (f"The rendering practitioner of line {line.position}", _PRACTITIONER)):
            provider = _provider(line)
        if line.charge is None:
            raise Unwritable(
                pk,
                f"Line {line.position} ({line.code}) has no charge, and it",
                "add the code's charge to the charge master, then re-decide the claim.",
            )
        where = f"Line {line.position} ({line.code}): its modifiers, units, charge or NDC"
        with _Part(pk, {}, (where, _DECISION)):
            lines.append(
                x12.ServiceLine(
                    code=line.code,
                    modifiers=tuple(line.modifiers),
                    charge=line.charge,
                    units=line.units,
                    place_of_service=line.place_of_service,
                    pointers=tuple(line.diagnosis_pointers),
                    service_date=claim.date_of_service,
                    ndc=line.ndc or None,
                    ndc_quantity=line.ndc_quantity if line.ndc else None,
                    ndc_unit=line.ndc_unit or None,
                    rendering=provider,
                )
            )
    with _Part(pk, _ADDRESS_FIELDS, ("The patient's address", _PATIENT_PAGE)):
        address = _address(claim)
    responsibility = RESPONSIBILITY.get(claim.priority or 1, "P")
    if responsibility != "P":
        raise Unwritable(
            pk,
            "The coverage's priority",
            "a claim goes to the primary payer first; add the primary coverage (or set this "
            "plan's priority to primary), then re-decide the claim.",
        )
    with _Part(pk, _FIELDS, ("The patient's coverage", _COVERAGE)):
        subscriber = x12.Subscriber(
            # Payers read member IDs in capitals; IDs typed before entry checked them may not be.
            member_id=(claim.member_id or "").upper(),
            last_name=claim.last_name,
            first_name=claim.first_name,
            birth_date=claim.date_of_birth,
            # The x12 value objects check coded text when built (an unknown code is refused).
            sex=cast(x12.Sex, claim.sex),
            address=address,
            group_number=(claim.group_number or "").upper() or None,
        )
    with _Part(pk, {}, ("The payer's X12 payer ID, name or claim filing indicator", _PAYER)):
        # A claim without a payer is refused here: an empty name is not written.
        payer = x12.PayerRef(
            name=claim.payer_name or "",
            payer_id=claim.payer_x12_id or "",
            claim_filing_indicator=claim.claim_filing_indicator or "",
        )
    with _Part(pk, {}, ("The claim's diagnoses, lines or place of service", _DECISION)):
        return x12.Claim(
            claim_id=claim_id(claim),
            place_of_service=claim.place_of_service,
            diagnoses=tuple(claim.diagnoses),
            lines=tuple(lines),
            subscriber=subscriber,
            payer=payer,
            responsibility=responsibility,
            rendering=lines[0].rendering if lines else None,
            frequency=cast(x12.Frequency, claim.frequency),
            payer_claim_control_number=(
                claim.payer_claim_control_number if claim.frequency != "1" else None
            ),
        )


def _check(claim: ExportClaim, built: x12.Claim, separator_set: x12.Separators) -> None:
    with _Part(claim.id, _FIELDS, _WRITING):
        x12.check_claim(built, separator_set)


def claim_problem(claim: ExportClaim, practice: PracticeSettings | None) -> Unwritable | None:
    """Why the 837P writer would refuse this claim, or None: the writer itself is asked,
    with the practice's separators."""
    try:
        _check(claim, x12_claim(claim), separators(practice))
    except Unwritable as problem:
        return problem
    return None


def write_x12(
    practice: PracticeSettings,
    claims: Iterable[ExportClaim],
    out: TextIO,
    *,
    control_number: int,
    now: dt.datetime,
    left_out: list[Unwritable] | None = None,
) -> x12.WriteResult:
    """Write the claims the 837P can carry; those it cannot go to ``left_out`` (when it is
    None, the first of them raises ``Unwritable``), so one bad claim never stops the others.
    Dates and times in the envelope are the clinic's."""
    stamp = timezone.localtime(now, timezone.get_default_timezone())

    def built() -> Iterator[x12.Claim]:
        for claim in claims:
            try:
                claim_built = x12_claim(claim)
            except Unwritable as problem:
                if left_out is None:
                    raise
                left_out.append(problem)
                continue
            yield claim_built

    def refused(claim: x12.Claim, error: x12.X12Error) -> None:
        # The writer checks each claim as it writes it, so no claim is built twice; CLM01
        # is the claim's number, "C" and its id.
        problem = _refusal(int(claim.claim_id[1:]), error, _FIELDS, _WRITING)
        if left_out is None:
            raise problem from error
        left_out.append(problem)

    return x12.write_837p(
        x12.Interchange(
            sender_id=practice.submitter_id,
            receiver_id=practice.receiver_id,
            interchange_control_number=control_number,
            group_control_number=control_number,
            created_at=stamp,
            usage=cast(x12.Usage, practice.usage_indicator),
            separators=separators(practice),
        ),
        x12.Submitter(
            name=practice.billing_provider_name,
            id=practice.submitter_id,
            contact_name=practice.contact_name,
            contact_phone=practice.contact_phone,
        ),
        x12.Receiver(name=practice.receiver_name, id=practice.receiver_id),
        x12.BillingProvider(
            name=practice.billing_provider_name,
            npi=practice.npi,
            tax_id=practice.tax_id,
            taxonomy=practice.taxonomy,
            address=_address(practice),
            pay_to_address=_address(practice, "pay_to_") if practice.has_pay_to_address else None,
            contact_name=practice.contact_name,
            contact_phone=practice.contact_phone,
        ),
        built(),
        out,
        refused,
    )


def _cell(value: str) -> str:
    """Text a spreadsheet would run as a formula is prefixed with a quote."""
    return f"'{value}" if value[:1] in {"=", "+", "-", "@", "\t", "\r"} else value


def write_csv(claims: Iterable[ExportClaim], out: TextIO) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    rows = 0
    for claim in claims:
        for line in claim.lines:
            writer.writerow(
                [
                    claim_id(claim),
                    claim.date_of_service.isoformat(),
                    _cell(claim.payer_code or ""),
                    _cell(claim.member_id or ""),
                    _cell(claim.mrn),
                    _cell(claim.last_name),
                    _cell(claim.first_name),
                    line.position,
                    line.code,
                    " ".join(line.modifiers),
                    line.units,
                    line.place_of_service,
                    " ".join(str(p) for p in line.diagnosis_pointers),
                    " ".join(claim.diagnoses),
                    "" if line.charge is None else f"{line.charge:.2f}",
                    f"{claim.total_charge:.2f}",
                    _cell(claim.payer_x12_id or ""),
                    claim.claim_filing_indicator or "",
                    line.rendering_npi,
                    line.ndc,
                    "" if line.ndc_quantity is None else x12.format_decimal(line.ndc_quantity),
                    line.ndc_unit,
                    claim.frequency,
                    _cell(claim.payer_claim_control_number),
                ]
            )
            rows += 1
    return rows
