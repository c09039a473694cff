"""Reads for the biller's pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, fields
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, QuerySet, Sum
from django.utils import timezone

from billing import dashboard
from billing.denials import DenialRule, rules_for
from billing.inbound import describe
from billing.models import (
    AdjustmentReason,
    Claim,
    ClaimAcknowledgment,
    ClaimExport,
    ClaimFinding,
    ClaimPayment,
    ClaimStatusTotal,
    Coverage,
    DenialAction,
    Payer,
    RemarkCode,
    X12Import,
)
from billing.money import ZERO, money
from config.paging import page_of
from refills.models import Patient, ProviderVisit
from refills.selectors import AuditEntry, history_entries

# The orders the biller's queue offers: key (as sent in ?sort=) -> label and ORM ordering.
# Each ends in the id, so that a page boundary never moves between two requests.
QUEUE_SORTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "-date": ("Date, newest first", ("-date_of_service", "-id")),
    "date": ("Date, oldest first", ("date_of_service", "id")),
    "-number": ("Claim number, highest first", ("-id",)),
    "number": ("Claim number, lowest first", ("id",)),
    "patient": ("Patient, A to Z", ("patient__last_name", "patient__first_name", "id")),
    "-patient": ("Patient, Z to A", ("-patient__last_name", "-patient__first_name", "-id")),
    "payer": ("Payer, A to Z", ("payer__name", "id")),
    "-payer": ("Payer, Z to A", ("-payer__name", "-id")),
    "-total": ("Total, largest first", ("-total_charge", "-id")),
    "total": ("Total, smallest first", ("total_charge", "id")),
    "status": ("Status, A to Z", ("status", "id")),
    "-status": ("Status, Z to A", ("-status", "-id")),
}
DEFAULT_QUEUE_SORT = "-date"
# What the queue lists unless a filter names a status: every claim that is not void.
QUEUE_STATUSES = tuple(status for status in Claim.Status.values if status != Claim.Status.VOID)


@dataclass(frozen=True)
class QueueFilters:
    status: str = ""
    payer: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    rule: str = ""
    search: str = ""
    sort: str = DEFAULT_QUEUE_SORT
    # The dashboard's links: unpaid claims exported this many days ago (dashboard.AGE_KEYS),
    # a group of statuses (dashboard.OUTCOMES), a denial reason, days from export to payment
    # (dashboard.PAYMENT_KEYS).
    age: str = ""
    outcome: str = ""
    carc: str = ""
    paid_in: str = ""


@dataclass(frozen=True)
class StatusTotal:
    status: str
    label: str
    count: int
    total: Decimal


@dataclass(frozen=True)
class QueueTotals:
    """How many claims the filters select and what they add up to, by status."""

    by_status: tuple[StatusTotal, ...]

    @property
    def count(self) -> int:
        return sum(row.count for row in self.by_status)

    @property
    def total(self) -> Decimal:
        return money(sum((row.total for row in self.by_status), ZERO))


def claims_visible_to(user) -> QuerySet[Claim]:
    if not user.has_perm("billing.view_claim"):
        return Claim.objects.none()
    return Claim.objects.all()


def claim_queue(user, filters: QueueFilters) -> QuerySet[Claim]:
    claims = claims_visible_to(user).select_related("patient", "payer")
    if filters.status:
        claims = claims.filter(status=filters.status)
    elif not (filters.age or filters.outcome):  # these name their statuses, never void
        # Every status but void, named (claim_status_valid admits no other): the totals of
        # other filters then read an index for just those statuses, where "not void" is a
        # filter on every row and PostgreSQL reads the whole table (90 ms against 45 ms at
        # 500,000 claims). Without other filters they are the kept ones (queue_totals).
        claims = claims.filter(status__in=QUEUE_STATUSES)
    if filters.payer:
        claims = claims.filter(payer_id=filters.payer)
    if filters.date_from:
        claims = claims.filter(date_of_service__gte=filters.date_from)
    if filters.date_to:
        claims = claims.filter(date_of_service__lte=filters.date_to)
    if filters.age:
        claims = claims.filter(
            dashboard.age_condition(dashboard.AGE_KEYS[filters.age], timezone.localdate())
        )
    if filters.outcome:
        claims = claims.filter(status__in=dashboard.OUTCOMES[filters.outcome][1])
    if filters.carc:
        claims = claims.filter(dashboard.carc_condition(filters.carc))
    if filters.paid_in:
        claims = claims.filter(dashboard.paid_in_condition(dashboard.PAYMENT_KEYS[filters.paid_in]))
    if filters.rule:
        claims = claims.filter(
            Exists(ClaimFinding.objects.filter(claim=OuterRef("pk"), rule=filters.rule))
        )
    search = filters.search.strip()
    if search:
        # The patients first, then their claims newest first (claim_patient_dos_idx). In one
        # query the planner cannot estimate a name pattern, guesses many matches, and walks
        # the whole claim table by date to find a single patient's claims.
        patients = list(Patient.objects.matching(search).order_by().values_list("pk", flat=True))
        claims = claims.filter(patient_id__in=patients)
    # The stored facts and decision are kilobytes a claim that the list never shows.
    _, ordering = QUEUE_SORTS[filters.sort or DEFAULT_QUEUE_SORT]
    return claims.defer("facts", "decision").order_by(*ordering)


def queue_totals_query(claims: QuerySet[Claim]) -> QuerySet:
    """(status, count, total charge) of the claims, one row per status: one aggregate query.
    COUNT(*) rather than COUNT(id), and the status and charge in claim_status_payer_dos_idx,
    so that PostgreSQL can answer it from that index alone (an index-only scan)."""
    return (
        claims.order_by()
        .values("status")
        .annotate(count=Count("*"), total=Sum("total_charge"))
        .values_list("status", "count", "total")
    )


# The filters that select claims by their status alone, and the order, which selects none.
_BY_STATUS = frozenset({"status", "outcome", "sort"})


def statuses_alone(filters: QueueFilters) -> tuple[str, ...] | None:
    """The statuses the filters select, when they select claims by status alone; None when
    anything else narrows them. Every filter but those of _BY_STATUS counts as narrowing,
    so that one added to QueueFilters is never answered from the kept totals by mistake."""
    for field in fields(filters):
        if field.name not in _BY_STATUS:
            value = getattr(filters, field.name)
            if value.strip() if isinstance(value, str) else value:
                return None
    statuses = set(Claim.Status.values if filters.status or filters.outcome else QUEUE_STATUSES)
    if filters.status:
        statuses &= {filters.status}
    if filters.outcome:
        statuses &= set(dashboard.OUTCOMES[filters.outcome][1])
    return tuple(statuses)


def status_totals_query(statuses: Iterable[str]) -> QuerySet:
    """(status, count, charge in cents) of the claims in each of ``statuses``, from the
    totals the database keeps (ClaimStatusTotal): a few dozen rows, however many claims."""
    return (
        ClaimStatusTotal.objects.filter(status__in=list(statuses))
        .values("status")
        .annotate(count=Sum("claims"), cents=Sum("charge_cents"))
        .values_list("status", "count", "cents")
    )


def status_totals(statuses: Iterable[str]) -> dict[str, tuple[int, Decimal]]:
    """(count, total charge) of each of ``statuses`` that has claims."""
    return {
        status: (count, Decimal(cents) / 100)
        for status, count, cents in status_totals_query(statuses)
        if count
    }


def queue_totals(user, filters: QueueFilters, claims: QuerySet[Claim]) -> QueueTotals:
    """The count and the total charge of ``claims`` (``claim_queue(user, filters)``), per
    status: filtered by status alone (or not at all), the totals the database keeps;
    otherwise one aggregate query over the claims."""
    statuses = statuses_alone(filters)
    if statuses is None or not user.has_perm("billing.view_claim"):
        found = {status: (count, total) for status, count, total in queue_totals_query(claims)}
    else:
        found = status_totals(statuses)
    return QueueTotals(
        tuple(
            # SQLite sums to "700", PostgreSQL to "700.00": money is shown with cents.
            StatusTotal(status, label, found[status][0], money(found[status][1]))
            for status, label in Claim.Status.choices
            if status in found
        )
    )


def claim_detail(user, pk: int) -> Claim:
    return (
        claims_visible_to(user)
        .select_related(
            "patient", "payer", "encounter", "coverage", "supersedes", "superseded_by", "export"
        )
        .prefetch_related("lines", "findings", "events__by")
        .get(pk=pk)
    )


def exports_visible_to(user) -> QuerySet[ClaimExport]:
    if not user.has_perm("billing.view_claimexport"):
        return ClaimExport.objects.none()
    return ClaimExport.objects.select_related("created_by").defer("content", "other_content")


def claim_audit(claim: Claim) -> list[AuditEntry]:
    """The claim's decisions and status changes with their reasons, its field changes, and
    the changes to the coverage and payer it was decided with."""
    events = [
        AuditEntry(
            at=event.at,
            who=(event.by.get_full_name() or event.by.get_username()) if event.by else "system",
            subject=f"Claim #{claim.pk}",
            action=f"{event.from_status or 'new'} → {event.to_status}",
            why=event.reason,
        )
        for event in claim.events.select_related("by")
    ]
    entries = [
        *events,
        *history_entries(Claim.history.filter(id=claim.pk), lambda r: f"Claim #{r.id}"),
    ]
    if claim.coverage_id:
        entries += history_entries(
            Coverage.history.filter(id=claim.coverage_id), lambda r: f"Coverage #{r.id}"
        )
    if claim.payer_id:
        entries += history_entries(
            Payer.history.filter(id=claim.payer_id), lambda r: f"Payer {r.code}"
        )
    return sorted(entries, key=lambda e: e.at)


def code_words(
    model: type[AdjustmentReason] | type[RemarkCode], codes: Iterable[str]
) -> dict[str, str]:
    """Each of ``codes`` in words from the code list an administrator keeps (`AdjustmentReason`
    for CARC, `RemarkCode` for RARC), in one query; a code the list lacks says so."""
    wanted = set(codes)
    meanings = dict(model.objects.filter(code__in=wanted).values_list("code", "description"))
    return {code: describe(code, meanings) for code in wanted}


def _payments_with_words(payments: QuerySet[ClaimPayment]) -> list[ClaimPayment]:
    """``payments`` with their lines, adjustments and remarks, each code given its words
    (``.words``) from the code lists an administrator keeps; a fixed number of queries."""
    found = list(
        payments.select_related("claim", "x12_import").prefetch_related(
            "lines", "adjustments__line", "remarks__line"
        )
    )
    carcs = code_words(AdjustmentReason, {a.reason for p in found for a in p.adjustments.all()})
    rarcs = code_words(RemarkCode, {r.code for p in found for r in p.remarks.all()})
    for payment in found:
        for adjustment in payment.adjustments.all():
            adjustment.words = carcs[adjustment.reason]
        for remark in payment.remarks.all():
            remark.words = rarcs[remark.code]
    return found


def payments_of_import(record: X12Import) -> list[ClaimPayment]:
    return _payments_with_words(ClaimPayment.objects.filter(x12_import=record))


def claim_payments(claim: Claim) -> list[ClaimPayment]:
    """What the payer paid and adjusted on ``claim``, oldest first."""
    return _payments_with_words(ClaimPayment.objects.filter(claim=claim).order_by("id"))


def unmatched_payments() -> QuerySet[ClaimPayment]:
    """835 claim payments whose CLP01 named no claim the app sent: a biller works them."""
    return (
        ClaimPayment.objects.filter(claim__isnull=True)
        .select_related("x12_import")
        .defer("x12_import__content")
        .order_by("-payment_date", "-id")
    )


def unmatched_acknowledgments() -> QuerySet[ClaimAcknowledgment]:
    return (
        ClaimAcknowledgment.objects.filter(claim__isnull=True)
        .select_related("x12_import")
        .defer("x12_import__content")
        .order_by("-x12_import__imported_at", "-id")[:200]
    )


@dataclass(frozen=True)
class DenialReason:
    group: str
    carc: str
    words: str
    amount: Decimal
    procedure: str  # the denied line's code; empty for the whole claim


@dataclass(frozen=True)
class DenialRow:
    claim: Claim
    denied_on: dt.date | None
    age_days: int | None
    amount: Decimal
    reasons: list[DenialReason]
    remarks: list[tuple[str, str]]
    rules: list[DenialRule]
    actions: list[DenialAction]


def denials_queue(user, *, payer: int | None = None, page: str | None = None):
    """Denied claims not yet closed (written off or billed to the patient), the oldest
    denial first, each with its reasons and remarks in words and the engine's rules they
    touch. A page costs the same few queries however many claims it shows."""
    claims = (
        claims_visible_to(user)
        .filter(status=Claim.Status.DENIED)
        .exclude(denial_actions__action__in=DenialAction.CLOSING)
        .select_related("patient", "payer")
        .defer("facts", "decision")
        .order_by("date_of_service", "id")
    )
    if payer:
        claims = claims.filter(payer_id=payer)
    found = page_of(claims, page)
    payments = (
        ClaimPayment.objects.filter(claim__in=[c.pk for c in found])
        .exclude(status_code="22")
        .prefetch_related("adjustments__line", "remarks")
        .order_by("claim_id", "-payment_date", "-id")
    )
    latest: dict[int, ClaimPayment] = {}
    for received in payments:
        if received.claim_id is not None:
            latest.setdefault(received.claim_id, received)
    actions: dict[int, list[DenialAction]] = {}
    for action in DenialAction.objects.filter(claim__in=[c.pk for c in found]).select_related("by"):
        actions.setdefault(action.claim_id, []).append(action)
    carcs = {a.reason for p in latest.values() for a in p.adjustments.all()}
    rarcs = {r.code for p in latest.values() for r in p.remarks.all()}
    carc_words = code_words(AdjustmentReason, carcs)
    rarc_words = code_words(RemarkCode, rarcs)
    today = timezone.localdate()
    rows = []
    for claim in found:
        payment = latest.get(claim.pk)
        reasons, rules = [], []
        if payment is not None:
            for adjustment in payment.adjustments.all():
                line = adjustment.line
                procedure = line.procedure if line else ""
                reasons.append(
                    DenialReason(
                        adjustment.group,
                        adjustment.reason,
                        carc_words[adjustment.reason],
                        adjustment.amount,
                        procedure,
                    )
                )
                for rule in rules_for(adjustment.reason, procedure, line.modifiers if line else ()):
                    if rule not in rules:
                        rules.append(rule)
        rows.append(
            DenialRow(
                claim=claim,
                denied_on=payment.payment_date if payment else None,
                age_days=(today - payment.payment_date).days if payment else None,
                amount=(payment.charge - payment.paid) if payment else claim.total_charge,
                reasons=reasons,
                remarks=[(r.code, rarc_words[r.code]) for r in payment.remarks.all()]
                if payment
                else [],
                rules=rules,
                actions=actions.get(claim.pk, []),
            )
        )
    return found, rows


def claim_outcome(claim: Claim) -> str:
    """What a decision left on a claim, in one sentence for the clinician who caused it."""
    if claim.export_id is not None:
        return (
            f"Claim #{claim.pk} was already exported and stays as sent: billing submits a "
            "corrected claim."
        )
    lines = ", ".join(
        "-".join([line.code, *line.modifiers]) for line in claim.lines.order_by("position")
    )
    said = f"Claim #{claim.pk} is now {claim.get_status_display().lower()}"
    if lines:
        said += f": {lines}, total ${claim.total_charge}"
    if claim.hold_reason:
        said += f" ({claim.hold_reason})"
    return said + "."


def exported_claim_of_the_day(patient_id: int, day: dt.date) -> Claim | None:
    """A claim of the patient's refills on ``day`` that has left the practice, if any."""
    return (
        Claim.objects.filter(patient_id=patient_id, date_of_service=day, export__isnull=False)
        .exclude(status=Claim.Status.VOID)
        .select_related("export")
        .order_by("pk")
        .first()
    )


def same_day_visits(claim: Claim) -> QuerySet[ProviderVisit]:
    """The provider visits of the claim's patient and day, whose notes the biller reads."""
    return ProviderVisit.objects.filter(
        patient_id=claim.patient_id, date_of_service=claim.date_of_service
    ).select_related("provider")
