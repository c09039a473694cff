"""Turns stored claims into export documents: the X12 837P (via ``billing.x12``) and CSV.

Reads only; ``services.claims_export`` owns the transaction that selects, writes and marks.
"""

from __future__ import annotations

import csv
import datetime as dt
import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TextIO

from django.contrib.auth import get_user_model

from billing import x12
from billing.models import Claim, ClaimLine, PracticeSettings
from refills.models import ProviderVisit
from refills.validators import npi_is_valid

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
]


CHUNK_SIZE = 500

# What the 837P and the CSV read, and nothing more: plain rows, a chunk of claims at a time,
# without a claim's facts and decision JSON or the encounter's documentation.
_CLAIM_COLUMNS = {
    "id": "id",
    "date_of_service": "date_of_service",
    "diagnoses": "diagnoses",
    "total_charge": "total_charge",
    "place_of_service": "encounter__place_of_service",
    "supervising_id": "encounter__supervising_practitioner_id",
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
)


@dataclass(frozen=True, slots=True)
class ExportLine:
    position: int
    code: str
    modifiers: list[str]
    units: int
    place_of_service: str
    diagnosis_pointers: list[int]
    charge: Decimal


@dataclass(frozen=True, kw_only=True, slots=True)
class ExportClaim:
    """One claim as the export files see it: the claim, its patient, payer and lines."""

    id: int
    date_of_service: dt.date
    diagnoses: list[str]
    total_charge: Decimal
    place_of_service: str
    supervising_id: int | None
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
    lines: tuple[ExportLine, ...]


def claims_for_export(ids: Sequence[int]) -> Iterator[ExportClaim]:
    """The claims with these ids, in the order given, read ``CHUNK_SIZE`` at a time.

    Two queries per chunk (claims, then their lines), so a large export streams in
    bounded memory.
    """
    names = tuple(_CLAIM_COLUMNS)
    for start in range(0, len(ids), CHUNK_SIZE):
        chunk = ids[start : start + CHUNK_SIZE]
        rows = {
            row[0]: row
            for row in Claim.objects.filter(id__in=chunk).values_list(*_CLAIM_COLUMNS.values())
        }
        lines: dict[int, list[ExportLine]] = {}
        for owner, *line in (
            ClaimLine.objects.filter(claim_id__in=chunk)
            .order_by("claim_id", "position")
            .values_list(*_LINE_COLUMNS)
        ):
            lines.setdefault(owner, []).append(ExportLine(*line))
        for pk in chunk:
            row = rows.get(pk)
            if row is not None:
                yield ExportClaim(
                    **dict(zip(names, row, strict=True)), lines=tuple(lines.get(pk, ()))
                )


def claim_id(claim: ExportClaim) -> str:
    return f"C{claim.id:08d}"


def separators(practice: PracticeSettings) -> x12.Separators:
    return x12.Separators(
        element=practice.element_separator,
        sub_element=practice.sub_element_separator,
        segment=practice.segment_terminator,
        repetition=practice.repetition_separator,
    )


def _address(obj) -> x12.Address:
    return x12.Address(
        line1=obj.address_line1,
        line2=obj.address_line2 or None,
        city=obj.city,
        state=obj.state,
        postal_code=obj.postal_code,
    )


def _providers(user_ids: set[int]) -> dict[int, x12.Provider | None]:
    """The practitioners as 837P providers; one without a valid NPI is None."""
    providers: dict[int, x12.Provider | None] = {}
    rows = (
        get_user_model()
        .objects.filter(pk__in=user_ids)
        .values_list("pk", "username", "last_name", "first_name", "clinician__npi")
    )
    for pk, username, last_name, first_name, npi in rows:
        providers[pk] = (
            x12.Provider(last_name=last_name or username, first_name=first_name or "", npi=npi)
            if npi and npi_is_valid(npi)
            else None
        )
    return providers


def _rendering_by_claim(claims: list[ExportClaim]) -> dict[int, int]:
    """The practitioner (user id) who rendered the E/M, where the claim bills one."""
    if not claims:
        return {}
    visits = ProviderVisit.objects.filter(
        patient_id__in={c.patient_id for c in claims},
        date_of_service__in={c.date_of_service for c in claims},
    ).values_list("patient_id", "date_of_service", "em_code", "provider_id")
    by_key = {(patient, day, code): provider for patient, day, code, provider in visits}
    rendering = {}
    for claim in claims:
        for line in claim.lines:
            provider = by_key.get((claim.patient_id, claim.date_of_service, line.code))
            if provider is not None:
                rendering[claim.id] = provider
    return rendering


def x12_claims(claims: Iterable[ExportClaim]) -> Iterator[x12.Claim]:
    """X12 claims, built a chunk at a time so a large export streams."""
    # A few practitioners sign thousands of claims: each is read and checked once.
    providers: dict[int, x12.Provider | None] = {}
    remaining = iter(claims)
    while chunk := list(itertools.islice(remaining, CHUNK_SIZE)):
        rendering = _rendering_by_claim(chunk)
        wanted = {c.supervising_id for c in chunk} | set(rendering.values())
        wanted -= {None, *providers}
        if wanted:
            providers.update(_providers(wanted))
        for claim in chunk:
            supervising = providers.get(claim.supervising_id)
            rendered_by = providers.get(rendering.get(claim.id)) or supervising
            yield _x12_claim(claim, rendered_by, supervising)


def _x12_claim(
    claim: ExportClaim, rendered_by: x12.Provider | None, supervising: x12.Provider | None
) -> x12.Claim:
    return x12.Claim(
        claim_id=claim_id(claim),
        place_of_service=claim.place_of_service,
        diagnoses=tuple(claim.diagnoses),
        lines=tuple(
            x12.ServiceLine(
                code=line.code,
                modifiers=tuple(line.modifiers),
                charge=line.charge,
                units=line.units,
                place_of_service=line.place_of_service,
                pointers=tuple(line.diagnosis_pointers),
                service_date=claim.date_of_service,
            )
            for line in claim.lines
        ),
        subscriber=x12.Subscriber(
            member_id=claim.member_id,
            last_name=claim.last_name,
            first_name=claim.first_name,
            birth_date=claim.date_of_birth,
            sex=claim.sex,
            address=_address(claim),
        ),
        payer=x12.PayerRef(
            name=claim.payer_name,
            payer_id=claim.payer_x12_id,
            claim_filing_indicator=claim.claim_filing_indicator,
        ),
        rendering=rendered_by,
        supervising=supervising if supervising != rendered_by else None,
    )


def write_x12(
    practice: PracticeSettings,
    claims: Iterable[ExportClaim],
    out: TextIO,
    *,
    control_number: int,
    now: dt.datetime,
) -> x12.WriteResult:
    return x12.write_837p(
        x12.Interchange(
            sender_id=practice.submitter_id,
            receiver_id=practice.receiver_id,
            interchange_control_number=control_number,
            group_control_number=control_number,
            created_at=now,
            usage=practice.usage_indicator,
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
            contact_name=practice.contact_name,
            contact_phone=practice.contact_phone,
        ),
        x12_claims(claims),
        out,
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
                ]
            )
            rows += 1
    return rows
