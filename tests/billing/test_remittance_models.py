"""The claim statuses after export and the records of acknowledgment and remittance files."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from billing.models import (
    CLAIM_TRANSITIONS,
    SENT_STATUSES,
    Claim,
    ClaimPayment,
    PaymentAdjustment,
    X12Import,
)
from billing.services import claims_export
from tests.factories import approved_claim, practice_settings


def test_every_status_has_its_transitions_and_only_known_ones():
    statuses = set(Claim.Status.values)
    assert set(CLAIM_TRANSITIONS) == statuses
    for targets in CLAIM_TRANSITIONS.values():
        assert targets <= statuses
    assert CLAIM_TRANSITIONS[Claim.Status.VOID] == frozenset()
    assert CLAIM_TRANSITIONS[Claim.Status.CORRECTED] == frozenset()
    # Nothing goes back to the biller's pre-export states once the claim was sent.
    for status in SENT_STATUSES:
        assert not CLAIM_TRANSITIONS[status] & {"hold", "ready", "approved", "exported"}


def _import(sha: str = "a" * 64) -> X12Import:
    return X12Import.objects.create(
        kind=X12Import.Kind.REMITTANCE_835,
        filename="remit.835",
        sha256=sha,
        content=b"ISA",
        imported_at=timezone.now(),
        interchange_control_number="000000301",
        sender_id="CLEARHOUSE",
        outcome="1 claim paid",
    )


@pytest.mark.django_db
def test_the_same_file_hash_is_refused_by_the_database():
    _import()
    with pytest.raises(IntegrityError), transaction.atomic():
        _import()


@pytest.mark.django_db
def test_an_import_is_kept_as_received():
    record = _import()
    record.outcome = "changed"
    with pytest.raises(ValueError, match="cannot be changed"):
        record.save()
    with pytest.raises(ValueError, match="is kept"):
        record.delete()


@pytest.mark.django_db
def test_an_adjustment_group_outside_co_pr_oa_pi_is_refused():
    payment = ClaimPayment.objects.create(
        x12_import=_import(),
        claim_number="C00000999",
        status_code="1",
        charge=Decimal("175.00"),
        paid=Decimal("123.83"),
        filing_indicator="MB",
        payer_claim_control_number="2226099000101",
        payment_date=dt.date(2026, 4, 10),
        trace_number="EFT1",
        payer_name="MEDICARE PART B",
        position=15,
    )
    assert not payment.is_matched
    PaymentAdjustment.objects.create(
        payment=payment, group="CO", reason="45", amount=Decimal("51.17"), position=20
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentAdjustment.objects.create(
            payment=payment, group="CR", reason="45", amount=Decimal("1.00"), position=21
        )


@pytest.mark.django_db
def test_a_replacement_must_name_the_payers_claim(nurse, nurse2, biller, provider):
    practice_settings()
    claim = approved_claim(nurse, nurse2, biller, provider)
    claims_export(by=biller, fmt="x12")
    claim.refresh_from_db()
    assert claim.status == Claim.Status.EXPORTED
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.filter(pk=claim.pk).update(frequency=Claim.Frequency.REPLACEMENT)
    Claim.objects.filter(pk=claim.pk).update(
        frequency=Claim.Frequency.REPLACEMENT, payer_claim_control_number="ACME26040900001"
    )
    # A sent claim keeps its export.
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.filter(pk=claim.pk).update(status=Claim.Status.DENIED, export=None)
