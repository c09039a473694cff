"""R50-R52: the claim's diagnosis list and each line's pointers into it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

from billing.engine.codes import (
    CHEMOTHERAPY_ENCOUNTER_DIAGNOSIS,
    MAX_CLAIM_DIAGNOSES,
    MAX_POINTERS_PER_LINE,
)
from billing.engine.decision import HOLD, INFO, Finding
from billing.engine.facts import SameDayService
from refills.icd10 import is_billable
from refills.icd10 import is_malignancy as _is_malignancy
from refills.icd10 import normalize as _normalize

T = TypeVar("T")

# Every decision asks about the same few codes, and the answers never change.
normalize = lru_cache(maxsize=4096)(_normalize)
is_malignancy = lru_cache(maxsize=4096)(_is_malignancy)


@dataclass(frozen=True)
class ClaimDiagnoses:
    codes: tuple[str, ...]
    refill_pointers: tuple[int, ...]
    # One entry per billed E/M service, in the order the services were given.
    em_pointers: tuple[tuple[int, ...], ...]
    findings: tuple[Finding, ...]


def claim_diagnoses(
    patient_codes: Sequence[str],
    billed_em: Sequence[SameDayService],
    refill_code: str,
) -> ClaimDiagnoses:
    patient = [normalize(code) for code in patient_codes]
    malignancies = [code for code in patient if is_malignancy(code)]
    others = [code for code in patient if not is_malignancy(code)]
    em_codes = [normalize(code) for service in billed_em for code in service.diagnoses]
    candidates = _distinct([CHEMOTHERAPY_ENCOUNTER_DIAGNOSIS, *malignancies, *others, *em_codes])
    kept = tuple(candidates[:MAX_CLAIM_DIAGNOSES])
    left_off = candidates[MAX_CLAIM_DIAGNOSES:]
    position = {code: index for index, code in enumerate(kept, start=1)}
    first_malignancy = next((code for code in kept if is_malignancy(code)), None)

    refill_pointers: tuple[int, ...] = (position[CHEMOTHERAPY_ENCOUNTER_DIAGNOSIS],)
    if first_malignancy is not None:
        refill_pointers += (position[first_malignancy],)

    em_pointers = tuple(
        _em_pointers(service, kept, position, first_malignancy) for service in billed_em
    )

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
                "No valid malignancy code (C00-C96, D00-D09) on the claim: Z51.11 must be "
                f"followed by the cancer being treated, or {refill_code} lacks medical "
                "necessity. Add the patient's malignancy diagnosis before release.",
            )
        )
    findings.extend(
        Finding(
            "R52",
            HOLD,
            None,
            f"Diagnosis {code or '(blank)'} is not a valid, billable ICD-10-CM code "
            "(unknown, or a category that needs more characters). Correct or remove it "
            "before release.",
        )
        for code in candidates
        if not is_billable(code)
    )
    return ClaimDiagnoses(
        codes=kept,
        refill_pointers=refill_pointers,
        em_pointers=em_pointers,
        findings=tuple(findings),
    )


def _em_pointers(
    service: SameDayService,
    kept: tuple[str, ...],
    position: dict[str, int],
    first_malignancy: str | None,
) -> tuple[int, ...]:
    own = [normalize(code) for code in service.diagnoses]
    if first_malignancy is not None:
        own.append(first_malignancy)
    pointers = _distinct(position[code] for code in own if code in position)
    if not pointers:
        # Only reachable when the claim has no malignancy (already held by R51) and the E/M
        # named no code: point at the patient's first code so the line stays well formed.
        pointers = [2 if len(kept) > 1 else 1]
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
