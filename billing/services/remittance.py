"""Posting what comes back for exported claims: 999 and 277CA acknowledgments, 835 remittances.

`x12_import` reads a file with the readers of `billing.inbound` (pyx12 underneath) and posts
it in one transaction: either the whole file is posted, or it is refused with the segment
and element at fault and nothing is kept. The file's SHA-256 is unique, so the same file
imported twice posts nothing the second time, even when both imports run at once.

Claims are found by the number the 837P sent in CLM01 (`Claim.number`) and locked in id
order before they change, so two files posting to the same claims at once wait for each
other and every payment is posted exactly once. A claim number the app does not know is
kept as an unmatched payment or acknowledgment, never dropped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from decimal import Decimal
from functools import cache

from django.db import IntegrityError, transaction
from django.db.models import (
    Exists,
    Func,
    IntegerField,
    OuterRef,
    Subquery,
    Sum,
)
from django.db.models.expressions import BaseExpression
from django.db.models.functions import TruncDate
from django.utils import timezone

from billing import inbound, models
from billing.errors import BillingError
from billing.selectors import code_words
from config.history import record_change

ZERO = Decimal("0.00")
MAX_FILE_BYTES = 10 * 1024 * 1024
_CLAIM_NUMBER = re.compile(r"\AC([0-9]{8,12})\Z")

# CLP02 codes that mean the payer adjudicated the claim (as primary, secondary, tertiary,
# or so and forwarded it); 4 is a denial and 22 a reversal of an earlier payment.
_PROCESSED = frozenset({"1", "2", "3", "19", "20", "21"})
_DENIED = "4"
_REVERSAL = "22"
# Adjustments that leave a claim paid in full: the contract's reduction to the fee schedule
# (CO-45), sequestration (CO-253) and a charge over the maximum (CO-42).
_CONTRACTUAL = frozenset({("CO", "45"), ("CO", "253"), ("CO", "42")})

_KIND = {
    inbound.TransactionSet.ACK_999: models.X12Import.Kind.ACK_999,
    inbound.TransactionSet.CLAIM_ACK_277: models.X12Import.Kind.ACK_277CA,
    inbound.TransactionSet.REMITTANCE_835: models.X12Import.Kind.REMITTANCE_835,
}


@cache
def _code_list(name: str) -> dict[str, str]:
    return inbound.read_code_list(name)


def _money(value: Decimal | None) -> str:
    return f"{(value or ZERO):.2f}"


def claim_pk_from_number(number: str) -> int | None:
    """The id of the claim whose CLM01 was ``number`` (``C00000042`` -> 42), if it is one."""
    match = _CLAIM_NUMBER.match(number.strip())
    return int(match.group(1)) if match else None


def _refused(exc: inbound.X12ReadError) -> BillingError:
    return BillingError(
        f"The file was refused and nothing was posted: {exc}", field="file", code="x12"
    )


def _duplicate(sha256: str) -> BillingError:
    earlier = models.X12Import.objects.filter(sha256=sha256).first()
    when = (
        f" on {timezone.localtime(earlier.imported_at):%Y-%m-%d %H:%M} as {earlier.filename}"
        if earlier
        else ""
    )
    return BillingError(
        f"This file was already imported{when}; nothing was posted again.",
        field="file",
        code="duplicate",
    )


def x12_import(
    *, data: bytes, filename: str, by, now: dt.datetime | None = None
) -> models.X12Import:
    """Read and post one 999, 277CA or 835 file, or refuse it whole with `BillingError`."""
    now = now or timezone.now()
    if not data:
        raise BillingError("The file is empty.", field="file", code="empty")
    if len(data) > MAX_FILE_BYTES:
        raise BillingError(
            f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB.",
            field="file",
            code="size",
        )
    sha256 = hashlib.sha256(data).hexdigest()
    if models.X12Import.objects.filter(sha256=sha256).exists():
        raise _duplicate(sha256)
    parsed: inbound.AcknowledgmentFile | inbound.ClaimAcknowledgmentFile | inbound.RemittanceFile
    try:
        kind = _KIND[inbound.sniff(data)]
        if kind == models.X12Import.Kind.ACK_999:
            parsed = inbound.read_999(data)
        elif kind == models.X12Import.Kind.ACK_277CA:
            parsed = inbound.read_277ca(data)
        else:
            parsed = inbound.read_835(data)
    except inbound.X12ReadError as exc:
        raise _refused(exc) from exc
    interchange = parsed.interchange
    try:
        with transaction.atomic():
            record = models.X12Import.objects.create(
                kind=kind,
                filename=(filename or "upload")[-120:],
                sha256=sha256,
                content=data,
                imported_at=now,
                imported_by=by,
                interchange_control_number=interchange.control_number[:9],
                sender_id=interchange.sender_id[:15],
                outcome="",
                payment_total=(
                    sum((r.signed_amount for r in parsed.remittances), ZERO)
                    if isinstance(parsed, inbound.RemittanceFile)
                    else None
                ),
            )
            poster = _Poster(record, by=by, now=now)
            if isinstance(parsed, inbound.AcknowledgmentFile):
                poster.post_999(parsed)
            elif isinstance(parsed, inbound.ClaimAcknowledgmentFile):
                poster.post_277ca(parsed)
            else:
                poster.post_835(parsed)
            # The record is written once; what it posted is known only now, in the same
            # transaction.
            models.X12Import.objects.filter(pk=record.pk).update(
                outcome=poster.outcome(),
                claim_count=poster.matched,
                unmatched_count=poster.unmatched,
            )
    except IntegrityError:
        if models.X12Import.objects.filter(sha256=sha256).exists():
            raise _duplicate(sha256) from None
        raise
    record.refresh_from_db()
    return record


class _Poster:
    """Posts one read file under one `X12Import`; call inside its transaction."""

    def __init__(self, record: models.X12Import, *, by, now: dt.datetime) -> None:
        self.record = record
        self.by = by
        self.now = now
        self.matched = 0
        self.unmatched = 0
        self.moved: Counter[str] = Counter()
        self.notes: list[str] = []

    # -- shared ---------------------------------------------------------------------------

    def _lock(self, numbers: Iterable[str]) -> dict[str, models.Claim]:
        """The sent claims carrying ``numbers`` (CLM01), locked in id order, by number."""
        pks = {pk for pk in map(claim_pk_from_number, numbers) if pk is not None}
        claims = (
            models.Claim.objects.select_for_update()
            .filter(pk__in=pks, export__isnull=False)
            .defer("facts", "decision")
            .order_by("pk")
        )
        return {claim.number: claim for claim in claims}

    def _move(self, claim: models.Claim, to: str, *, reason: str, payer_reason: str | None) -> None:
        """Move ``claim`` to ``to`` if the transition table allows it; an event either way."""
        old = claim.status
        fields = []
        if to != old and claim.can_move_to(to):
            claim.status = to
            fields.append("status")
            self.moved[to] += 1
        elif to != old:
            reason = (
                f"{reason} The claim stays {claim.get_status_display().lower()}: it cannot "
                f"become {models.Claim.Status(to).label.lower()} from there."
            )
        if payer_reason is not None and claim.payer_reason != payer_reason:
            claim.payer_reason = payer_reason
            fields.append("payer_reason")
        if fields:
            record_change(claim, by=self.by, reason=reason[:100])
            claim.save(update_fields=fields)
        models.ClaimEvent.objects.create(
            claim=claim,
            by=self.by,
            at=self.now,
            from_status=old,
            to_status=claim.status,
            reason=reason,
            x12_import=self.record,
        )

    def _set_payer_number(self, claim: models.Claim, number: str | None) -> None:
        if number and claim.payer_claim_control_number != number:
            claim.payer_claim_control_number = number[:50]
            record_change(claim, by=self.by, reason="payer claim control number")
            claim.save(update_fields=["payer_claim_control_number"])

    def outcome(self) -> str:
        parts = [f"{self.matched} claim{'s' if self.matched != 1 else ''} matched"]
        parts += [
            f"{count} {models.Claim.Status(status).label.lower()}"
            for status, count in sorted(self.moved.items())
        ]
        if self.unmatched:
            parts.append(f"{self.unmatched} not matched to a claim")
        return "; ".join(parts + self.notes) + "."

    # -- 999 ------------------------------------------------------------------------------

    def post_999(self, parsed: inbound.AcknowledgmentFile) -> None:
        for response in parsed.responses:
            export = models.ClaimExport.objects.filter(
                format=models.ClaimExport.Format.X12,
                interchange_control_number=int(response.acknowledged_group)
                if response.acknowledged_group.isdigit()
                else -1,
            ).first()
            if export is None:
                self._keep_unknown_999(response)
                continue
            claims = list(
                models.Claim.objects.select_for_update()
                .filter(export=export)
                .defer("facts", "decision")
                .order_by("pk")
            )
            for answer in response.transaction_sets:
                self._post_999_set(export, answer, claims)

    def _keep_unknown_999(self, response: inbound.FunctionalGroupResponse) -> None:
        """A 999 for a group no export of this app carries: each answer is kept on the
        unmatched list, as an unknown claim of an 835 is; nothing is posted."""
        for answer in response.transaction_sets:
            models.ClaimAcknowledgment.objects.create(
                x12_import=self.record,
                claim=None,
                claim_number=f"group {response.acknowledged_group} set {answer.control_number}"[
                    :38
                ],
                accepted=answer.accepted,
                codes=_ik5_codes(answer),
                reason=(
                    f"This 999 answers group {response.acknowledged_group} (AK102), which no "
                    "export of this app carries: "
                    + inbound.describe(answer.code, _code_list("acknowledgment_code")).lower()
                    + "."
                ),
            )
            self.unmatched += 1

    def _post_999_set(
        self,
        export: models.ClaimExport,
        answer: inbound.TransactionSetResponse,
        claims: list[models.Claim],
    ) -> None:
        ack_words = inbound.describe(answer.code, _code_list("acknowledgment_code"))
        file_reasons = [
            inbound.describe(code, _code_list("transaction_set_error")) for code in answer.errors
        ]
        by_claim: dict[str, list[str]] = {}
        for error in answer.segment_errors:
            parts = [
                f"segment {error.segment_id} (number {error.position} of the claim file)"
                + (
                    f": {inbound.describe(error.code, _code_list('segment_error'))}"
                    if error.code
                    else ""
                )
            ]
            parts += [
                f"element {element.element}: "
                f"{inbound.describe(element.code, _code_list('element_error'))}"
                for element in error.elements
            ]
            by_claim.setdefault(error.claim_number or "", []).append("; ".join(parts))
        for claim in claims:
            own = by_claim.get(claim.number, [])
            reasons = own or by_claim.get("", []) or file_reasons
            words = "; ".join(reasons)
            if answer.accepted:
                to = models.Claim.Status.ACCEPTED
                reason = (
                    f"999 {self.record.filename}: {export.filename} {ack_words.lower()} "
                    f"(IK5 {answer.code})."
                )
                payer_reason = None
            else:
                to = models.Claim.Status.REJECTED
                payer_reason = (
                    f"The file {export.filename} was rejected (999, IK5 {answer.code}): "
                    + (words or ack_words)
                    + "."
                )
                reason = f"999 {self.record.filename}: {payer_reason}"
            models.ClaimAcknowledgment.objects.create(
                x12_import=self.record,
                claim=claim,
                claim_number=claim.number,
                accepted=answer.accepted,
                codes=_ik5_codes(answer),
                reason=payer_reason or "",
            )
            # A 999 speaks for a claim only until the payer's 277CA or 835 does.
            if claim.status in (models.Claim.Status.EXPORTED, models.Claim.Status.ACCEPTED):
                self._move(claim, to, reason=reason, payer_reason=payer_reason)
            self.matched += 1

    # -- 277CA ----------------------------------------------------------------------------

    def _status_words(self, status: inbound.Status) -> str:
        words = " ".join(
            inbound.describe_status(
                code,
                categories=_code_list("claim_status_category"),
                statuses=_code_list("claim_status"),
                entities=_code_list("entity_identifier"),
            )
            for code in status.codes
        )
        if status.message:
            words += f" ({status.message})"
        return words

    def post_277ca(self, parsed: inbound.ClaimAcknowledgmentFile) -> None:
        outcomes = [o for ack in parsed.acknowledgments for o in ack.outcomes()]
        claims = self._lock(o.claim.claim_number for o in outcomes)
        for outcome in outcomes:
            number = outcome.claim.claim_number
            claim = claims.get(number)
            reason_words = "; ".join(self._status_words(s) for s in outcome.reasons)
            codes = " ".join(
                f"{c.category}:{c.code}" + (f":{c.entity}" if c.entity else "")
                for s in (outcome.reasons or outcome.claim.statuses)
                for c in s.codes
            )
            models.ClaimAcknowledgment.objects.create(
                x12_import=self.record,
                claim=claim,
                claim_number=number[:38],
                accepted=outcome.accepted,
                codes=codes[:200],
                reason=reason_words,
                payer_claim_control_number=(outcome.claim.payer_claim_control_number or "")[:50],
            )
            if claim is None:
                self.unmatched += 1
                continue
            self.matched += 1
            if outcome.accepted:
                self._set_payer_number(claim, outcome.claim.payer_claim_control_number)
                if claim.status in (models.Claim.Status.EXPORTED, models.Claim.Status.REJECTED):
                    self._move(
                        claim,
                        models.Claim.Status.ACCEPTED,
                        reason=f"277CA {self.record.filename}: accepted for adjudication "
                        f"({codes}).",
                        payer_reason="",
                    )
            elif claim.status in (models.Claim.Status.EXPORTED, models.Claim.Status.ACCEPTED):
                self._move(
                    claim,
                    models.Claim.Status.REJECTED,
                    reason=f"277CA {self.record.filename}: rejected: {reason_words}",
                    payer_reason=f"Rejected by the payer (277CA {codes}): {reason_words}",
                )

    # -- 835 ------------------------------------------------------------------------------

    def post_835(self, parsed: inbound.RemittanceFile) -> None:
        claims = self._lock(c.claim_number for r in parsed.remittances for c in r.claims)
        carcs = code_words(
            models.AdjustmentReason,
            {a.reason for r in parsed.remittances for c in r.claims for a in c.all_adjustments},
        )
        rarcs = code_words(
            models.RemarkCode,
            {
                code
                for r in parsed.remittances
                for c in r.claims
                for code in (*c.remarks, *(x for line in c.lines for x in line.remarks))
            },
        )
        lines_of = self._claim_lines(claims.values())
        paid: set[int] = set()
        for remittance in parsed.remittances:
            for payment in remittance.claims:
                claim = claims.get(payment.claim_number)
                self._post_payment(remittance, payment, claim, lines_of, carcs, rarcs)
                if claim is not None:
                    paid.add(claim.pk)
            models.ProviderAdjustment.objects.bulk_create(
                models.ProviderAdjustment(
                    x12_import=self.record,
                    provider_identifier=a.provider_id[:50],
                    fiscal_period_end=a.fiscal_period_end,
                    reason=a.reason[:2],
                    reference=(a.reference or "")[:50],
                    amount=a.amount,
                    trace_number=remittance.trace_number[:50],
                    position=a.position,
                )
                for a in remittance.provider_adjustments
            )
            if remittance.provider_adjustments:
                total = sum((a.amount for a in remittance.provider_adjustments), ZERO)
                count = len(remittance.provider_adjustments)
                self.notes.append(
                    f"{count} provider adjustment{'s' if count != 1 else ''} (PLB) "
                    f"of {_money(total)} on payment {remittance.trace_number}"
                )
        keep_claim_totals(paid)

    @staticmethod
    def _claim_lines(claims: Iterable[models.Claim]) -> dict[int, list[models.ClaimLine]]:
        found: dict[int, list[models.ClaimLine]] = {}
        for line in models.ClaimLine.objects.filter(claim__in=[c.pk for c in claims]).order_by(
            "claim", "position"
        ):
            found.setdefault(line.claim_id, []).append(line)
        return found

    def _post_payment(
        self,
        remittance: inbound.Remittance,
        payment: inbound.ClaimPayment,
        claim: models.Claim | None,
        lines_of: dict[int, list[models.ClaimLine]],
        carcs: dict[str, str],
        rarcs: dict[str, str],
    ) -> None:
        status = _status_after(payment) if claim is not None else ""
        row = models.ClaimPayment.objects.create(
            x12_import=self.record,
            claim=claim,
            claim_number=payment.claim_number[:38],
            status_code=payment.status[:2],
            charge=payment.charge,
            paid=payment.paid,
            allowed=payment.allowed,
            patient_responsibility=payment.patient_responsibility or ZERO,
            filing_indicator=payment.filing_indicator[:2],
            payer_claim_control_number=payment.payer_claim_control_number[:50],
            frequency=(payment.frequency or "")[:1],
            received=payment.received,
            payment_date=remittance.payment_date,
            trace_number=remittance.trace_number[:50],
            payer_name=remittance.payer.name[:60],
            payer_identifier=(remittance.payer.id or "")[:80],
            position=payment.position,
            posted_status=status,
        )
        own_lines = list(lines_of.get(claim.pk, [])) if claim is not None else []
        line_rows = models.LinePayment.objects.bulk_create(
            models.LinePayment(
                payment=row,
                claim_line=_match_line(own_lines, line),
                procedure=line.procedure[:5],
                modifiers=list(line.modifiers),
                charge=line.charge,
                paid=line.paid,
                allowed=line.allowed,
                units=line.units,
                original_procedure=(line.original_procedure or "")[:5],
                service_date=line.service_from,
                line_control_number=(line.line_control_number or "")[:50],
                position=line.position,
            )
            for line in payment.lines
        )
        adjustments = [adjustment_row(row, None, a) for a in payment.adjustments]
        remarks = [
            models.PaymentRemark(payment=row, line=None, code=c[:6]) for c in payment.remarks
        ]
        for line, line_row in zip(payment.lines, line_rows, strict=True):
            adjustments += [adjustment_row(row, line_row, a) for a in line.adjustments]
            remarks += [
                models.PaymentRemark(payment=row, line=line_row, code=c[:6]) for c in line.remarks
            ]
        models.PaymentAdjustment.objects.bulk_create(adjustments)
        models.PaymentRemark.objects.bulk_create(remarks)
        if claim is None:
            self.unmatched += 1
            return
        self.matched += 1
        self._set_payer_number(claim, payment.payer_claim_control_number)
        summary = _payment_words(remittance, payment, carcs, rarcs)
        if status:
            payer_reason = (
                _denial_words(payment, carcs, rarcs)
                if status in (models.Claim.Status.DENIED, models.Claim.Status.PARTIALLY_PAID)
                else ""
            )
            self._move(
                claim,
                status,
                reason=f"835 {self.record.filename}: {summary}",
                payer_reason=payer_reason,
            )
        else:
            self._move(
                claim,
                claim.status,
                reason=f"835 {self.record.filename}: {summary} No status change.",
                payer_reason=None,
            )


def _ik5_codes(answer: inbound.TransactionSetResponse) -> str:
    return f"IK5 {answer.code}" + "".join(f" IK502 {c}" for c in answer.errors)


def adjustment_row(
    payment: models.ClaimPayment, line: models.LinePayment | None, adjustment: inbound.Adjustment
) -> models.PaymentAdjustment:
    """The row of one CAS adjustment of ``payment`` (on ``line``, or at claim level), with
    the payment's claim and its date of service for the dashboard."""
    claim = payment.claim
    return models.PaymentAdjustment(
        payment=payment,
        line=line,
        claim=claim,
        date_of_service=claim.date_of_service if claim is not None else None,
        group=adjustment.group,
        reason=adjustment.reason[:5],
        amount=adjustment.amount,
        quantity=adjustment.quantity,
        position=adjustment.position,
    )


def keep_claim_totals(claim_pks: Iterable[int]) -> None:
    """Write on each claim what its 835 postings come to (`Claim.allowed_amount`,
    `paid_amount` and `payment_days`), from its line payments and payments, in one UPDATE
    inside the caller's transaction."""
    pks = list(claim_pks)
    if pks:
        models.Claim.objects.filter(pk__in=pks).update(**claim_totals())


def claim_totals() -> dict[str, BaseExpression]:
    """The expressions of the claim's payment sums, for an UPDATE of claims."""
    lines = (
        models.LinePayment.objects.filter(claim_line__claim=OuterRef("pk"))
        .order_by()
        .values("claim_line__claim")
    )
    later = models.ClaimPayment.objects.filter(claim=OuterRef("claim"), pk__gt=OuterRef("pk"))
    standing = (
        models.ClaimPayment.objects.filter(claim=OuterRef("pk"), paid__gt=0)
        .exclude(status_code=_REVERSAL)
        .exclude(Exists(later))
        .values("payment_date")[:1]
    )
    exported = models.ClaimExport.objects.filter(pk=OuterRef("export_id")).values(
        day=TruncDate("created_at")
    )
    return {
        "allowed_amount": Subquery(lines.annotate(sum=Sum("allowed")).values("sum")),
        "paid_amount": Subquery(lines.annotate(sum=Sum("paid")).values("sum")),
        "payment_days": DaysBetween(Subquery(exported), Subquery(standing)),
    }


class DaysBetween(Func):
    """The whole days from one date to another (``last`` less ``first``), NULL if either is."""

    output_field = IntegerField()
    arity = 2

    def __init__(self, first: BaseExpression, last: BaseExpression) -> None:
        super().__init__(last, first)

    def as_sql(self, compiler, connection, **extra_context):
        # PostgreSQL: a date less a date is an integer.
        return super().as_sql(
            compiler, connection, template="(%(expressions)s)", arg_joiner=" - ", **extra_context
        )

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler,
            connection,
            template="CAST(ROUND(julianday(%(expressions)s)) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra_context,
        )


def _match_line(
    lines: list[models.ClaimLine], paid: inbound.ServicePayment
) -> models.ClaimLine | None:
    """The claim line an SVC answers: the billed code (SVC06 when the payer changed it) with
    the same modifiers if one has them, else the first line with the code. Each line is
    answered once per CLP, so a matched line is taken out of ``lines``."""
    code = paid.original_procedure or paid.procedure
    same_code = [line for line in lines if line.code == code]
    exact = [line for line in same_code if tuple(line.modifiers) == paid.modifiers]
    match = next(iter(exact or same_code), None)
    if match is not None:
        lines.remove(match)
    return match


def _status_after(payment: inbound.ClaimPayment) -> str:
    """The claim status one CLP leaves a claim in ('' for a CLP02 that changes none)."""
    if payment.status == _REVERSAL:
        # The payment is taken back; the payer's corrected answer follows.
        return models.Claim.Status.ACCEPTED
    if payment.status == _DENIED:
        return models.Claim.Status.DENIED
    if payment.status not in _PROCESSED:
        return ""
    patient_owes = payment.patient_responsibility or ZERO
    if payment.paid == ZERO and patient_owes == ZERO:
        return models.Claim.Status.DENIED
    line_denied = any(line.paid == ZERO and line.charge > ZERO for line in payment.lines)
    other = any((a.group, a.reason) not in _CONTRACTUAL for a in payment.all_adjustments)
    if line_denied or other or patient_owes > ZERO:
        return models.Claim.Status.PARTIALLY_PAID
    return models.Claim.Status.PAID


def _adjustment_words(adjustments: Iterable[inbound.Adjustment], carcs: dict[str, str]) -> str:
    return "; ".join(
        f"{a.label} {_money(a.amount)} ({carcs.get(a.reason, a.reason)})" for a in adjustments
    )


def _payment_words(
    remittance: inbound.Remittance,
    payment: inbound.ClaimPayment,
    carcs: dict[str, str],
    rarcs: dict[str, str],
) -> str:
    status_words = inbound.describe(payment.status, _code_list("claim_payment_status"))
    words = (
        f"{remittance.payer.name}, payment {remittance.trace_number} of "
        f"{remittance.payment_date.isoformat()}: CLP02 {payment.status} ({status_words}); "
        f"charged {_money(payment.charge)}, paid {_money(payment.paid)}, patient "
        f"responsibility {_money(payment.patient_responsibility)}; payer claim "
        f"{payment.payer_claim_control_number}."
    )
    if payment.all_adjustments:
        words += f" Adjustments: {_adjustment_words(payment.all_adjustments, carcs)}."
    codes = [*payment.remarks, *(c for line in payment.lines for c in line.remarks)]
    if codes:
        words += " Remarks: " + "; ".join(f"{c} ({rarcs.get(c, c)})" for c in codes) + "."
    return words


def _denial_words(
    payment: inbound.ClaimPayment, carcs: dict[str, str], rarcs: dict[str, str]
) -> str:
    """Why the payer did not pay all it allowed, in words: the non-contractual adjustments
    (with the line they are on) and the remarks."""
    parts = [
        f"{a.label} {_money(a.amount)}: {carcs.get(a.reason, a.reason)}"
        for a in payment.adjustments
        if (a.group, a.reason) not in _CONTRACTUAL
    ]
    for line in payment.lines:
        parts += [
            f"{line.procedure} {a.label} {_money(a.amount)}: {carcs.get(a.reason, a.reason)}"
            for a in line.adjustments
            if (a.group, a.reason) not in _CONTRACTUAL
        ]
    codes = [*payment.remarks, *(c for line in payment.lines for c in line.remarks)]
    parts += [f"{c}: {rarcs.get(c, c)}" for c in codes]
    return "; ".join(parts)
