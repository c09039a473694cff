"""Claims at the payer and the 835 postings about them, built row by row for the tests of
the dashboard and the denials queue (the import itself is tested with real files)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from billing import inbound
from billing.claim_lines import expected_allowed
from billing.models import (
    Claim,
    ClaimExport,
    ClaimLine,
    ClaimPayment,
    LinePayment,
    PaymentAdjustment,
    PaymentRemark,
    X12Import,
)
from billing.services.remittance import adjustment_row, keep_claim_totals
from tests.factories import claim_row


def at(day: dt.date, hour: int = 12, minute: int = 0) -> dt.datetime:
    """An aware datetime at ``hour:minute`` of ``day`` in the clinic's zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def make_export(created_at: dt.datetime) -> ClaimExport:
    return ClaimExport.objects.create(
        created_at=created_at,
        format=ClaimExport.Format.CSV,
        filename="claims.csv",
        sha256="0" * 64,
        content=b"",
        claim_count=1,
    )


def make_claim(nurse, *, status, day, total, payer=None, **values) -> Claim:
    """A claim of `total` on `day`, without deciding (`values`: its other fields, or
    `save=False`; see tests.factories.claim_row)."""
    return claim_row(
        nurse=nurse,
        payer=payer,
        date_of_service=day,
        status=status,
        total_charge=Decimal(total),
        **values,
    )


class Remits:
    """Claims the payers answered, with their 835 postings, built row by row."""

    def __init__(self, nurse):
        self.nurse = nurse
        self.today = timezone.localdate()
        self.count = 0

    def claim(
        self, payer, status, *, expected, exported_on, total="175.00", code="96521", modifiers=()
    ) -> Claim:
        claim = make_claim(
            self.nurse,
            status=status,
            day=exported_on - dt.timedelta(days=2),
            total=total,
            payer=payer,
            export=make_export(at(exported_on)),
        )
        line = ClaimLine.objects.create(
            claim=claim,
            position=1,
            code=code,
            modifiers=list(modifiers),
            units=1,
            place_of_service="11",
            charge=Decimal(total),
            expected_allowed=Decimal(expected),
        )
        claim.expected_allowed = expected_allowed([line])
        claim.save(update_fields=["expected_allowed"])
        return claim

    def pay(
        self, claim, *, days, paid, allowed, code="1", adjustments=(), remarks=()
    ) -> ClaimPayment:
        self.count += 1
        x12 = X12Import.objects.create(
            kind=X12Import.Kind.REMITTANCE_835,
            filename=f"remit{self.count}.835",
            sha256=f"{self.count:064d}",
            content=b"",
            imported_at=timezone.now(),
            interchange_control_number=f"{self.count:09d}",
            sender_id="PAYER",
            outcome="posted",
        )
        exported_on = timezone.localdate(claim.export.created_at)
        payment = ClaimPayment.objects.create(
            x12_import=x12,
            claim=claim,
            claim_number=str(claim.pk),
            status_code=code,
            charge=claim.total_charge,
            paid=Decimal(paid),
            allowed=Decimal(allowed),
            filing_indicator="CI",
            payer_claim_control_number=f"PCN{self.count}",
            payment_date=exported_on + dt.timedelta(days=days),
            trace_number=f"EFT{self.count}",
            payer_name=claim.payer.name,
            position=1,
        )
        line = LinePayment.objects.create(
            payment=payment,
            claim_line=claim.lines.get(),
            procedure=claim.lines.get().code,
            modifiers=claim.lines.get().modifiers,
            charge=claim.total_charge,
            paid=Decimal(paid),
            allowed=Decimal(allowed),
            units=Decimal("1"),
            position=1,
        )
        PaymentAdjustment.objects.bulk_create(
            adjustment_row(payment, line, inbound.Adjustment(group, carc, Decimal(amount), None, n))
            for n, (group, carc, amount) in enumerate(adjustments, start=1)
        )
        for remark in remarks:
            PaymentRemark.objects.create(payment=payment, line=line, code=remark)
        keep_claim_totals([claim.pk])
        return payment
