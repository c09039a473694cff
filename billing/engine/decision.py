"""The engine's output: `refill-decision/1` and `/2` as value objects that refuse to be
inconsistent."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from billing.engine.codes import (
    DRUG_MODIFIERS,
    EM_CODES,
    MAX_CLAIM_DIAGNOSES,
    MAX_POINTERS_PER_LINE,
    MODIFIER_SEPARATE_EM,
    REFILL_CODES,
    RULE_IDS,
)
from billing.engine.facts import json_number

DECISION_SCHEMA = "refill-decision/1"
DECISION_SCHEMA_V2 = "refill-decision/2"
DECISION_SCHEMAS = {1: DECISION_SCHEMA, 2: DECISION_SCHEMA_V2}

BILLABLE = "billable"
HOLD = "hold"
NOT_BILLABLE = "not_billable"
STATUSES = (BILLABLE, HOLD, NOT_BILLABLE)

DENY = "deny"
WARN = "warn"
INFO = "info"
SEVERITIES = (DENY, HOLD, WARN, INFO)


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    code: str | None
    message: str

    def __post_init__(self) -> None:
        if self.rule not in RULE_IDS:
            raise ValueError(
                f"finding rule must be a catalogue rule such as R01, got {self.rule!r}"
            )
        if self.severity not in SEVERITIES:
            raise ValueError(f"finding severity must be one of {SEVERITIES}, got {self.severity!r}")
        if not self.message.strip():
            raise ValueError(f"finding {self.rule} needs a message")

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
        }


@dataclass(frozen=True)
class Line:
    code: str
    modifiers: tuple[str, ...]
    units: int
    place_of_service: str
    diagnosis_pointers: tuple[int, ...]
    # Whole cents (exponent -2), or None where the charge master has no charge.
    charge: Decimal | None
    # refill-decision/2: the practitioner key the line is billed under, or None.
    rendering: str | None = None
    # A drug line (R60, R61) and its NDC fields; only drug lines carry them.
    drug: bool = False
    ndc: str | None = None
    ndc_quantity: Decimal | None = None
    ndc_unit: str | None = None

    def __post_init__(self) -> None:
        if self.units < 1:
            raise ValueError(f"{self.code}: units must be at least 1, got {self.units}")
        pointers = self.diagnosis_pointers
        if not 1 <= len(pointers) <= MAX_POINTERS_PER_LINE:
            raise ValueError(
                f"{self.code}: a line points at 1 to {MAX_POINTERS_PER_LINE} diagnoses, "
                f"got {len(pointers)}"
            )
        if min(pointers) < 1:
            raise ValueError(f"{self.code}: diagnosis pointers are 1-based")
        if len(set(pointers)) != len(pointers):
            raise ValueError(f"{self.code}: a diagnosis pointer appears twice")
        if self.modifiers:
            self._check_modifiers()
        charge = self.charge
        if charge is not None and (charge < 0 or charge.as_tuple().exponent != -2):
            raise ValueError(f"{self.code}: charge must be whole cents, got {charge}")
        if not self.drug and (self.ndc, self.ndc_quantity, self.ndc_unit) != (None, None, None):
            raise ValueError(f"{self.code}: only a drug line carries NDC fields")

    def _check_modifiers(self) -> None:
        modifiers = self.modifiers
        if MODIFIER_SEPARATE_EM in modifiers and self.code not in EM_CODES:
            raise ValueError(f"{self.code}: modifier 25 belongs on E/M lines only (R25)")
        if self.code in REFILL_CODES:
            raise ValueError(f"{self.code}: the refill line carries no modifier (R25)")
        drug_modifiers = DRUG_MODIFIERS.intersection(modifiers)
        if drug_modifiers and not self.drug:
            raise ValueError(f"{self.code}: JW and JZ belong on drug lines only (R61)")
        if len(drug_modifiers) > 1:
            raise ValueError(f"{self.code}: a drug line carries JW or JZ, not both (R61)")

    @property
    def is_refill(self) -> bool:
        return self.code in REFILL_CODES

    def to_dict(self, version: int = 1) -> dict[str, Any]:
        line: dict[str, Any] = {
            "code": self.code,
            "modifiers": list(self.modifiers),
            "units": self.units,
            "place_of_service": self.place_of_service,
            "diagnosis_pointers": list(self.diagnosis_pointers),
            "charge": None if self.charge is None else str(self.charge),
        }
        if version == 2:
            line["rendering"] = self.rendering
            if self.drug:
                line["ndc"] = self.ndc
                line["ndc_quantity"] = json_number(self.ndc_quantity)
                line["ndc_unit"] = self.ndc_unit
        return line


def status_for(lines: tuple[Line, ...], findings: tuple[Finding, ...]) -> str:
    if not lines or not lines[0].is_refill:
        return NOT_BILLABLE
    for finding in findings:
        if finding.severity == HOLD:
            return HOLD
    return BILLABLE


@dataclass(frozen=True)
class Decision:
    status: str
    diagnoses: tuple[str, ...]
    lines: tuple[Line, ...]
    findings: tuple[Finding, ...]
    # refill-decision/2: the supervising practitioner's key when R42 accepts it.
    supervising: str | None = None
    # The contract version asked for: 1 answers refill-decision/1, 2 refill-decision/2.
    version: int = 1

    def __post_init__(self) -> None:
        if self.version not in DECISION_SCHEMAS:
            raise ValueError(f"decision version must be 1 or 2, got {self.version!r}")
        if self.status != status_for(self.lines, self.findings):
            raise ValueError(
                f"status {self.status!r} contradicts the lines and findings "
                f"(expected {status_for(self.lines, self.findings)!r})"
            )
        if len(self.diagnoses) > MAX_CLAIM_DIAGNOSES:
            raise ValueError(f"a claim carries at most {MAX_CLAIM_DIAGNOSES} diagnoses")
        if len(set(self.diagnoses)) != len(self.diagnoses):
            raise ValueError("claim diagnoses must be distinct")
        if self.lines and not self.lines[0].is_refill:
            raise ValueError("the refill line comes first; no other line is billed without it")
        for line in self.lines[1:]:
            if line.is_refill:
                raise ValueError("a decision bills one refill line at most")
        for line in self.lines:
            if max(line.diagnosis_pointers) > len(self.diagnoses):
                raise ValueError(f"{line.code}: a pointer goes past the claim diagnoses")
        if self.version == 1 and (
            self.supervising is not None or any(line.rendering or line.drug for line in self.lines)
        ):
            raise ValueError("refill-decision/1 has no rendering, supervising or drug lines")

    @property
    def rules(self) -> tuple[str, ...]:
        return tuple(finding.rule for finding in self.findings)

    def to_dict(self) -> dict[str, Any]:
        version = self.version
        decision: dict[str, Any] = {
            "schema": DECISION_SCHEMAS[version],
            "status": self.status,
            "diagnoses": list(self.diagnoses),
            "lines": [line.to_dict(version) for line in self.lines],
            "findings": [finding.to_dict() for finding in self.findings],
        }
        if version == 2:
            decision["supervising"] = self.supervising
        return decision
