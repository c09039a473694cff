"""Deciding claims from signed documentation: facts, then the engine, then claim rows.

A live claim not yet exported is superseded by a new decision; an exported one is never
changed. Every claim written leaves a ``ClaimEvent`` saying who, when and why.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from billing import claim_lines, exporting
from billing.engine import ENGINE_VERSION, Finding, Line, SchemaError, decide, parse_facts
from billing.engine.decision import BILLABLE, HOLD, NOT_BILLABLE
from billing.errors import BillingError
from billing.facts import established_since, facts_for_encounter, is_established
from billing.models import (
    ChargeMasterItem,
    Claim,
    ClaimEvent,
    ClaimFinding,
    ClaimLine,
    Coverage,
    DrugCatalogueItem,
    FeeScheduleEntry,
    PracticeSettings,
    is_effective_on,
)
from billing.money import ZERO
from billing.services.claims import claims_update
from config.history import record_change
from refills.models import Encounter, ProviderVisit

DECISION_TO_STATUS = {
    BILLABLE: Claim.Status.READY,
    HOLD: Claim.Status.HOLD,
    NOT_BILLABLE: Claim.Status.VOID,
}


class _References:
    """Everything deciding some encounters reads besides the encounters themselves.

    One query per kind of row, however many encounters: what is in force on any of their
    dates of service is loaded, and each encounter picks its own rows in Python.
    """

    def __init__(self, encounters: list[Encounter]) -> None:
        days = {e.date_of_service for e in encounters}
        patients = {e.patient_id for e in encounters}
        first, last = min(days), max(days)
        self.coverages: dict[int, list[Coverage]] = defaultdict(list)
        coverages = Coverage.objects.filter(patient_id__in=patients).effective_between(first, last)
        for coverage in coverages.select_related("payer").order_by(
            "priority", "-effective_from", "id"
        ):
            self.coverages[coverage.patient_id].append(coverage)
        self.visits: dict[tuple[int, dt.date], list[ProviderVisit]] = defaultdict(list)
        visits = ProviderVisit.objects.filter(
            patient_id__in=patients, date_of_service__in=days
        ).select_related("provider__clinician")
        for visit in visits.order_by("created_at", "id"):
            self.visits[(visit.patient_id, visit.date_of_service)].append(visit)
        # The days the practice documented something for each patient in the three years
        # before any of the dates of service (whether the patient is established).
        self.documented: dict[int, set[dt.date]] = defaultdict(set)
        window = {
            "patient_id__in": patients,
            "date_of_service__gte": established_since(first),
            "date_of_service__lt": last,
        }
        earlier = (
            Encounter.objects.filter(status=Encounter.Status.SIGNED, **window)
            .order_by()
            .values_list("patient_id", "date_of_service")
            .union(
                ProviderVisit.objects.filter(**window)
                .order_by()
                .values_list("patient_id", "date_of_service")
            )
        )
        for patient_id, day in earlier:
            self.documented[patient_id].add(day)
        self.charge_items = list(
            ChargeMasterItem.objects.effective_between(first, last).order_by(
                "code", "effective_from"
            )
        )
        self.drug_items = list(
            DrugCatalogueItem.objects.effective_between(first, last)
            .prefetch_related("ndcs")
            .order_by("-effective_from", "id")
        )
        payers = {c.payer_id for rows in self.coverages.values() for c in rows}
        self.fee_entries: dict[int, list[FeeScheduleEntry]] = defaultdict(list)
        entries = FeeScheduleEntry.objects.filter(payer_id__in=payers).effective_between(
            first, last
        )
        for entry in entries.order_by("effective_from", "id"):
            self.fee_entries[entry.payer_id].append(entry)

    def coverage_on(self, patient_id: int, day: dt.date) -> Coverage | None:
        """The primary coverage in force on the day (then the one that started last)."""
        return next((c for c in self.coverages[patient_id] if is_effective_on(c, day)), None)

    def visits_on(self, patient_id: int, day: dt.date) -> list[ProviderVisit]:
        return self.visits.get((patient_id, day), [])

    def charge_items_on(self, day: dt.date) -> list[ChargeMasterItem]:
        return [item for item in self.charge_items if is_effective_on(item, day)]

    def drug_items_on(self, day: dt.date) -> list[DrugCatalogueItem]:
        """The drug catalogue in force on the day, the latest start first."""
        return [item for item in self.drug_items if is_effective_on(item, day)]

    def established(self, patient_id: int, day: dt.date) -> bool:
        return is_established(day, self.documented.get(patient_id, ()))

    def allowed_amounts(self, payer_id: int | None, day: dt.date) -> dict[str, Decimal]:
        if payer_id is None:
            return {}
        return {
            e.code: e.allowed_amount for e in self.fee_entries[payer_id] if is_effective_on(e, day)
        }


def encounters_for_facts() -> QuerySet[Encounter]:
    """Encounters with what ``facts_for_encounter`` reads of them loaded alongside: the
    patient and their diagnoses, the nurses, the practitioner's profile and the addenda."""
    return Encounter.objects.select_related(
        "patient",
        "performing_nurse",
        "verified_by",
        "signed_by",
        "supervising_practitioner__clinician",
    ).prefetch_related("addenda", "patient__diagnoses")


def claim_decide_for_encounter(
    *, encounter: Encounter, by=None, reason: str, now: dt.datetime | None = None
) -> Claim:
    """Decide (or re-decide) the claim of one signed encounter: a batch of one."""
    (claim,) = claims_decide_batch([encounter.pk], by=by, reason=reason, now=now)
    return claim


def claims_decide_batch(
    encounter_ids: Iterable[int], *, by=None, reason: str, now: dt.datetime | None = None
) -> list[Claim]:
    """Decide (or re-decide) the claims of signed encounters in one transaction.

    A live claim not yet exported is voided and superseded by the new decision; an exported
    claim is never changed: the event on it tells the biller a corrected claim is needed.
    Returns each encounter's live claim, in the order of ``encounter_ids``.

    The number of queries does not depend on the number of encounters (but for SQLite, which
    splits bulk inserts to fit its limit on parameters): what the facts need is loaded up
    front and the rows are inserted in bulk. Everything is held in memory until the end, so
    pass a chunk (about a thousand encounters) at a time.
    """
    now = now or timezone.now()
    ids = list(dict.fromkeys(encounter_ids))
    if not ids:
        return []
    with transaction.atomic():
        encounters = encounters_for_facts().filter(pk__in=ids).in_bulk()
        missing = [pk for pk in ids if pk not in encounters]
        if missing:
            raise Encounter.DoesNotExist(f"Encounter {missing[0]} does not exist.")
        if any(e.status != Encounter.Status.SIGNED for e in encounters.values()):
            raise BillingError("Only signed documentation can be billed.", code="unsigned")
        live = {
            claim.encounter_id: claim
            for claim in Claim.objects.select_for_update()
            .filter(encounter_id__in=ids)
            .exclude(status__in=[Claim.Status.VOID, Claim.Status.CORRECTED])
            .prefetch_related("findings")
            .order_by("pk")
        }
        # Sent to the payer (whatever it answered since): kept as sent. A rejected claim never
        # reached adjudication: it is decided again like one not yet sent.
        exported = {
            pk: c for pk, c in live.items() if c.was_sent and c.status != Claim.Status.REJECTED
        }
        to_decide = [encounters[pk] for pk in ids if pk not in exported]
        events = [
            ClaimEvent(
                claim=claim,
                by=by,
                at=now,
                from_status=claim.status,
                to_status=claim.status,
                reason=f"Documentation changed after export ({reason}); "
                "this claim stays as sent: submit a corrected claim to the payer.",
            )
            for claim in exported.values()
        ]
        decided = decide_all(to_decide, live, now=now) if to_decide else []
        # A re-decision that bills the same lines keeps the claim, its number and its status
        # (the biller's approval among them): only an event says it was checked again.
        same = [d for d in decided if _same(d.claim)]
        decided = [d for d in decided if not _same(d.claim)]
        # _same holds only for a claim that supersedes one.
        pairs = [(d, d.claim.supersedes) for d in same if d.claim.supersedes is not None]
        kept = [old for _, old in pairs]
        new_findings: list[ClaimFinding] = []
        for d, old in pairs:
            event, findings = _keep(d, old, by=by, reason=reason, now=now)
            events.append(event)
            new_findings += findings
        _save_kept(kept, new_findings, by=by, reason=reason)
        for d in decided:
            previous = d.claim.supersedes
            if previous is not None:
                d.claim.change_summary = f"Re-decided ({reason}): {changes(previous, d.claim)}"
                d.claim.approval_cleared = previous.status == Claim.Status.APPROVED

        superseded = [
            (d.claim.supersedes, d.claim.supersedes.status) for d in decided if d.claim.supersedes
        ]
        if superseded:
            void_reason = f"Superseded: {reason}"
            claims_update(
                [old for old, _ in superseded],
                by=by,
                reason=void_reason,
                status=Claim.Status.VOID,
                void_reason=void_reason,
            )
        events += [
            ClaimEvent(
                claim=old,
                by=by,
                at=now,
                from_status=old_status,
                to_status=old.status,
                reason=old.void_reason,
            )
            for old, old_status in superseded
        ]
        events += insert_decided(decided, by=by, reason=reason, now=now)
        ClaimEvent.objects.bulk_create(events)
    result = dict(exported)
    result.update((old.encounter_id, old) for old in kept)
    result.update((d.claim.encounter_id, d.claim) for d in decided)
    return [result[pk] for pk in ids]


def _keep(d: _Decided, old: Claim, *, by, reason: str, now: dt.datetime) -> tuple[ClaimEvent, list]:
    """Keep ``old``, the claim ``d`` would supersede, as it bills the same: its number, status
    and lines stay; its facts, decision and findings are brought up to date in memory (a new
    warning or denial is not lost). The event, and the findings to write if they changed."""
    before = [(f.rule, f.severity, f.code, f.message) for f in old.findings.all()]
    after = [(f.rule, f.severity, f.code or "", f.message) for f in d.findings]
    words = (
        f"Re-decided ({reason}): codes, modifiers, units, diagnosis pointers, rendering and "
        "charges came out the same; the claim keeps its number and status."
    )
    findings = []
    if before != after:
        findings = [
            ClaimFinding(claim=old, position=i, rule=rule, severity=severity, code=code, message=m)
            for i, (rule, severity, code, m) in enumerate(after, start=1)
        ]
        old_keys = {f[:3] for f in before}
        new_keys = {f[:3] for f in after}
        added = [" ".join(filter(None, f[:3])) for f in after if f[:3] not in old_keys]
        gone = [" ".join(filter(None, f[:3])) for f in before if f[:3] not in new_keys]
        if added:
            words += f" New findings: {', '.join(added)}."
        if gone:
            words += f" Findings gone: {', '.join(gone)}."
    old.facts, old.decision = d.claim.facts, d.claim.decision
    old.engine_version, old.decided_at = d.claim.engine_version, now
    event = ClaimEvent(
        claim=old, by=by, at=now, from_status=old.status, to_status=old.status, reason=words
    )
    return event, findings


def _save_kept(kept: list[Claim], findings: list[ClaimFinding], *, by, reason: str) -> None:
    if not kept:
        return
    Claim.objects.bulk_update(kept, ["facts", "decision", "engine_version", "decided_at"])
    Claim.history.bulk_history_create(
        kept, update=True, default_user=by, default_change_reason=f"re-checked: {reason}"
    )
    changed = {f.claim_id for f in findings}
    if changed:
        ClaimFinding.objects.filter(claim_id__in=changed).delete()
        ClaimFinding.objects.bulk_create(findings)


def _billed(claim: Claim) -> tuple:
    """What a claim bills: its payer, diagnoses and lines (codes, modifiers, units, pointers,
    rendering, charges and drug fields, as the engine wrote them)."""
    decision = claim.decision or {}
    return claim.payer_id, decision.get("diagnoses"), decision.get("lines")


def _same(new: Claim) -> bool:
    """The new decision of ``new`` bills what the claim it supersedes billed, in the same
    status (an approved claim counts as ready)."""
    old = new.supersedes
    if old is None or old.decision is None or new.decision is None:
        return False
    return new.status == _status_as_decided(old) and _billed(old) == _billed(new)


def _status_as_decided(claim: Claim) -> str:
    """The status the engine gave the claim (an approved claim was ready)."""
    return Claim.Status.READY if claim.status == Claim.Status.APPROVED else claim.status


def _line_words(line: dict) -> str:
    modifiers = "".join(f"-{m}" for m in line.get("modifiers") or ())
    return f"{line.get('code')}{modifiers}"


def changes(old: Claim, new: Claim) -> str:
    """What a re-decision changed against the claim it supersedes, in words."""
    changes: list[str] = []
    # An approved claim decided again is ready again: the approval cleared is said elsewhere.
    if _status_as_decided(old) != new.status:
        changes.append(
            f"status {old.get_status_display().lower()} -> {new.get_status_display().lower()}"
        )
    if old.payer_id != new.payer_id:
        changes.append(f"payer {old.payer or 'none'} -> {new.payer or 'none'}")
    old_decision, new_decision = old.decision or {}, new.decision or {}
    if old_decision.get("diagnoses") != new_decision.get("diagnoses"):
        changes.append(
            f"diagnoses {', '.join(old_decision.get('diagnoses') or ()) or 'none'} -> "
            f"{', '.join(new_decision.get('diagnoses') or ()) or 'none'}"
        )
    old_lines = {line["code"]: line for line in old_decision.get("lines") or ()}
    new_lines = {line["code"]: line for line in new_decision.get("lines") or ()}
    for code, line in new_lines.items():
        before = old_lines.get(code)
        if before is None:
            changes.append(f"{_line_words(line)} added")
            continue
        for field, value in line.items():
            if before.get(field) != value:
                changes.append(f"{code} {field.replace('_', ' ')} {before.get(field)} -> {value}")
    changes += [
        f"{_line_words(line)} removed" for code, line in old_lines.items() if code not in new_lines
    ]
    return "; ".join(changes) or "the findings changed"


def insert_decided(
    decided: list[_Decided], *, by, reason: str, now: dt.datetime
) -> list[ClaimEvent]:
    """Insert new claims with their lines and findings; the events saying they were decided
    are returned for the caller to insert with its own."""
    for d in decided:
        d.claim.expected_allowed = claim_lines.expected_allowed(d.claim_lines)
        record_change(d.claim, by=by, reason=f"decided: {reason}")
    bulk_create_with_history([d.claim for d in decided], Claim, default_user=by)
    ClaimLine.objects.bulk_create(line for d in decided for line in d.claim_lines)
    ClaimFinding.objects.bulk_create(
        [
            ClaimFinding(
                claim=d.claim,
                position=i,
                rule=f.rule,
                severity=f.severity,
                code=f.code or "",
                message=f.message,
            )
            for d in decided
            for i, f in enumerate(d.findings, start=1)
        ]
        + [
            ClaimFinding(
                claim=d.claim,
                position=len(d.findings) + 1,
                rule=exporting.WRITER_FINDING,
                severity="hold",
                message=d.writer_problem,
            )
            for d in decided
            if d.writer_problem
        ]
    )
    return [
        ClaimEvent(
            claim=d.claim,
            by=by,
            at=now,
            from_status="",
            to_status=d.claim.status,
            reason=f"Decided ({reason}).",
        )
        for d in decided
    ]


@dataclass
class _Decided:
    """A new claim, not saved yet, with what is inserted beside it."""

    claim: Claim
    lines: list[Line]
    findings: list[Finding]
    allowed: dict[str, Decimal]
    # The user name each line is billed under, in line order.
    rendering: list[str | None]
    claim_lines: list[ClaimLine]
    # Why the 837P writer refuses the claim, when it does.
    writer_problem: str | None = None


def decide_all(
    encounters: list[Encounter], live: dict[int, Claim], *, now: dt.datetime
) -> list[_Decided]:
    references = _References(encounters)
    decided = []
    for encounter in encounters:
        day = encounter.date_of_service
        coverage = references.coverage_on(encounter.patient_id, day)
        claim = Claim(
            encounter=encounter,
            patient=encounter.patient,
            date_of_service=day,
            decided_at=now,
            supersedes=live.get(encounter.pk),
        )
        lines: list[Line] = []
        findings: list[Finding] = []
        rendering: list[str | None] = []
        if coverage is None:
            claim.status = Claim.Status.HOLD
            claim.hold_reason = (
                "No coverage in force on the date of service: add the patient's coverage, "
                "then re-decide."
            )
        else:
            facts = facts_for_encounter(
                encounter,
                coverage,
                visits=references.visits_on(encounter.patient_id, day),
                charge_items=references.charge_items_on(day),
                drug_items=references.drug_items_on(day),
                established=references.established(encounter.patient_id, day),
            )
            try:
                decision = decide(parse_facts(facts))
            except SchemaError as exc:
                # Reference data the contract cannot carry (two practitioners whose names
                # differ only in case, say): the biller sees which field, nothing is billed.
                claim.payer = coverage.payer
                claim.coverage = coverage
                claim.facts = facts
                claim.status = Claim.Status.HOLD
                claim.hold_reason = (
                    f"The billing facts could not be built ({exc.field}: {exc.message}); "
                    "correct the reference data, then re-decide."
                )[:500]
                decided.append(_Decided(claim, [], [], {}, [], []))
                continue
            claim.payer = coverage.payer
            claim.coverage = coverage
            claim.facts = facts
            claim.decision = decision.to_dict()
            claim.decision_status = decision.status
            claim.engine_version = ENGINE_VERSION
            claim.diagnoses = list(decision.diagnoses)
            claim.status = DECISION_TO_STATUS[decision.status]
            if decision.status == NOT_BILLABLE:
                claim.void_reason = "Not billable: see the findings."
            lines = list(decision.lines)
            findings = list(decision.findings)
            claim.total_charge = sum(
                (line.charge for line in lines if line.charge is not None), ZERO
            )
            rendering = claim_lines.rendering_keys(
                lines,
                version=decision.version,
                supervising=decision.supervising
                if decision.version == 2
                else facts["documentation"]["supervising_practitioner"],
                visits=references.visits_on(encounter.patient_id, day),
            )
            if claim.status != Claim.Status.VOID and coverage.priority != Coverage.Priority.PRIMARY:
                claim.status = Claim.Status.HOLD
                claim.hold_reason = (
                    f"The only coverage in force on the date of service is "
                    f"{coverage.get_priority_display().lower()}: a claim goes to the primary "
                    "payer first. Add the primary coverage (or, if this plan is now the "
                    "primary, set its priority to primary), then re-decide."
                )
        decided.append(
            _Decided(
                claim,
                lines,
                findings,
                references.allowed_amounts(claim.payer_id, day),
                rendering,
                [],
            )
        )
    _claim_lines_checked(decided)
    return decided


def _claim_lines_checked(decided: list[_Decided]) -> None:
    """Build each claim's lines with the practitioners they are billed under, then ask the
    837P writer about every claim with lines: one it refuses is held, with a finding naming
    the field and what to do."""
    people = claim_lines.practitioners(key for d in decided for key in d.rendering if key)
    practice = PracticeSettings.objects.first() if decided else None
    for d in decided:
        d.claim_lines = [
            ClaimLine(
                claim=d.claim,
                position=position,
                **claim_lines.line_values(line, people.get(key or ""), allowed=d.allowed),
            )
            for position, (line, key) in enumerate(zip(d.lines, d.rendering, strict=True), 1)
        ]
        if not d.claim_lines or d.claim.status == Claim.Status.VOID:
            continue
        problem = exporting.claim_problem(
            exporting.export_claim_of(d.claim, d.claim_lines), practice
        )
        if problem is None:
            continue
        d.writer_problem = problem.message
        if d.claim.status == Claim.Status.READY:
            d.claim.status = Claim.Status.HOLD
            d.claim.hold_reason = problem.message


# Claims a payer's policy change may re-decide: those not yet sent, and rejected ones.
OPEN_STATUSES = (
    Claim.Status.HOLD,
    Claim.Status.READY,
    Claim.Status.APPROVED,
    Claim.Status.REJECTED,
)
REDECIDE_CHUNK = 1000


def payer_open_encounters(payer) -> QuerySet[Encounter]:
    """The encounters whose live claim is with ``payer`` and not yet sent (or rejected)."""
    return Encounter.objects.filter(
        pk__in=Claim.objects.filter(payer=payer, status__in=OPEN_STATUSES).values("encounter")
    ).order_by("date_of_service", "pk")


def claims_redecide_for_payer(*, payer, by, reason: str, now: dt.datetime | None = None) -> dict:
    """Re-decide every open claim of ``payer`` after its policy changed, a chunk of
    encounters per transaction; how many claims were kept and how many replaced."""
    now = now or timezone.now()
    ids = list(payer_open_encounters(payer).values_list("pk", flat=True))
    before = dict(
        Claim.objects.filter(encounter_id__in=ids, status__in=OPEN_STATUSES).values_list(
            "encounter_id", "pk"
        )
    )
    kept = replaced = 0
    for first in range(0, len(ids), REDECIDE_CHUNK):
        chunk = ids[first : first + REDECIDE_CHUNK]
        for claim in claims_decide_batch(chunk, by=by, reason=reason, now=now):
            if before.get(claim.encounter_id) == claim.pk:
                kept += 1
            else:
                replaced += 1
    return {"kept": kept, "replaced": replaced}
