"""The engine's output: `refill-decision/1` and `/2` as value objects that refuse to be
inconsistent."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, NoReturn

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
from billing.engine.values import value_object

DECISION_SCHEMA = "refill-decision/1"
DECISION_SCHEMA_V2 = "refill-decision/2"
DECISION_SCHEMAS = {1: DECISION_SCHEMA, 2: DECISION_SCHEMA_V2}

BILLABLE = "billable"
HOLD = "hold"
NOT_BILLABLE = "not_billable"

DENY = "deny"
WARN = "warn"
INFO = "info"
SEVERITIES = (DENY, HOLD, WARN, INFO)
_SEVERITY_SET = frozenset(SEVERITIES)


@value_object
class Finding:
    rule: str
    severity: str
    code: str | None
    message: str

    def __post_init__(self) -> None:
        message = self.message
        if (
            self.rule not in RULE_IDS
            or self.severity not in _SEVERITY_SET
            or not message
            or message.isspace()
        ):
            self._refuse()

    def _refuse(self) -> NoReturn:
        if self.rule not in RULE_IDS:
            raise ValueError(
                f"finding rule must be a catalogue rule such as R01, got {self.rule!r}"
            )
        if self.severity not in _SEVERITY_SET:
            raise ValueError(f"finding severity must be one of {SEVERITIES}, got {self.severity!r}")
        raise ValueError(f"finding {self.rule} needs a message")

    def to_dict(self) -> dict[str, Any]:
        # The instance holds exactly its four fields, in order: {rule, severity, code, message}.
        return dict(self.__dict__)


@value_object
class Line:
    code: str
    modifiers: tuple[str, ...]
    units: int
    place_of_service: str
    diagnosis_pointers: tuple[int, ...]
    # Whole cents, or None where the charge master has no charge.
    charge: Decimal | None
    # refill-decision/2: the practitioner key the line is billed under, or None.
    rendering: str | None = None
    # A drug line (R60, R61) and its NDC fields; only drug lines carry them.
    drug: bool = False
    ndc: str | None = None
    ndc_quantity: Decimal | None = None
    ndc_unit: str | None = None

    def __post_init__(self) -> None:
        # One cheap test for the common case; _refuse says what exactly is wrong.
        charge = self.charge
        if (
            self.units < 1
            or (
                self.diagnosis_pointers not in _CHECKED_POINTERS
                and not _pointers_are_valid(self.diagnosis_pointers)
            )
            or (self.modifiers and self._modifier_problem())
            or (
                charge is not None
                and (charge < 0 or charge.as_integer_ratio()[1] not in _WHOLE_CENT_DENOMINATORS)
            )
            or (
                not self.drug
                and (
                    self.ndc is not None
                    or self.ndc_quantity is not None
                    or self.ndc_unit is not None
                )
            )
        ):
            self._refuse()

    def _modifier_problem(self) -> str | None:
        modifiers = self.modifiers
        if MODIFIER_SEPARATE_EM in modifiers and self.code not in EM_CODES:
            return "modifier 25 belongs on E/M lines only (R25)"
        if self.code in REFILL_CODES:
            return "the refill line carries no modifier (R25)"
        drug_modifiers = DRUG_MODIFIERS.intersection(modifiers)
        if drug_modifiers and not self.drug:
            return "JW and JZ belong on drug lines only (R61)"
        if len(drug_modifiers) > 1:
            return "a drug line carries JW or JZ, not both (R61)"
        return None

    def _refuse(self) -> NoReturn:
        pointers = self.diagnosis_pointers
        if self.units < 1:
            problem = f"units must be at least 1, got {self.units}"
        elif not 1 <= len(pointers) <= MAX_POINTERS_PER_LINE:
            problem = (
                f"a line points at 1 to {MAX_POINTERS_PER_LINE} diagnoses, got {len(pointers)}"
            )
        elif min(pointers) < 1 or max(pointers) > MAX_CLAIM_DIAGNOSES:
            problem = f"diagnosis pointers are 1 to {MAX_CLAIM_DIAGNOSES}, got {pointers}"
        elif len(set(pointers)) != len(pointers):
            problem = "a diagnosis pointer appears twice"
        elif self.modifiers and self._modifier_problem():
            problem = str(self._modifier_problem())
        elif not self.drug and not (self.ndc is self.ndc_quantity is self.ndc_unit is None):
            problem = "only a drug line carries NDC fields"
        else:
            problem = f"charge must be whole cents, got {self.charge}"
        raise ValueError(f"{self.code}: {problem}")

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
            "charge": None if self.charge is None else f"{self.charge:.2f}",
        }
        if version == 2:
            line["rendering"] = self.rendering
            if self.drug:
                line["ndc"] = self.ndc
                line["ndc_quantity"] = json_number(self.ndc_quantity)
                line["ndc_unit"] = self.ndc_unit
        return line


# Denominators of amounts that are whole cents (n/100 in lowest terms).
_WHOLE_CENT_DENOMINATORS = frozenset({1, 2, 4, 5, 10, 20, 25, 50, 100})
# Pointer tuples already found valid; there are 13,344 possible ones at most.
_CHECKED_POINTERS: set[tuple[int, ...]] = set()


def _pointers_are_valid(pointers: tuple[int, ...]) -> bool:
    """1 to 4 distinct pointers into at most 12 diagnoses (remembered once checked)."""
    valid = (
        type(pointers) is tuple
        and 1 <= len(pointers) <= MAX_POINTERS_PER_LINE
        and all(
            type(pointer) is int and 1 <= pointer <= MAX_CLAIM_DIAGNOSES for pointer in pointers
        )
        and len(set(pointers)) == len(pointers)
    )
    if valid:
        _CHECKED_POINTERS.add(pointers)
    return valid


def status_for(lines: tuple[Line, ...], findings: tuple[Finding, ...]) -> str:
    if not lines or lines[0].code not in REFILL_CODES:
        return NOT_BILLABLE
    for finding in findings:  # a loop reads the few findings faster than map(attrgetter)
        if finding.severity == HOLD:
            return HOLD
    return BILLABLE


@value_object
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
        # One pass for the common case; _refuse says what exactly is wrong.
        diagnoses, lines = self.diagnoses, self.lines
        count = len(diagnoses)
        consistent = (
            self.version in DECISION_SCHEMAS
            and self.status == status_for(lines, self.findings)
            and count <= MAX_CLAIM_DIAGNOSES
            and len(set(diagnoses)) == count
        )
        v1 = self.version == 1
        if v1 and self.supervising is not None:
            consistent = False
        first = True
        for line in lines:
            if (
                (line.code in REFILL_CODES) is not first
                or max(line.diagnosis_pointers) > count
                or (v1 and (line.rendering is not None or line.drug))
            ):
                consistent = False
            first = False
        if not consistent:
            self._refuse()

    def _refuse(self) -> NoReturn:
        lines = self.lines
        if self.version not in DECISION_SCHEMAS:
            problem = f"decision version must be 1 or 2, got {self.version!r}"
        elif self.status != status_for(lines, self.findings):
            problem = (
                f"status {self.status!r} contradicts the lines and findings "
                f"(expected {status_for(lines, self.findings)!r})"
            )
        elif len(self.diagnoses) > MAX_CLAIM_DIAGNOSES:
            problem = f"a claim carries at most {MAX_CLAIM_DIAGNOSES} diagnoses"
        elif len(set(self.diagnoses)) != len(self.diagnoses):
            problem = "claim diagnoses must be distinct"
        elif lines and not lines[0].is_refill:
            problem = "the refill line comes first; no other line is billed without it"
        elif any(line.is_refill for line in lines[1:]):
            problem = "a decision bills one refill line at most"
        elif any(max(line.diagnosis_pointers) > len(self.diagnoses) for line in lines):
            problem = "a line's pointer goes past the claim diagnoses"
        else:
            problem = "refill-decision/1 has no rendering, supervising or drug lines"
        raise ValueError(problem)

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
            "findings": list(map(Finding.to_dict, self.findings)),
        }
        if version == 2:
            decision["supervising"] = self.supervising
        return decision
