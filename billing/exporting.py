"""Turns stored claims into export documents: the X12 837P (via ``billing.x12``) and CSV.

Reads only; ``services.claims_export`` owns the transaction that selects, writes and marks.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Iterator
from typing import TextIO

from django.db.models import Prefetch, QuerySet

from billing import x12
from billing.models import Claim, ClaimLine, Payer, PracticeSettings
from refills.models import ProviderVisit
from refills.validators import npi_is_valid

CLAIM_FILING = {Payer.Program.MEDICARE: "MB", Payer.Program.COMMERCIAL: "CI"}

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


def claims_for_export(claims: QuerySet[Claim]) -> QuerySet[Claim]:
    return claims.select_related(
        "patient",
        "payer",
        "coverage",
        "encounter__supervising_practitioner__clinician",
    ).prefetch_related(Prefetch("lines", queryset=ClaimLine.objects.order_by("position")))


def claim_id(claim: Claim) -> str:
    return f"C{claim.pk:08d}"


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


def _provider(user) -> x12.Provider | None:
    profile = getattr(user, "clinician", None) if user is not None else None
    if profile is None or not npi_is_valid(profile.npi):
        return None
    return x12.Provider(
        last_name=user.last_name or user.get_username(),
        first_name=user.first_name or "",
        npi=profile.npi,
    )


def _rendering_by_claim(claims: list[Claim]) -> dict[int, object]:
    """The practitioner who rendered the E/M, where the claim bills one."""
    keys = {(c.patient_id, c.date_of_service) for c in claims}
    if not keys:
        return {}
    visits = ProviderVisit.objects.filter(
        patient_id__in={k[0] for k in keys},
        date_of_service__in={k[1] for k in keys},
    ).select_related("provider__clinician")
    by_key = {(v.patient_id, v.date_of_service, v.em_code): v.provider for v in visits}
    rendering = {}
    for claim in claims:
        for line in claim.lines.all():
            provider = by_key.get((claim.patient_id, claim.date_of_service, line.code))
            if provider is not None:
                rendering[claim.pk] = provider
    return rendering


def x12_claims(claims: Iterable[Claim]) -> Iterator[x12.Claim]:
    """X12 claims, built a chunk at a time so a large export streams."""
    chunk: list[Claim] = []
    for claim in claims:
        chunk.append(claim)
        if len(chunk) == 500:
            yield from _x12_chunk(chunk)
            chunk = []
    if chunk:
        yield from _x12_chunk(chunk)


def _x12_chunk(claims: list[Claim]) -> Iterator[x12.Claim]:
    rendering = _rendering_by_claim(claims)
    for claim in claims:
        patient = claim.patient
        supervising_user = claim.encounter.supervising_practitioner
        supervising = _provider(supervising_user)
        rendered_by = _provider(rendering.get(claim.pk)) or supervising
        yield x12.Claim(
            claim_id=claim_id(claim),
            place_of_service=claim.encounter.place_of_service,
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
                for line in claim.lines.all()
            ),
            subscriber=x12.Subscriber(
                member_id=claim.coverage.member_id,
                last_name=patient.last_name,
                first_name=patient.first_name,
                birth_date=patient.date_of_birth,
                sex=patient.sex,
                address=_address(patient),
            ),
            payer=x12.PayerRef(
                name=claim.payer.name,
                payer_id=claim.payer.x12_payer_id,
                claim_filing_indicator=CLAIM_FILING[claim.payer.program],
            ),
            rendering=rendered_by,
            supervising=supervising if supervising != rendered_by else None,
        )


def write_x12(
    practice: PracticeSettings,
    claims: Iterable[Claim],
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


def write_csv(claims: Iterable[Claim], out: TextIO) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    rows = 0
    for claim in claims:
        for line in claim.lines.all():
            writer.writerow(
                [
                    claim_id(claim),
                    claim.date_of_service.isoformat(),
                    _cell(claim.payer.code),
                    _cell(claim.coverage.member_id),
                    _cell(claim.patient.mrn),
                    _cell(claim.patient.last_name),
                    _cell(claim.patient.first_name),
                    line.position,
                    line.code,
                    " ".join(line.modifiers),
                    line.units,
                    line.place_of_service,
                    " ".join(str(p) for p in line.diagnosis_pointers),
                    " ".join(claim.diagnoses),
                    f"{line.charge:.2f}",
                    f"{claim.total_charge:.2f}",
                ]
            )
            rows += 1
    return rows
