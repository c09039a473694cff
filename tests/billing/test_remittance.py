"""Importing 999, 277CA and 835 files for claims the app exported, and every refusal."""

from __future__ import annotations

import importlib
import io
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from billing.models import (
    Claim,
    ClaimAcknowledgment,
    ClaimEvent,
    ClaimLine,
    ClaimPayment,
    LinePayment,
    PaymentAdjustment,
    PaymentRemark,
    ProviderAdjustment,
    X12Import,
)
from billing.services import BillingError, claim_decide_for_encounter, claims_export
from billing.services.remittance import claim_pk_from_number, x12_import
from tests.factories import approved_claim, practice_settings
from tests.x12fixtures import fill


@pytest.fixture
def sent(nurse, nurse2, biller, provider):
    """Three claims exported in one 837P: the first with a same-day E/M (295.00), the
    others 96521 alone (175.00); and the values that fill the fixtures for them."""
    practice_settings()
    claims = [
        approved_claim(nurse, nurse2, biller, provider, last_name="Brooks", with_em=True),
        approved_claim(nurse, nurse2, biller, provider, last_name="Avery"),
        approved_claim(nurse, nurse2, biller, provider, last_name="Cole"),
    ]
    export = claims_export(by=biller, fmt="x12")
    for claim in claims:
        claim.refresh_from_db()
        assert claim.status == Claim.Status.EXPORTED
    values = {
        "gs_control": str(export.interchange_control_number),
        "st_control": "0001",
        "bht_reference": f"{export.interchange_control_number:09d}",
        **{f"claim_{i}": claim.number for i, claim in enumerate(claims, start=1)},
    }
    return claims, values


def _import(name: str, values: dict, biller, filename: str | None = None) -> X12Import:
    return x12_import(data=fill(name, values), filename=filename or f"{name}.x12", by=biller)


def _statuses(claims) -> list[str]:
    return [Claim.objects.get(pk=claim.pk).status for claim in claims]


def _nothing_posted() -> None:
    assert X12Import.objects.count() == 0
    assert ClaimPayment.objects.count() == 0
    assert ClaimAcknowledgment.objects.count() == 0
    assert ProviderAdjustment.objects.count() == 0
    assert not ClaimEvent.objects.filter(x12_import__isnull=False).exists()


def test_claim_numbers_are_read_back_to_ids():
    assert claim_pk_from_number("C00000042") == 42
    assert claim_pk_from_number("C123456789") == 123456789
    assert claim_pk_from_number("X00000042") is None
    assert claim_pk_from_number("C42") is None
    assert claim_pk_from_number("") is None


def test_999_accepted_accepts_every_claim_of_the_file(sent, biller):
    claims, values = sent
    record = _import("999_accepted", values, biller)
    assert record.kind == X12Import.Kind.ACK_999
    assert record.imported_by == biller
    assert record.claim_count == 3
    assert _statuses(claims) == ["accepted", "accepted", "accepted"]
    event = ClaimEvent.objects.filter(claim=claims[0]).latest("id")
    assert (event.from_status, event.to_status, event.by, event.x12_import) == (
        "exported",
        "accepted",
        biller,
        record,
    )
    assert ClaimAcknowledgment.objects.filter(x12_import=record, accepted=True).count() == 3


def test_999_rejected_rejects_the_claims_with_the_reason_in_words(sent, biller):
    claims, values = sent
    _import("999_rejected", values, biller)
    assert _statuses(claims) == ["rejected", "rejected", "rejected"]
    first, second, _ = (Claim.objects.get(pk=c.pk) for c in claims)
    assert "element CLM05-3" in first.payer_reason
    assert "segment NM1" in first.payer_reason
    assert "code 7" not in first.payer_reason  # the element error code is put in words
    assert second.payer_reason.startswith("The file claims-")
    assert "(999, IK5 R)" in second.payer_reason


def test_277ca_accepts_two_claims_and_rejects_the_third(sent, biller):
    claims, values = sent
    _import("999_accepted", values, biller)
    record = _import("277ca_accepted_and_rejected", values, biller)
    assert record.claim_count == 3
    assert record.unmatched_count == 0
    assert _statuses(claims) == ["accepted", "accepted", "rejected"]
    first, _, third = (Claim.objects.get(pk=c.pk) for c in claims)
    assert first.payer_claim_control_number == "2226065000101"
    assert third.payer_reason.startswith("Rejected by the payer (277CA A7:164:IL): ")
    assert "SUBSCRIBER ID NOT ON FILE" in third.payer_reason
    assert "code 164 is not in the code list" not in third.payer_reason
    ack = ClaimAcknowledgment.objects.get(x12_import=record, claim=claims[2])
    assert (ack.accepted, ack.codes) == (False, "A7:164:IL")


def test_835_full_payment_posts_claims_lines_and_adjustments(sent, biller):
    claims, values = sent
    record = _import("835_full_payment", values, biller)
    assert record.payment_total == Decimal("339.66")
    assert _statuses(claims) == ["paid", "paid", "exported"]
    payment = ClaimPayment.objects.get(claim=claims[0])
    assert (payment.paid, payment.charge, payment.patient_responsibility, payment.allowed) == (
        Decimal("215.83"),
        Decimal("295.00"),
        Decimal("0.00"),
        Decimal("215.83"),
    )
    assert payment.payer_claim_control_number == "ACME26040900001"
    assert payment.posted_status == "paid"
    assert Claim.objects.get(pk=claims[0].pk).payer_claim_control_number == "ACME26040900001"
    lines = list(LinePayment.objects.filter(payment=payment))
    assert [(line.procedure, line.paid, line.claim_line.code) for line in lines] == [
        ("96521", Decimal("123.83"), "96521"),
        ("99213", Decimal("92.00"), "99213"),
    ]
    assert lines[1].modifiers == ["25"]
    assert [
        (a.line.procedure, a.group, a.reason, a.amount)
        for a in PaymentAdjustment.objects.filter(payment=payment)
    ] == [("96521", "CO", "45", Decimal("51.17")), ("99213", "CO", "45", Decimal("28.00"))]


def test_835_partial_payment_keeps_patient_responsibility(sent, biller):
    claims, values = sent
    _import("835_partial_pr1_pr2", values, biller)
    assert _statuses(claims)[0] == "partially_paid"
    payment = ClaimPayment.objects.get(claim=claims[0])
    assert payment.patient_responsibility == Decimal("64.77")
    assert payment.allowed == Decimal("123.83")
    assert [
        (a.group, a.reason, a.amount, a.quantity)
        for a in PaymentAdjustment.objects.filter(payment=payment)
    ] == [
        ("PR", "1", Decimal("50.00"), None),
        ("PR", "2", Decimal("14.77"), None),
        ("CO", "45", Decimal("51.17"), None),
    ]
    assert list(PaymentRemark.objects.filter(payment=payment).values_list("code", "line")) == [
        ("MA01", None)
    ]
    claim = Claim.objects.get(pk=claims[0].pk)
    assert claim.payer_reason.startswith("96521 PR-1 50.00: ")


def test_835_denials_keep_every_carc_and_rarc(sent, biller):
    claims, values = sent
    _import("835_denial_co4", values, biller)
    assert _statuses(claims) == ["partially_paid", "denied", "exported"]
    denied = ClaimPayment.objects.get(claim=claims[1])
    assert denied.status_code == "4"
    assert [(a.group, a.reason, a.amount, a.line) for a in denied.adjustments.all()] == [
        ("CO", "16", Decimal("175.00"), None)
    ]
    assert sorted(denied.remarks.values_list("code", flat=True)) == ["MA130", "N290"]
    partial = ClaimPayment.objects.get(claim=claims[0])
    line_remarks = PaymentRemark.objects.filter(payment=partial, line__procedure="99213")
    assert list(line_remarks.values_list("code", flat=True)) == ["N20"]
    first, second = (Claim.objects.get(pk=c.pk) for c in claims[:2])
    assert first.payer_reason.startswith("99213 CO-4 120.00: ")
    assert second.payer_reason.startswith("CO-16 175.00: ")
    assert "MA130: " in second.payer_reason


def test_835_bundling_denial_of_one_line(sent, biller):
    claims, values = sent
    _import("835_bundling_co97", values, biller)
    assert _statuses(claims)[0] == "partially_paid"
    line = LinePayment.objects.get(payment__claim=claims[0], procedure="99213")
    assert line.paid == Decimal("0.00")
    assert [(a.group, a.reason, a.amount) for a in line.adjustments.all()] == [
        ("CO", "97", Decimal("120.00"))
    ]


def test_835_reversal_then_correction(sent, biller):
    claims, values = sent
    _import("835_full_payment", values, biller)
    _import("835_reversal_correction", values, biller)
    payments = ClaimPayment.objects.filter(claim=claims[0]).order_by("id")
    assert [(p.status_code, p.paid, p.posted_status) for p in payments] == [
        ("1", Decimal("215.83"), "paid"),
        ("22", Decimal("-215.83"), "accepted"),
        ("1", Decimal("240.83"), "paid"),
    ]
    events = ClaimEvent.objects.filter(claim=claims[0], x12_import__isnull=False).order_by("id")
    assert [(e.from_status, e.to_status) for e in events] == [
        ("exported", "paid"),
        ("paid", "accepted"),
        ("accepted", "paid"),
    ]
    assert Claim.objects.get(pk=claims[0].pk).payer_claim_control_number == "ACME26041400007"


def test_835_provider_adjustments(sent, biller):
    claims, values = sent
    record = _import("835_plb_adjustment", values, biller)
    assert record.payment_total == Decimal("90.10")
    assert list(
        ProviderAdjustment.objects.filter(x12_import=record).values_list(
            "reason", "reference", "amount"
        )
    ) == [
        ("L6", claims[0].number, Decimal("-1.27")),
        ("WO", "ACME26030100099", Decimal("25.00")),
        ("FB", "ACME26030100100", Decimal("10.00")),
    ]
    assert "3 provider adjustments (PLB) of 33.73" in record.outcome


def _sums_from_child_rows(claim: Claim) -> tuple:
    """What the dashboard read from the child tables before the claims kept their sums:
    the lines' expected allowed amount, the line payments' allowed and paid amounts, and
    the days from the export (in the clinic's zone) to the claim's last payment when it
    paid and is not a reversal."""
    lines = ClaimLine.objects.filter(claim=claim).aggregate(expected=Sum("expected_allowed"))
    paid = LinePayment.objects.filter(claim_line__claim=claim).aggregate(
        allowed=Sum("allowed"), paid=Sum("paid")
    )
    last = ClaimPayment.objects.filter(claim=claim).order_by("id").last()
    stands = last is not None and last.paid > 0 and last.status_code != "22"
    exported_on = timezone.localdate(Claim.objects.get(pk=claim.pk).export.created_at)
    return (
        lines["expected"],
        paid["allowed"],
        paid["paid"],
        (last.payment_date - exported_on).days if stands else None,
    )


def _kept_sums(claim: Claim) -> tuple:
    claim = Claim.objects.get(pk=claim.pk)
    return (claim.expected_allowed, claim.allowed_amount, claim.paid_amount, claim.payment_days)


@pytest.mark.parametrize(
    "files",
    [
        ["835_full_payment"],
        ["835_partial_pr1_pr2"],
        ["835_denial_co4"],
        ["835_bundling_co97"],
        ["835_full_payment", "835_reversal_correction"],
    ],
)
def test_each_claim_keeps_the_sums_of_its_postings(sent, biller, files):
    claims, values = sent
    for name in files:
        _import(name, values, biller)
    for claim in claims:
        assert _kept_sums(claim) == _sums_from_child_rows(claim)
    for adjustment in PaymentAdjustment.objects.select_related("payment__claim"):
        claim = adjustment.payment.claim
        assert adjustment.claim == claim
        assert adjustment.date_of_service == claim.date_of_service


def test_a_reversal_then_its_correction_leaves_the_payment_that_stands(sent, biller):
    claims, values = sent
    exported_on = timezone.localdate(Claim.objects.get(pk=claims[0].pk).export.created_at)
    _import("835_full_payment", values, biller)
    first = ClaimPayment.objects.get(claim=claims[0])
    assert _kept_sums(claims[0])[2:] == (
        Decimal("215.83"),
        (first.payment_date - exported_on).days,
    )
    _import("835_reversal_correction", values, biller)
    corrected = ClaimPayment.objects.filter(claim=claims[0]).order_by("id").last()
    assert corrected.status_code == "1"
    assert corrected.payment_date != first.payment_date
    # 215.83 paid, 215.83 taken back, 240.83 paid: the claim keeps the correction.
    assert _kept_sums(claims[0])[2:] == (
        Decimal("240.83"),
        (corrected.payment_date - exported_on).days,
    )
    # A claim nobody paid keeps nothing but its expected amount.
    assert _kept_sums(claims[2])[1:] == (None, None, None)


def test_the_migration_fills_the_sums_of_rows_posted_before_it(sent, biller):
    claims, values = sent
    for name in ("835_full_payment", "835_denial_co4", "835_reversal_correction"):
        _import(name, values, biller)
    kept = [_kept_sums(claim) for claim in claims]
    adjustments = list(PaymentAdjustment.objects.values_list("id", "claim", "date_of_service"))
    Claim.objects.update(
        expected_allowed=None, allowed_amount=None, paid_amount=None, payment_days=None
    )
    PaymentAdjustment.objects.update(claim=None, date_of_service=None)

    migration = importlib.import_module("billing.migrations.0020_dashboard_claim_sums")
    # The fill reads nothing of the schema editor but its connection.
    migration.fill(apps, SimpleNamespace(connection=connection))

    assert [_kept_sums(claim) for claim in claims] == kept
    assert list(PaymentAdjustment.objects.values_list("id", "claim", "date_of_service")) == (
        adjustments
    )


def test_a_decided_claim_keeps_the_expected_amount_of_its_lines(sent):
    claims, _ = sent
    for claim in claims:
        expected = ClaimLine.objects.filter(claim=claim).aggregate(sum=Sum("expected_allowed"))
        assert expected["sum"] is not None
        assert Claim.objects.get(pk=claim.pk).expected_allowed == expected["sum"]


def test_an_unmatched_payment_keeps_no_claim_on_its_adjustments(sent, biller):
    _, values = sent
    _import("835_full_payment", {**values, "claim_2": "C99999999"}, biller)
    unmatched = PaymentAdjustment.objects.get(payment__claim__isnull=True)
    assert (unmatched.claim, unmatched.date_of_service) == (None, None)


# -- refusals ------------------------------------------------------------------------------


def test_the_same_file_twice_posts_nothing_twice(sent, biller):
    _, values = sent
    _import("835_full_payment", values, biller)
    events = ClaimEvent.objects.count()
    with pytest.raises(BillingError, match="already imported") as refused:
        _import("835_full_payment", values, biller, filename="renamed.835")
    assert refused.value.code == "duplicate"
    assert X12Import.objects.count() == 1
    assert ClaimPayment.objects.count() == 2
    assert ClaimEvent.objects.count() == events


def test_an_unknown_claim_goes_to_the_unmatched_list(sent, biller):
    _, values = sent
    record = _import("835_full_payment", {**values, "claim_2": "C99999999"}, biller)
    assert (record.claim_count, record.unmatched_count) == (1, 1)
    unmatched = ClaimPayment.objects.get(claim__isnull=True)
    assert (unmatched.claim_number, unmatched.paid, unmatched.posted_status) == (
        "C99999999",
        Decimal("123.83"),
        "",
    )
    assert unmatched.adjustments.count() == 1
    assert "1 not matched to a claim" in record.outcome


def test_a_claim_never_exported_is_not_matched(sent, biller, nurse, nurse2, provider):
    _, values = sent
    waiting = approved_claim(nurse, nurse2, biller, provider, last_name="Dunn")
    record = _import("835_full_payment", {**values, "claim_2": waiting.number}, biller)
    assert record.unmatched_count == 1
    waiting.refresh_from_db()
    assert waiting.status == Claim.Status.APPROVED
    assert not waiting.payments.exists()


def test_an_unbalanced_835_is_refused_saying_why(sent, biller):
    claims, values = sent
    data = fill("835_full_payment", values).replace(b"BPR*I*339.66*", b"BPR*I*339.67*")
    with pytest.raises(BillingError) as refused:
        x12_import(data=data, filename="unbalanced.835", by=biller)
    assert refused.value.code == "x12"
    assert str(refused.value) == (
        "The file was refused and nothing was posted: segment 4 (BPR) element BPR02: the "
        "total payment 339.67 (BPR02) does not equal the claim payments 339.66 (CLP04) less "
        "the provider adjustments 0.00 (PLB), which is 339.66"
    )
    _nothing_posted()
    assert _statuses(claims) == ["exported", "exported", "exported"]


def test_a_file_that_is_not_an_835_999_or_277ca_is_refused(sent, biller):
    claims, _ = sent
    data = bytes(claims[0].export.content)
    with pytest.raises(BillingError, match=r"\(ST\) element ST01: this file holds") as refused:
        x12_import(data=data, filename="ours.837", by=biller)
    assert refused.value.code == "x12"
    _nothing_posted()


def test_a_truncated_file_is_refused_with_the_segment_named(sent, biller):
    claims, values = sent
    full = fill("835_full_payment", values)
    data = full[: full.index(b"CLP*" + values["claim_2"].encode()) + 20]
    with pytest.raises(BillingError, match="nothing was posted") as refused:
        x12_import(data=data, filename="cut.835", by=biller)
    assert refused.value.code == "x12"
    _nothing_posted()
    assert _statuses(claims) == ["exported", "exported", "exported"]


@pytest.mark.parametrize("name", ["garbage.bin", "not_x12.csv"])
def test_files_that_are_not_x12_are_refused(sent, biller, name):
    from tests.x12fixtures import FIXTURES

    data = (FIXTURES / "broken" / name).read_bytes()
    with pytest.raises(BillingError, match="nothing was posted"):
        x12_import(data=data, filename=name, by=biller)
    _nothing_posted()


def test_an_empty_file_is_refused(biller):
    with pytest.raises(BillingError, match="empty") as refused:
        x12_import(data=b"", filename="empty.835", by=biller)
    assert refused.value.field == "file"


def test_a_999_for_a_file_never_exported_goes_to_the_unmatched_list(client, sent, biller):
    claims, values = sent
    record = _import("999_accepted", {**values, "gs_control": "999"}, biller)
    assert (record.claim_count, record.unmatched_count) == (0, 1)
    assert record.outcome == "0 claims matched; 1 not matched to a claim."
    kept = ClaimAcknowledgment.objects.get()
    assert (kept.x12_import, kept.claim, kept.claim_number, kept.accepted, kept.codes) == (
        record,
        None,
        "group 999 set 0001",
        True,
        "IK5 A",
    )
    assert kept.reason.startswith("This 999 answers group 999 (AK102), which no export")
    assert _statuses(claims) == ["exported", "exported", "exported"]
    assert not ClaimEvent.objects.filter(x12_import__isnull=False).exists()
    client.force_login(biller)
    page = client.get(reverse("billing:unmatched_list")).content.decode()
    assert "group 999 set 0001" in page


# -- pages and the command -----------------------------------------------------------------


def test_the_biller_uploads_an_835_and_sees_what_it_posted(client, sent, biller):
    claims, values = sent
    client.force_login(biller)
    upload = SimpleUploadedFile("remit-0410.835", fill("835_denial_co4", values))
    response = client.post(reverse("billing:import_create"), {"file": upload})
    record = X12Import.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("billing:import_detail", args=[record.pk])
    assert record.filename == "remit-0410.835"
    assert record.outcome == "2 claims matched; 1 denied; 1 partially paid."
    page = client.get(response["Location"]).content.decode()
    assert "CO-16" in page
    assert "MA130" in page
    claim_page = client.get(reverse("billing:claim_detail", args=[claims[1].pk])).content.decode()
    assert "Payer:</strong> CO-16 175.00: " in claim_page
    assert "payer claim number ACME26040900004" in claim_page


def test_a_refused_upload_says_why_at_the_field_and_saves_nothing(client, sent, biller):
    _, values = sent
    client.force_login(biller)
    data = fill("835_full_payment", values).replace(b"BPR*I*339.66*", b"BPR*I*300*")
    upload = SimpleUploadedFile("bad.835", data)
    response = client.post(reverse("billing:import_create"), {"file": upload})
    assert response.status_code == 400
    errors = response.context["form"].errors["file"]
    assert errors[0].startswith(
        "The file was refused and nothing was posted: segment 4 (BPR) element BPR02: "
    )
    _nothing_posted()


def test_an_upload_without_a_file_is_refused_at_the_field(client, biller):
    client.force_login(biller)
    response = client.post(reverse("billing:import_create"), {})
    assert response.status_code == 400
    assert response.context["form"].errors["file"] == ["Choose a file to import."]


def test_the_unmatched_page_lists_payments_for_unknown_claims(client, sent, biller):
    _, values = sent
    _import("835_full_payment", {**values, "claim_2": "C99999999"}, biller)
    client.force_login(biller)
    page = client.get(reverse("billing:unmatched_list")).content.decode()
    assert "C99999999" in page
    assert "ACME26040900002" in page


def test_the_command_imports_a_file(sent, tmp_path):
    _, values = sent
    path = tmp_path / "ack.999"
    path.write_bytes(fill("999_accepted", values))
    out = io.StringIO()
    call_command("import_x12", str(path), stdout=out)
    record = X12Import.objects.get()
    assert out.getvalue() == (
        f"Imported ack.999 (999 implementation acknowledgment, import #{record.pk}): "
        "3 claims matched; 3 accepted.\n"
    )
    assert record.imported_by is None
    with pytest.raises(CommandError, match="already imported"):
        call_command("import_x12", str(path), stdout=io.StringIO())
    with pytest.raises(CommandError, match="is not a file"):
        call_command("import_x12", str(tmp_path / "missing.835"), stdout=io.StringIO())


def test_a_claim_the_payer_answered_is_not_re_decided(sent, biller):
    claims, values = sent
    _import("835_full_payment", values, biller)
    claim_decide_for_encounter(encounter=claims[0].encounter, by=biller, reason="addendum")
    claim = Claim.objects.get(pk=claims[0].pk)
    assert claim.status == Claim.Status.PAID
    assert Claim.objects.filter(encounter=claim.encounter).count() == 1
    event = claim.events.latest("id")
    assert (event.from_status, event.to_status) == ("paid", "paid")
    assert event.reason.startswith("Documentation changed after export (addendum)")
