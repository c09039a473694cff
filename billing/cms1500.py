"""The boxes of a CMS-1500 (02/12) for one claim, for the printable claim page."""

from __future__ import annotations

import string
from dataclasses import dataclass
from decimal import Decimal

from billing.models import Claim, PracticeSettings
from billing.x12 import format_decimal

LETTERS = string.ascii_uppercase[:12]  # box 21 diagnoses A-L


@dataclass(frozen=True)
class Line1500:
    date: str
    place_of_service: str
    code: str
    modifiers: tuple[str, ...]
    pointer: str
    charge: Decimal | None
    units: int
    # 24J: the practitioner the line is billed under, as the 837P names them (2310B/2420A).
    rendering_npi: str
    # The shaded top half of 24A-G on a drug line: N4, the NDC, its unit and quantity.
    ndc: str


@dataclass(frozen=True)
class Form1500:
    program: str
    insured_id: str
    patient_name: str
    patient_birth_date: str
    patient_sex: str
    patient_address: str
    diagnoses: tuple[tuple[str, str], ...]
    lines: tuple[Line1500, ...]
    total_charge: Decimal
    tax_id: str
    billing_provider: str
    billing_npi: str


def _ndc(line) -> str:
    if not line.ndc:
        return ""
    return f"N4{line.ndc} {line.ndc_unit}{format_decimal(line.ndc_quantity)}"


def layout(claim: Claim, practice: PracticeSettings | None) -> Form1500:
    patient = claim.patient
    return Form1500(
        program="Medicare"
        if claim.payer and claim.payer.program == "medicare"
        else "Group health plan",
        insured_id=claim.coverage.member_id if claim.coverage else "",
        patient_name=f"{patient.last_name}, {patient.first_name}",
        patient_birth_date=f"{patient.date_of_birth:%m %d %Y}",
        patient_sex=patient.sex,
        patient_address=", ".join(
            part
            for part in (
                patient.address_line1,
                patient.address_line2,
                patient.city,
                f"{patient.state} {patient.postal_code}",
            )
            if part
        ),
        # Box 21 takes the codes without their dots, as the 837P's HI segment does.
        diagnoses=tuple(
            (letter, code.replace(".", ""))
            for letter, code in zip(LETTERS, claim.diagnoses, strict=False)
        ),
        lines=tuple(
            Line1500(
                date=f"{claim.date_of_service:%m %d %y}",
                place_of_service=line.place_of_service,
                code=line.code,
                modifiers=tuple(line.modifiers),
                pointer="".join(LETTERS[p - 1] for p in line.diagnosis_pointers),
                charge=line.charge,
                units=line.units,
                rendering_npi=line.rendering_npi,
                ndc=_ndc(line),
            )
            for line in claim.lines.all()
        ),
        total_charge=claim.total_charge,
        tax_id=practice.tax_id if practice else "",
        billing_provider=(
            f"{practice.billing_provider_name}, {practice.address_line1}, {practice.city}, "
            f"{practice.state} {practice.postal_code}"
            if practice
            else ""
        ),
        billing_npi=practice.npi if practice else "",
    )
