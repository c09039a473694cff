"""The engine's output: `refill-decision/1` as value objects that refuse to be inconsistent."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from billing.engine.codes import (
    EM_CODES,
    MAX_CLAIM_DIAGNOSES,
    MAX_POINTERS_PER_LINE,
    MODIFIER_SEPARATE_EM,
    REFILL_CODES,
)

DECISION_SCHEMA = "refill-decision/1"

BILLABLE = "billable"
HOLD = "hold"
NOT_BILLABLE = "not_billable"
STATUSES = (BILLABLE, HOLD, NOT_BILLABLE)

DENY = "deny"
WARN = "warn"
INFO = "info"
SEVERITIES = (DENY, HOLD, WARN, INFO)

_RULE_ID = re.compile(r"^R\d{2}$")
CENTS = Decimal("0.01")


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str
    code: str | None
    message: str

    def __post_init__(self) -> None:
        if not _RULE_ID.match(self.rule):
            raise ValueError(f"finding rule must look like R01, got {self.rule!r}")
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
    charge: Decimal | None

    def __post_init__(self) -> None:
        if self.units < 1:
            raise ValueError(f"{self.code}: units must be at least 1, got {self.units}")
        if not 1 <= len(self.diagnosis_pointers) <= MAX_POINTERS_PER_LINE:
            raise ValueError(
                f"{self.code}: a line points at 1 to {MAX_POINTERS_PER_LINE} diagnoses, "
                f"got {len(self.diagnosis_pointers)}"
            )
        if any(pointer < 1 for pointer in self.diagnosis_pointers):
            raise ValueError(f"{self.code}: diagnosis pointers are 1-based")
        if len(set(self.diagnosis_pointers)) != len(self.diagnosis_pointers):
            raise ValueError(f"{self.code}: a diagnosis pointer appears twice")
        if MODIFIER_SEPARATE_EM in self.modifiers and self.code not in EM_CODES:
            raise ValueError(f"{self.code}: modifier 25 belongs on E/M lines only (R25)")
        if self.code in REFILL_CODES and self.modifiers:
            raise ValueError(f"{self.code}: the refill line carries no modifier (R25)")
        if self.charge is not None and (
            self.charge < 0 or self.charge != self.charge.quantize(CENTS)
        ):
            raise ValueError(f"{self.code}: charge must be whole cents, got {self.charge}")

    @property
    def is_refill(self) -> bool:
        return self.code in REFILL_CODES

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "modifiers": list(self.modifiers),
            "units": self.units,
            "place_of_service": self.place_of_service,
            "diagnosis_pointers": list(self.diagnosis_pointers),
            "charge": None if self.charge is None else str(self.charge.quantize(CENTS)),
        }


def status_for(lines: tuple[Line, ...], findings: tuple[Finding, ...]) -> str:
    if not any(line.is_refill for line in lines):
        return NOT_BILLABLE
    if any(finding.severity == HOLD for finding in findings):
        return HOLD
    return BILLABLE


@dataclass(frozen=True)
class Decision:
    status: str
    diagnoses: tuple[str, ...]
    lines: tuple[Line, ...]
    findings: tuple[Finding, ...]

    def __post_init__(self) -> None:
        if self.status != status_for(self.lines, self.findings):
            raise ValueError(
                f"status {self.status!r} contradicts the lines and findings "
                f"(expected {status_for(self.lines, self.findings)!r})"
            )
        if len(self.diagnoses) > MAX_CLAIM_DIAGNOSES:
            raise ValueError(f"a claim carries at most {MAX_CLAIM_DIAGNOSES} diagnoses")
        if len(set(self.diagnoses)) != len(self.diagnoses):
            raise ValueError("claim diagnoses must be distinct")
        refill_lines = [line for line in self.lines if line.is_refill]
        if len(refill_lines) > 1:
            raise ValueError("a decision bills one refill line at most")
        if self.lines and not self.lines[0].is_refill:
            raise ValueError("the refill line comes first; no other line is billed without it")
        for line in self.lines:
            if max(line.diagnosis_pointers) > len(self.diagnoses):
                raise ValueError(f"{line.code}: a pointer goes past the claim diagnoses")

    @property
    def rules(self) -> tuple[str, ...]:
        return tuple(finding.rule for finding in self.findings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": DECISION_SCHEMA,
            "status": self.status,
            "diagnoses": list(self.diagnoses),
            "lines": [line.to_dict() for line in self.lines],
            "findings": [finding.to_dict() for finding in self.findings],
        }
