"""Every billing write: deciding claims from signed documentation and moving their status.

Each status change checks the current state with the row locked, writes inside one
transaction and leaves a ``ClaimEvent`` saying who, when and why.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from billing import exporting, x12
from billing.engine import ENGINE_VERSION, Finding, Line, decide, parse_facts
from billing.models import (
    ChargeMasterItem,
    Claim,
    ClaimEvent,
    ClaimExport,
    ClaimFinding,
    ClaimLine,
    Coverage,
    FeeScheduleEntry,
    PracticeSettings,
)
from refills.models import Encounter, ProviderVisit
from refills.services import encounter_effective_values

CENTS = Decimal("0.01")
DECISION_TO_STATUS = {
    "billable": Claim.Status.READY,
    "hold": Claim.Status.HOLD,
    "not_billable": Claim.Status.VOID,
}


class BillingError(Exception):
    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


def _in_force(row, day: dt.date) -> bool:
    """Whether a dated row (coverage, charge master item, fee schedule entry) applies on day."""
    return row.effective_from <= day and (row.effective_to is None or row.effective_to >= day)


def _in_force_between(queryset: QuerySet, first: dt.date, last: dt.date) -> QuerySet:
    return queryset.filter(effective_from__lte=last).filter(
        Q(effective_to__isnull=True) | Q(effective_to__gte=first)
    )


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
        coverages = _in_force_between(Coverage.objects.filter(patient_id__in=patients), first, last)
        for coverage in coverages.select_related("payer").order_by(
            "priority", "-effective_from", "id"
        ):
            self.coverages[coverage.patient_id].append(coverage)
        self.visits: dict[tuple[int, dt.date], list[ProviderVisit]] = defaultdict(list)
        visits = ProviderVisit.objects.filter(patient_id__in=patients, date_of_service__in=days)
        for visit in visits.order_by("created_at", "id"):
            self.visits[(visit.patient_id, visit.date_of_service)].append(visit)
        self.charge_items = list(
            _in_force_between(ChargeMasterItem.objects.all(), first, last).order_by(
                "code", "effective_from"
            )
        )
        payers = {c.payer_id for rows in self.coverages.values() for c in rows}
        self.fee_entries: dict[int, list[FeeScheduleEntry]] = defaultdict(list)
        entries = _in_force_between(
            FeeScheduleEntry.objects.filter(payer_id__in=payers), first, last
        )
        for entry in entries.order_by("effective_from", "id"):
            self.fee_entries[entry.payer_id].append(entry)

    def coverage_on(self, patient_id: int, day: dt.date) -> Coverage | None:
        """The primary coverage in force on the day (then the one that started last)."""
        return next((c for c in self.coverages[patient_id] if _in_force(c, day)), None)

    def visits_on(self, patient_id: int, day: dt.date) -> list[ProviderVisit]:
        return self.visits.get((patient_id, day), [])

    def charge_items_on(self, day: dt.date) -> list[ChargeMasterItem]:
        return [item for item in self.charge_items if _in_force(item, day)]

    def allowed_amounts(self, payer_id: int | None, day: dt.date) -> dict[str, Decimal]:
        if payer_id is None:
            return {}
        return {e.code: e.allowed_amount for e in self.fee_entries[payer_id] if _in_force(e, day)}


def _username(user) -> str | None:
    return user.get_username() if user is not None else None


def facts_for_encounter(
    encounter: Encounter,
    coverage: Coverage,
    *,
    visits: Iterable[ProviderVisit],
    charge_items: Iterable[ChargeMasterItem],
) -> dict[str, Any]:
    """The one place where the database becomes ``refill-facts/1``.

    Uses the documentation as corrected by addenda, the same-day provider ``visits`` (in
    the order they were recorded), the payer's policy flags as they are now, and the
    ``charge_items`` in force on the date of service (by code, then start). Reads nothing
    itself: the encounter comes with its people, addenda and patient diagnoses loaded.
    """
    values = encounter_effective_values(encounter)
    day = encounter.date_of_service
    payer = coverage.payer
    zone = timezone.get_default_timezone()  # the clinic's (settings.TIME_ZONE)
    started = values["infusion_started_at"]
    verified_by = [_username(encounter.performing_nurse)]
    if encounter.verified_by_id:
        verified_by.append(_username(encounter.verified_by))

    same_day: list[dict[str, Any]] = [
        {
            "code": visit.em_code,
            "performed_by_role": visit.performed_by_role,
            "separately_identifiable": visit.separately_identifiable,
            "diagnoses": list(visit.diagnoses),
        }
        for visit in visits
    ]
    if values["port_flush"]:
        same_day.append({"code": "96523"})
    for field in ("blood_draw", "other_chemo"):
        if values[field]:
            same_day.append({"code": values[field]})

    charges = {item.code: str(item.charge.quantize(CENTS)) for item in charge_items}
    return {
        "schema": "refill-facts/1",
        "payer": {
            "code": payer.code,
            "program": payer.program,
            "allows_99211_with_drug_admin": payer.allows_99211_with_drug_admin,
            "modifier25_requires_note": payer.modifier25_requires_note,
        },
        "claim_type": "professional",
        "date_of_service": day.isoformat(),
        "place_of_service": values["place_of_service"],
        "diagnoses": [d.code for d in encounter.patient.diagnoses.all()],
        "pump": {"type": values["pump_type"], "service": values["service"]},
        "drug": {
            "name": values["drug_name"],
            "antineoplastic": values["drug_antineoplastic"],
            "lot": values["drug_lot"] or None,
            "expires_on": values["drug_expires_on"].isoformat()
            if values["drug_expires_on"]
            else None,
        },
        "documentation": {
            "weight_kg": float(values["weight_kg"]) if values["weight_kg"] is not None else None,
            "weight_measured_on": _iso(values["weight_measured_on"]),
            "cbc_collected_on": _iso(values["cbc_collected_on"]),
            "cmp_collected_on": _iso(values["cmp_collected_on"]),
            "verified_by": verified_by,
            "pump_programmed": values["pump_programmed"],
            "pump_primed": values["pump_primed"],
            "pump_function_verified": values["pump_function_verified"],
            "teaching": {
                "alarms": values["teaching_alarms"],
                "site_care": values["teaching_site_care"],
            },
            "infusion_started_at": started.astimezone(zone).isoformat() if started else None,
            "adverse_reaction": values["adverse_reaction"] or None,
            "signed_by": _username(encounter.signed_by),
            "supervising_practitioner": _username(values["supervising_practitioner"]),
        },
        "same_day_services": same_day,
        "charges": charges,
        "lab_window_days": settings.LAB_WINDOW_DAYS,
    }


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _event(claim: Claim, *, by, at: dt.datetime, from_status: str, reason: str) -> None:
    ClaimEvent.objects.create(
        claim=claim, by=by, at=at, from_status=from_status, to_status=claim.status, reason=reason
    )


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
        encounters = (
            Encounter.objects.filter(pk__in=ids)
            .select_related(
                "patient",
                "performing_nurse",
                "verified_by",
                "signed_by",
                "supervising_practitioner",
            )
            .prefetch_related("addenda", "patient__diagnoses")
            .in_bulk()
        )
        missing = [pk for pk in ids if pk not in encounters]
        if missing:
            raise Encounter.DoesNotExist(f"Encounter {missing[0]} does not exist.")
        if any(e.status != Encounter.Status.SIGNED for e in encounters.values()):
            raise BillingError("Only signed documentation can be billed.", code="unsigned")
        live = {
            claim.encounter_id: claim
            for claim in Claim.objects.select_for_update()
            .filter(encounter_id__in=ids)
            .exclude(status=Claim.Status.VOID)
            .order_by("pk")
        }
        exported = {pk: c for pk, c in live.items() if c.status == Claim.Status.EXPORTED}
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
        decided = _decide_all(to_decide, live, now=now) if to_decide else []

        superseded = [
            (d.claim.supersedes, d.claim.supersedes.status) for d in decided if d.claim.supersedes
        ]
        if superseded:
            void_reason = f"Superseded: {reason}"
            _claims_update(
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
        for d in decided:
            d.claim._change_reason = f"decided: {reason}"
        bulk_create_with_history([d.claim for d in decided], Claim, default_user=by)
        ClaimLine.objects.bulk_create(
            ClaimLine(
                claim=d.claim,
                position=i,
                code=line.code,
                modifiers=list(line.modifiers),
                units=line.units,
                place_of_service=line.place_of_service,
                diagnosis_pointers=list(line.diagnosis_pointers),
                charge=line.charge,
                expected_allowed=d.allowed.get(line.code),
            )
            for d in decided
            for i, line in enumerate(d.lines, start=1)
        )
        ClaimFinding.objects.bulk_create(
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
        )
        events += [
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
        ClaimEvent.objects.bulk_create(events)
    result = dict(exported)
    result.update((d.claim.encounter_id, d.claim) for d in decided)
    return [result[pk] for pk in ids]


@dataclass
class _Decided:
    """A new claim, not saved yet, with what is inserted beside it."""

    claim: Claim
    lines: list[Line]
    findings: list[Finding]
    allowed: dict[str, Decimal]


def _decide_all(
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
            )
            decision = decide(parse_facts(facts))
            claim.payer = coverage.payer
            claim.coverage = coverage
            claim.facts = facts
            claim.decision = decision.to_dict()
            claim.decision_status = decision.status
            claim.engine_version = ENGINE_VERSION
            claim.diagnoses = list(decision.diagnoses)
            claim.status = DECISION_TO_STATUS[decision.status]
            if decision.status == "not_billable":
                claim.void_reason = "Not billable: see the findings."
            lines = list(decision.lines)
            findings = list(decision.findings)
            claim.total_charge = sum(
                (line.charge for line in lines if line.charge is not None), Decimal("0.00")
            )
        decided.append(
            _Decided(claim, lines, findings, references.allowed_amounts(claim.payer_id, day))
        )
    return decided


def _claims_update(claims: list[Claim], *, by, reason: str, **values) -> None:
    """Give every claim the same values: one UPDATE (a bulk_update would send a CASE per
    row), then a history row each, with who and why."""
    for claim in claims:
        for field, value in values.items():
            setattr(claim, field, value)
    Claim.objects.filter(pk__in=[claim.pk for claim in claims]).update(**values)
    Claim.history.bulk_history_create(
        claims, batch_size=500, update=True, default_user=by, default_change_reason=reason
    )


def _transition(
    claim: Claim, *, by, allowed_from: set[str], to: str, reason: str, now: dt.datetime | None
) -> Claim:
    now = now or timezone.now()
    with transaction.atomic():
        claim = Claim.objects.select_for_update().get(pk=claim.pk)
        if claim.status not in allowed_from:
            raise BillingError(
                f"This claim is {claim.get_status_display().lower()}; it cannot be "
                f"{to if to != 'ready' else 'released'} from that state.",
                code="state",
            )
        old = claim.status
        claim.status = to
        claim.hold_reason = reason if to == Claim.Status.HOLD else ""
        claim._change_reason = reason
        claim._history_user = by
        claim.save(update_fields=["status", "hold_reason"])
        _event(claim, by=by, at=now, from_status=old, reason=reason)
    return claim


def _line_problems(claim: Claim) -> list[str]:
    return [
        f"line {line.position} ({line.code}) has no charge in the charge master"
        for line in claim.lines.all()
        if line.charge is None
    ]


def claim_approve(*, claim: Claim, by, now: dt.datetime | None = None) -> Claim:
    problems = _line_problems(claim)
    if problems:
        raise BillingError(
            "Cannot approve: " + "; ".join(problems) + ". Add the charge, then re-decide.",
            code="charge",
        )
    return _transition(
        claim,
        by=by,
        allowed_from={Claim.Status.READY},
        to=Claim.Status.APPROVED,
        reason="Approved for export.",
        now=now,
    )


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise BillingError("Give a reason.", field="reason", code="required")
    return reason


def claim_hold(*, claim: Claim, by, reason: str, now: dt.datetime | None = None) -> Claim:
    return _transition(
        claim,
        by=by,
        allowed_from={Claim.Status.READY, Claim.Status.APPROVED},
        to=Claim.Status.HOLD,
        reason=_reason(reason),
        now=now,
    )


def claim_release(*, claim: Claim, by, reason: str, now: dt.datetime | None = None) -> Claim:
    reason = _reason(reason)
    if claim.payer_id is None:
        raise BillingError(
            "This claim has no payer: add the coverage and re-decide instead.", code="no_payer"
        )
    return _transition(
        claim,
        by=by,
        allowed_from={Claim.Status.HOLD},
        to=Claim.Status.READY,
        reason=reason,
        now=now,
    )


# One 837P transaction set holds fewer than 5,000 claims (005010X222A1); a larger backlog
# goes out in several files, oldest claims first, each claim still exactly once.
MAX_CLAIMS_PER_EXPORT = x12.MAX_CLAIMS - 1


def claims_export(*, by, fmt: str, now: dt.datetime | None = None):
    """Export every approved claim exactly once, or nothing at all.

    Selecting, writing and marking happen in one transaction: the practice settings row is
    locked first (one export at a time, unique control numbers), then the approved claims;
    a claim another export took meanwhile no longer matches and is skipped. Any error
    leaves every claim approved and no export recorded. Returns None when nothing is
    waiting.
    """
    now = now or timezone.now()
    if fmt not in ClaimExport.Format.values:
        raise BillingError(f"Unknown export format {fmt!r}.", field="format", code="format")
    with transaction.atomic():
        practice = PracticeSettings.objects.select_for_update().first()
        if practice is None:
            raise BillingError(
                "Enter the practice settings (billing provider, NPI, EIN) before exporting.",
                code="practice",
            )
        ids = list(
            Claim.objects.select_for_update()
            .filter(status=Claim.Status.APPROVED)
            .order_by("id")
            .values_list("id", flat=True)[:MAX_CLAIMS_PER_EXPORT]
        )
        if not ids:
            return None
        claims = exporting.claims_for_export(ids)
        buffer = io.StringIO()
        control = None
        if fmt == ClaimExport.Format.X12:
            last = ClaimExport.objects.aggregate(m=Max("interchange_control_number"))["m"]
            control = (last or 0) + 1
            try:
                exporting.write_x12(
                    practice,
                    claims,
                    buffer,
                    control_number=control,
                    now=now,
                )
            except ValueError as exc:
                raise BillingError(f"The 837P could not be written: {exc}", code="x12") from exc
        else:
            exporting.write_csv(claims, buffer)
        content = buffer.getvalue().encode("utf-8")
        stamp = timezone.localtime(now, timezone.get_default_timezone())
        export = ClaimExport.objects.create(
            created_at=now,
            created_by=by,
            format=fmt,
            filename=f"claims-{stamp:%Y%m%d-%H%M%S}-{control or len(ids)}.{fmt}",
            sha256=hashlib.sha256(content).hexdigest(),
            content=content,
            claim_count=len(ids),
            interchange_control_number=control,
        )
        # History keeps no facts or decision: the claims are read without them.
        marked = list(Claim.objects.filter(id__in=ids).defer("facts", "decision"))
        _claims_update(
            marked,
            by=by,
            reason=f"exported in {export.filename}",
            status=Claim.Status.EXPORTED,
            export=export,
        )
        ClaimEvent.objects.bulk_create(
            ClaimEvent(
                claim=claim,
                by=by,
                at=now,
                from_status=Claim.Status.APPROVED,
                to_status=Claim.Status.EXPORTED,
                reason=f"Exported in {export.filename} (sha256 {export.sha256[:12]}).",
            )
            for claim in marked
        )
    return export
