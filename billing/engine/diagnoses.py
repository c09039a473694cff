"""R50-R52: the claim's diagnosis list and each line's pointers into it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import TypeVar

from billing.engine.codes import (
    CHEMOTHERAPY_ENCOUNTER_DIAGNOSIS,
    MAX_CLAIM_DIAGNOSES,
    MAX_POINTERS_PER_LINE,
)
from billing.engine.decision import HOLD, INFO, Finding
from billing.engine.values import value_object
from icd10cm import is_billable
from icd10cm import is_malignancy as _is_malignancy
from icd10cm import normalize as _normalize

T = TypeVar("T")


@value_object
class Code:
    """One ICD-10-CM code as the rules read it: normalised, and what it is."""

    code: str
    billable: bool
    # A malignancy counts only when it is billable (R51 reading).
    malignancy: bool


@lru_cache(maxsize=8192)
def read_code(given: str) -> Code:
    """Trimmed, upper-cased, every dot removed and one put after the third character ("c1.89"
    and "C189" read C18.9); an inner space stays and the code then fails R52."""
    code = _normalize(given)
    return Code(code, is_billable(code), _is_malignancy(code))


@value_object
class ClaimDiagnoses:
    codes: tuple[str, ...]
    refill_pointers: tuple[int, ...]
    # One entry per billed E/M service, in the order the services were given.
    em_pointers: tuple[tuple[int, ...], ...]
    findings: tuple[Finding, ...]


def claim_diagnoses(
    patient_codes: Sequence[str],
    billed_em_codes: Sequence[Sequence[str]],
    refill_code: str,
) -> ClaimDiagnoses:
    """The claim's codes and pointers, from the patient's codes and each billed E/M's own.

    Answers depend on nothing else, so each combination is worked out once."""
    return _claim_diagnoses(tuple(patient_codes), tuple(map(tuple, billed_em_codes)), refill_code)


@lru_cache(maxsize=4096)
def _claim_diagnoses(
    patient_codes: tuple[str, ...],
    billed_em_codes: tuple[tuple[str, ...], ...],
    refill_code: str,
) -> ClaimDiagnoses:
    patient = [read_code(given) for given in patient_codes]
    malignancies = [entry.code for entry in patient if entry.malignancy]
    # Z51.11 among the patient's codes is the claim's first code, not one of "the others".
    others = [
        entry.code
        for entry in patient
        if not entry.malignancy and entry.code != CHEMOTHERAPY_ENCOUNTER_DIAGNOSIS
    ]
    em_own = [_distinct(read_code(given).code for given in codes) for codes in billed_em_codes]
    candidates = _distinct(
        [
            CHEMOTHERAPY_ENCOUNTER_DIAGNOSIS,
            *malignancies,
            *others,
            *(code for own in em_own for code in own),
        ]
    )
    kept = tuple(candidates[:MAX_CLAIM_DIAGNOSES])
    left_off = candidates[MAX_CLAIM_DIAGNOSES:]
    position = {code: index for index, code in enumerate(kept, start=1)}
    # R51: only the patient's own billable malignancies count, never one listed on an E/M.
    # Malignancies follow Z51.11, so the first of them is always among the kept codes.
    first_malignancy = malignancies[0] if malignancies else None

    refill_pointers: tuple[int, ...] = (1,)
    if first_malignancy is not None:
        refill_pointers += (position[first_malignancy],)
    # An E/M with neither its own codes nor a malignancy points at the patient's first other
    # code, else at Z51.11.
    fallback = (position[others[0]],) if others and others[0] in position else (1,)
    em_pointers = tuple(_em_pointers(own, position, first_malignancy) or fallback for own in em_own)

    findings = [_pointer_finding(kept, refill_code, refill_pointers)]
    if left_off:
        findings.append(
            Finding(
                "R50",
                HOLD,
                None,
                f"A claim carries at most {MAX_CLAIM_DIAGNOSES} diagnoses; left off: "
                f"{', '.join(left_off)}. Decide which codes this claim needs, or move the "
                "left-off codes to the visit claim, before release.",
            )
        )
    if first_malignancy is None:
        findings.append(
            Finding(
                "R51",
                HOLD,
                refill_code,
                "No valid, billable malignancy code (C00-C96, D00-D09) among the patient's "
                "diagnoses: Z51.11 must be followed by the cancer being treated, or "
                f"{refill_code} lacks medical necessity. Add the patient's malignancy "
                "diagnosis before release.",
            )
        )
    findings.extend(
        Finding(
            "R52",
            HOLD,
            None,
            f"Diagnosis {code} is not a valid, billable ICD-10-CM code (unknown, or a "
            "category that needs more characters). Correct or remove it before release.",
        )
        for code in candidates
        if not read_code(code).billable
    )
    return ClaimDiagnoses(
        codes=kept,
        refill_pointers=refill_pointers,
        em_pointers=em_pointers,
        findings=tuple(findings),
    )


def _em_pointers(
    own: list[str], position: dict[str, int], first_malignancy: str | None
) -> tuple[int, ...]:
    """Its own codes first (those the 12-code limit kept), then the first malignancy."""
    codes = [*own, first_malignancy] if first_malignancy is not None else own
    pointers = _distinct(position[code] for code in codes if code in position)
    return tuple(pointers[:MAX_POINTERS_PER_LINE])


def _pointer_finding(
    kept: tuple[str, ...], refill_code: str, refill_pointers: tuple[int, ...]
) -> Finding:
    targets = " and ".join(f"{pointer} ({kept[pointer - 1]})" for pointer in refill_pointers)
    return Finding(
        "R50",
        INFO,
        refill_code,
        f"Claim diagnoses: {', '.join(kept)}. Z51.11 (encounter for antineoplastic "
        f"chemotherapy) comes first, then the malignancy treated; {refill_code} points at "
        f"{targets}.",
    )


def _distinct(items: Iterable[T]) -> list[T]:
    return list(dict.fromkeys(items))
