"""Claim export: exactly once, nothing half-done, a file the validator accepts."""

from __future__ import annotations

import csv
import hashlib
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from billing import services
from billing.models import Claim, ClaimExport
from tests.factories import (
    PatientFactory,
    approved_claim,
    billing_reference,
    cover,
    signed_refill,
)
from tests.x12check import pyx12_problems


def test_x12_export_is_valid_and_marks_claims_exported(practice, nurse, nurse2, biller, provider):
    first = approved_claim(nurse, nurse2, biller, provider, with_em=True)
    second = approved_claim(nurse, nurse2, biller, provider, last_name="O'Brien-Núñez")

    export = services.claims_export(by=biller, fmt="x12")

    text = bytes(export.content).decode()
    assert pyx12_problems(text) == []
    assert text.startswith("ISA*")
    assert export.claim_count == 2
    assert export.sha256 == hashlib.sha256(bytes(export.content)).hexdigest()
    assert export.interchange_control_number == 1
    for claim in (first, second):
        claim.refresh_from_db()
        assert (claim.status, claim.export_id) == ("exported", export.pk)
        assert claim.events.last().to_status == "exported"
    segments = text.split("~")
    assert "SV1*HC:96521*175*UN*1***1:2" in segments
    assert "SV1*HC:99213:25*120*UN*1***4:2" in segments
    assert f"CLM*C{first.pk:08d}*295***11:B:1*Y*A*Y*Y" in segments
    assert "HI*ABK:Z5111*ABF:C189*ABF:C787*ABF:R110" in segments


def test_second_export_exports_nothing_new(practice, nurse, nurse2, biller, provider):
    approved_claim(nurse, nurse2, biller, provider)
    assert services.claims_export(by=biller, fmt="x12") is not None

    assert services.claims_export(by=biller, fmt="x12") is None
    assert ClaimExport.objects.count() == 1


def test_control_numbers_are_unique_and_increase(practice, nurse, nurse2, biller, provider):
    approved_claim(nurse, nurse2, biller, provider)
    one = services.claims_export(by=biller, fmt="x12")
    approved_claim(nurse, nurse2, biller, provider, last_name="Other")
    two = services.claims_export(by=biller, fmt="x12")
    assert (one.interchange_control_number, two.interchange_control_number) == (1, 2)
    assert "*000000002*" in bytes(two.content).decode().split("~")[0]


def test_error_half_way_leaves_nothing_marked(
    practice, nurse, nurse2, biller, provider, monkeypatch
):
    claim = approved_claim(nurse, nurse2, biller, provider)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("billing.exporting.write_csv", broken)
    with pytest.raises(RuntimeError):
        services.claims_export(by=biller, fmt="csv")

    claim.refresh_from_db()
    assert claim.status == "approved"
    assert ClaimExport.objects.count() == 0


def test_csv_has_a_header_and_one_row_per_line(practice, nurse, nurse2, biller, provider):
    claim = approved_claim(nurse, nurse2, biller, provider, with_em=True, last_name="=cmd")

    export = services.claims_export(by=biller, fmt="csv")

    rows = list(csv.reader(io.StringIO(bytes(export.content).decode())))
    assert rows[0][:3] == ["claim_id", "date_of_service", "payer_code"]
    assert [(r[8], r[9], r[14]) for r in rows[1:]] == [
        ("96521", "", "175.00"),
        ("99213", "25", "120.00"),
    ]
    assert rows[1][0] == f"C{claim.pk:08d}"
    assert rows[1][5] == "'=cmd"
    # An original claim (CLM05-3 1) names no earlier claim of the payer's.
    assert rows[0][-2:] == ["claim_frequency", "payer_claim_control_number"]
    assert [r[-2:] for r in rows[1:]] == [["1", ""], ["1", ""]]


def test_export_command_writes_the_file_once(practice, nurse, nurse2, biller, provider, tmp_path):
    approved_claim(nurse, nurse2, biller, provider)
    out = tmp_path / "claims.x12"
    stdout = io.StringIO()

    call_command("export_claims", "--format", "x12", "--out", str(out), stdout=stdout)
    call_command(
        "export_claims", "--format", "x12", "--out", str(tmp_path / "again.x12"), stdout=stdout
    )

    assert out.read_text().startswith("ISA*")
    assert not (tmp_path / "again.x12").exists()
    assert "nothing written" in stdout.getvalue()
    assert ClaimExport.objects.get().sha256 == hashlib.sha256(out.read_bytes()).hexdigest()


def test_queue_download_and_download_again(client, practice, nurse, nurse2, biller, provider):
    approved_claim(nurse, nurse2, biller, provider)
    client.force_login(biller)

    response = client.post(reverse("billing:export_create"), {"format": "x12"})

    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.x12"')
    export = ClaimExport.objects.get()
    again = client.get(reverse("billing:export_download", args=[export.pk]))
    assert again.content == response.content == bytes(export.content)


def test_nurse_cannot_export(client, practice, nurse):
    client.force_login(nurse)
    assert client.post(reverse("billing:export_create"), {"format": "x12"}).status_code == 403


def test_claim_without_charge_cannot_be_approved(nurse, nurse2, biller, provider):
    from billing.models import ChargeMasterItem

    payer = billing_reference(program="commercial", code="AETNA")
    ChargeMasterItem.objects.filter(code="96521").delete()
    patient = PatientFactory()
    cover(patient, payer)
    encounter = signed_refill(patient, nurse, nurse2)
    claim = Claim.objects.get(encounter=encounter)

    # Held when decided, by the 837P writer's own check, and so never approved.
    assert claim.status == "hold"
    assert claim.hold_reason == (
        "Line 1 (96521) has no charge, and it cannot go on an 837P: add the code's charge to "
        "the charge master, then re-decide the claim."
    )
    assert list(claim.findings.filter(rule="X12").values_list("severity", "message")) == [
        ("hold", claim.hold_reason)
    ]
    with pytest.raises(services.BillingError, match="cannot be approved from that state"):
        services.claim_approve(claim=claim, by=biller)
    claim.refresh_from_db()
    assert claim.status == "hold"


def test_cms1500_page_shows_boxes(client, practice, nurse, nurse2, biller, provider):
    claim = approved_claim(nurse, nurse2, biller, provider, with_em=True)
    client.force_login(biller)
    response = client.get(reverse("billing:claim_1500", args=[claim.pk]))
    form = response.context["form"]
    assert list(form.diagnoses) == [
        ("A", "Z5111"),
        ("B", "C189"),
        ("C", "C787"),
        ("D", "R110"),
    ]
    assert [(line.code, line.modifiers, line.pointer) for line in form.lines] == [
        ("96521", (), "AB"),
        ("99213", ("25",), "DB"),
    ]
    assert form.billing_npi == "1811111115"
    assert form.lines[0].rendering_npi == "1234567893"


def test_837p_from_the_demo_data_is_valid(db):
    call_command("seed_demo", stdout=io.StringIO())
    biller = ClaimExport._meta.get_field("created_by").related_model.objects.get(
        username="biller.jones"
    )
    ready = Claim.objects.filter(status="ready")
    assert ready.count() >= 2
    for claim in ready:
        services.claim_approve(claim=claim, by=biller)

    export = services.claims_export(by=biller, fmt="x12")

    text = bytes(export.content).decode()
    assert pyx12_problems(text) == []
    segments = text.split("~")
    clm_totals = [Decimal(s.split("*")[2]) for s in segments if s.startswith("CLM*")]
    sv1_charges = [Decimal(s.split("*")[2]) for s in segments if s.startswith("SV1*")]
    assert len(clm_totals) == export.claim_count
    assert sum(clm_totals) == sum(sv1_charges)


def test_a_large_backlog_goes_out_in_several_files(
    practice, nurse, nurse2, biller, provider, monkeypatch
):
    for name in ("One", "Two", "Three"):
        approved_claim(nurse, nurse2, biller, provider, last_name=name)
    monkeypatch.setattr("billing.services.exports.MAX_CLAIMS_PER_EXPORT", 2)

    first = services.claims_export(by=biller, fmt="x12")
    second = services.claims_export(by=biller, fmt="x12")

    assert (first.claim_count, second.claim_count) == (2, 1)
    assert services.claims_export(by=biller, fmt="x12") is None
    assert Claim.objects.filter(status="exported").count() == 3
