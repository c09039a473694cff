"""Every billing write: deciding claims from signed documentation and moving their status.

Each status change checks the current state with the row locked, writes inside one
transaction and leaves a ``ClaimEvent`` saying who, when and why.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import zoneinfo
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from billing import exporting
from billing.engine import ENGINE_VERSION, decide, parse_facts
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


def coverage_for(encounter: Encounter) -> Coverage | None:
    """The primary coverage in force on the date of service."""
    day = encounter.date_of_service
    return (
        Coverage.objects.filter(patient_id=encounter.patient_id, effective_from__lte=day)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=day))
        .select_related("payer")
        .order_by("priority", "-effective_from")
        .first()
    )


def _username(user) -> str | None:
    return user.get_username() if user is not None else None


def facts_for_encounter(encounter: Encounter, coverage: Coverage) -> dict[str, Any]:
    """The one place where the database becomes ``refill-facts/1``.

    Uses the documentation as corrected by addenda, the same-day provider visits, the
    payer's policy flags as they are now, and the charge master on the date of service.
    """
    values = encounter_effective_values(encounter)
    day = encounter.date_of_service
    payer = coverage.payer
    zone = zoneinfo.ZoneInfo(settings.CLINIC_TIME_ZONE)
    started = values["infusion_started_at"]
    verified_by = [_username(encounter.performing_nurse)]
    if encounter.verified_by_id:
        verified_by.append(_username(encounter.verified_by))

    same_day: list[dict[str, Any]] = []
    visits = ProviderVisit.objects.filter(
        patient_id=encounter.patient_id, date_of_service=day
    ).order_by("created_at", "id")
    for visit in visits:
        same_day.append(
            {
                "code": visit.em_code,
                "performed_by_role": visit.performed_by_role,
                "separately_identifiable": visit.separately_identifiable,
                "diagnoses": list(visit.diagnoses),
            }
        )
    if values["port_flush"]:
        same_day.append({"code": "96523"})
    for field in ("blood_draw", "other_chemo"):
        if values[field]:
            same_day.append({"code": values[field]})

    charges = {
        item.code: str(item.charge.quantize(CENTS))
        for item in ChargeMasterItem.objects.effective_on(day).order_by("code", "effective_from")
    }
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


@transaction.atomic
def claim_decide_for_encounter(
    *, encounter: Encounter, by=None, reason: str, now: dt.datetime | None = None
) -> Claim:
    """Decide (or re-decide) the claim of a signed encounter.

    A live claim not yet exported is voided and superseded by the new decision; an exported
    claim is never changed: the event on it tells the biller a corrected claim is needed.
    """
    now = now or timezone.now()
    encounter = (
        Encounter.objects.select_related(
            "patient", "performing_nurse", "verified_by", "signed_by", "supervising_practitioner"
        )
        .prefetch_related("addenda", "patient__diagnoses")
        .get(pk=encounter.pk)
    )
    if encounter.status != Encounter.Status.SIGNED:
        raise BillingError("Only signed documentation can be billed.", code="unsigned")
    live = (
        Claim.objects.select_for_update()
        .filter(encounter=encounter)
        .exclude(status=Claim.Status.VOID)
        .first()
    )
    if live is not None and live.status == Claim.Status.EXPORTED:
        _event(
            live,
            by=by,
            at=now,
            from_status=live.status,
            reason=f"Documentation changed after export ({reason}); "
            "this claim stays as sent: submit a corrected claim to the payer.",
        )
        return live

    coverage = coverage_for(encounter)
    claim = Claim(
        encounter=encounter,
        patient=encounter.patient,
        date_of_service=encounter.date_of_service,
        decided_at=now,
        supersedes=live,
    )
    if coverage is None:
        claim.status = Claim.Status.HOLD
        claim.hold_reason = (
            "No coverage in force on the date of service: add the patient's coverage, "
            "then re-decide."
        )
        lines: list = []
        findings: list = []
    else:
        facts = facts_for_encounter(encounter, coverage)
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

    if live is not None:
        old_status = live.status
        live.status = Claim.Status.VOID
        live.void_reason = f"Superseded: {reason}"
        live._change_reason = live.void_reason
        live.save(update_fields=["status", "void_reason"])
        _event(live, by=by, at=now, from_status=old_status, reason=live.void_reason)

    claim._change_reason = f"decided: {reason}"
    claim.save()
    allowed = _allowed_amounts(claim)
    ClaimLine.objects.bulk_create(
        ClaimLine(
            claim=claim,
            position=i,
            code=line.code,
            modifiers=list(line.modifiers),
            units=line.units,
            place_of_service=line.place_of_service,
            diagnosis_pointers=list(line.diagnosis_pointers),
            charge=line.charge,
            expected_allowed=allowed.get(line.code),
        )
        for i, line in enumerate(lines, start=1)
    )
    ClaimFinding.objects.bulk_create(
        ClaimFinding(
            claim=claim,
            position=i,
            rule=f.rule,
            severity=f.severity,
            code=f.code or "",
            message=f.message,
        )
        for i, f in enumerate(findings, start=1)
    )
    _event(claim, by=by, at=now, from_status="", reason=f"Decided ({reason}).")
    return claim


def _allowed_amounts(claim: Claim) -> dict[str, Decimal]:
    if claim.payer_id is None:
        return {}
    entries = FeeScheduleEntry.objects.effective_on(claim.date_of_service).filter(
        payer_id=claim.payer_id
    )
    return {e.code: e.allowed_amount for e in entries.order_by("effective_from")}


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
            .values_list("id", flat=True)
        )
        if not ids:
            return None
        claims = exporting.claims_for_export(Claim.objects.filter(id__in=ids).order_by("id"))
        buffer = io.StringIO()
        control = None
        if fmt == ClaimExport.Format.X12:
            last = ClaimExport.objects.aggregate(m=Max("interchange_control_number"))["m"]
            control = (last or 0) + 1
            try:
                exporting.write_x12(
                    practice,
                    claims.iterator(chunk_size=500),
                    buffer,
                    control_number=control,
                    now=now,
                )
            except ValueError as exc:
                raise BillingError(f"The 837P could not be written: {exc}", code="x12") from exc
        else:
            exporting.write_csv(claims.iterator(chunk_size=500), buffer)
        content = buffer.getvalue().encode("utf-8")
        stamp = timezone.localtime(now, zoneinfo.ZoneInfo(settings.CLINIC_TIME_ZONE))
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
        marked = list(Claim.objects.filter(id__in=ids))
        for claim in marked:
            claim.status = Claim.Status.EXPORTED
            claim.export = export
            claim._change_reason = f"exported in {export.filename}"
        bulk_update_with_history(
            marked,
            Claim,
            ["status", "export"],
            batch_size=500,
            default_user=by,
            default_change_reason=f"exported in {export.filename}",
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
