"""`manage.py redecide`: a period re-run through the engine, exported claims left as sent."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from billing.models import ChargeMasterItem, Claim, ClaimEvent, ClaimExport, Coverage
from billing.services import claim_decide_for_encounter
from tests.factories import PatientFactory, billing_reference, cover, live_claim, make_encounter

REASON = "redecided: rules or payer policy changed"
DAY = dt.date(2026, 3, 4)


def signed(patient, nurse, nurse2, day):
    at = timezone.now()
    encounter = make_encounter(
        patient,
        nurse,
        day=day,
        status="signed",
        verified_by=nurse2,
        verified_at=at,
        signed_by=nurse,
        signed_at=at,
    )
    claim_decide_for_encounter(encounter=encounter, reason="signed")
    return encounter


def redecide(*args: str) -> str:
    out = io.StringIO()
    call_command("redecide", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def aetna(db):
    return billing_reference(program="commercial", code="AETNA")


def test_a_changed_charge_is_applied_in_the_period_only(nurse, nurse2, patient, aetna):
    cover(patient, aetna)
    before = signed(patient, nurse, nurse2, DAY - dt.timedelta(days=1))
    first = signed(patient, nurse, nurse2, DAY)
    last = signed(patient, nurse, nurse2, DAY + dt.timedelta(days=1))
    old_claims = {e.pk: live_claim(e) for e in (before, first, last)}
    ChargeMasterItem.objects.filter(code="96521").update(charge=Decimal("180.00"))

    output = redecide("--from", "2026-03-04", "--to", "2026-03-05", "--chunk-size", "1")

    assert output == (
        "Re-decided 2 encounter(s) from 2026-03-04 to 2026-03-05 (2 ready); "
        "0 exported claim(s) left as sent.\n"
    )
    for encounter in (first, last):
        old = Claim.objects.get(pk=old_claims[encounter.pk].pk)
        new = live_claim(encounter)
        assert (old.status, old.void_reason) == ("void", f"Superseded: {REASON}")
        voided = old.history.latest("history_id")
        assert (voided.status, voided.history_type) == ("void", "~")
        assert voided.history_change_reason == f"Superseded: {REASON}"
        assert new.supersedes_id == old.pk
        assert (new.status, new.total_charge) == ("ready", Decimal("180.00"))
        assert [line.charge for line in new.lines.all()] == [Decimal("180.00")]
        assert list(new.events.values_list("from_status", "to_status", "reason")) == [
            ("", "ready", f"Decided ({REASON}).")
        ]
        assert new.history.get().history_change_reason == f"decided: {REASON}"
    untouched = live_claim(before)
    assert untouched.pk == old_claims[before.pk].pk
    assert untouched.total_charge == Decimal("175.00")


def test_exported_claims_are_left_as_sent(nurse, nurse2, patient, aetna):
    cover(patient, aetna)
    sent = signed(patient, nurse, nurse2, DAY)
    waiting = signed(patient, nurse, nurse2, DAY + dt.timedelta(days=1))
    export = ClaimExport.objects.create(
        created_at=timezone.now(),
        format="x12",
        filename="claims.x12",
        sha256="0" * 64,
        content=b"ISA",
        claim_count=1,
    )
    Claim.objects.filter(encounter=sent).update(status="exported", export=export)
    exported = live_claim(sent)
    events_before = ClaimEvent.objects.filter(claim=exported).count()

    output = redecide("--from", "2026-03-01", "--to", "2026-03-31")

    assert output.endswith("1 exported claim(s) left as sent.\n")
    assert "Re-decided 1 encounter(s)" in output
    assert list(Claim.objects.filter(encounter=sent).values_list("pk", "status")) == [
        (exported.pk, "exported")
    ]
    assert ClaimEvent.objects.filter(claim=exported).count() == events_before
    # The same lines came out: the claim is kept, with an event saying it was checked.
    assert Claim.objects.filter(encounter=waiting).count() == 1
    assert (
        live_claim(waiting)
        .events.latest("id")
        .reason.startswith(f"Re-decided ({REASON}): codes, modifiers, units, diagnosis pointers")
    )


def test_payer_limits_the_run_to_its_claims_and_to_newly_covered_holds(
    nurse, nurse2, patient, aetna
):
    bcbs = billing_reference(program="commercial", code="BCBS")
    cover(patient, aetna)
    other = PatientFactory(last_name="Other")
    cover(other, bcbs)
    uncovered = PatientFactory(last_name="Uncovered")
    billed = signed(patient, nurse, nurse2, DAY)
    elsewhere = signed(other, nurse, nurse2, DAY)
    held = signed(uncovered, nurse, nurse2, DAY)
    assert (live_claim(held).status, live_claim(held).payer_id) == ("hold", None)
    elsewhere_claim = live_claim(elsewhere)
    Coverage.objects.create(
        patient=uncovered, payer=aetna, member_id="M9", effective_from=dt.date(2026, 1, 1)
    )

    output = redecide("--from", "2026-03-04", "--to", "2026-03-04", "--payer", "AETNA")

    assert output.startswith("Re-decided 2 encounter(s) from 2026-03-04 to 2026-03-04 (2 ready)")
    assert Claim.objects.filter(encounter=billed).count() == 1  # the same lines: kept
    assert (live_claim(held).status, live_claim(held).payer) == ("ready", aetna)
    assert live_claim(elsewhere).pk == elsewhere_claim.pk
    assert Claim.objects.filter(encounter=elsewhere).count() == 1


def test_progress_bar_redraws_one_line(nurse, nurse2, patient, aetna):
    cover(patient, aetna)
    signed(patient, nurse, nurse2, DAY)
    signed(patient, nurse, nurse2, DAY + dt.timedelta(days=1))
    err = io.StringIO()

    call_command(
        "redecide",
        *("--from", "2026-03-04", "--to", "2026-03-05", "--chunk-size", "1"),
        stdout=io.StringIO(),
        stderr=err,
    )

    bar = err.getvalue()
    assert "2/2" in bar
    assert "\n" not in bar.rstrip("\n")


def test_unsigned_encounters_are_not_redecided(nurse, patient, aetna):
    cover(patient, aetna)
    make_encounter(patient, nurse, day=DAY)

    output = redecide("--from", "2026-03-04", "--to", "2026-03-04")

    assert output == (
        "Re-decided 0 encounter(s) from 2026-03-04 to 2026-03-04; "
        "0 exported claim(s) left as sent.\n"
    )
    assert not Claim.objects.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-03-05", "--to", "2026-03-04"], "--to is before --from."),
        (["--from", "4 March", "--to", "2026-03-04"], "'4 March' is not a date as YYYY-MM-DD."),
        (
            ["--from", "2026-03-04", "--to", "2026-03-04", "--payer", "NOPE"],
            "No payer has the code 'NOPE'.",
        ),
        (
            ["--from", "2026-03-04", "--to", "2026-03-04", "--chunk-size", "0"],
            "--chunk-size must be at least 1.",
        ),
    ],
)
def test_bad_arguments_are_refused(db, args, message):
    with pytest.raises(CommandError) as error:
        redecide(*args)
    assert str(error.value) == message
