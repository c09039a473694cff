"""Re-decisions that keep the biller's work, and corrections of claims the payer has."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from billing.models import Claim, Payer
from billing.services import (
    BillingError,
    claim_approve,
    claim_correct,
    claim_decide_for_encounter,
    claim_review_redecision,
    claims_export,
    x12_import,
)
from tests.factories import UserFactory, approved_claim, practice_settings, provider_visit
from tests.x12check import pyx12_problems
from tests.x12fixtures import fill


def _add_visit(claim: Claim, provider) -> None:
    """A same-day E/M visit by the provider: the claim's lines change (99213-25 added)."""
    provider_visit(provider, claim.patient, claim.date_of_service)


@pytest.fixture
def approved(nurse, nurse2, biller, provider):
    practice_settings()
    return approved_claim(nurse, nurse2, biller, provider)


def test_a_re_decision_with_the_same_lines_keeps_the_claim_and_its_approval(approved, biller):
    kept = claim_decide_for_encounter(
        encounter=approved.encounter, by=biller, reason="addendum added"
    )
    assert kept.pk == approved.pk
    kept.refresh_from_db()
    assert (kept.status, kept.approval_cleared) == ("approved", False)
    assert Claim.objects.filter(encounter=approved.encounter).count() == 1
    event = kept.events.latest("id")
    assert (event.from_status, event.to_status, event.by) == ("approved", "approved", biller)
    assert event.reason == (
        "Re-decided (addendum added): codes, modifiers, units, diagnosis pointers, rendering "
        "and charges came out the same; the claim keeps its number and status."
    )


def test_a_re_decision_with_other_lines_makes_a_new_claim_saying_what_changed(
    approved, biller, provider
):
    # The provider visit re-decides the claim itself (a refills service calls billing).
    _add_visit(approved, provider)
    approved.refresh_from_db()
    assert approved.status == "void"
    new = Claim.objects.get(encounter=approved.encounter, status="ready")
    assert new.supersedes == approved
    assert approved.superseded_by == new
    assert new.approval_cleared is True
    assert new.change_summary == (
        "Re-decided (same-day provider visit recorded): diagnoses Z51.11, C18.9, C78.7 -> "
        "Z51.11, C18.9, C78.7, R11.0; 99213-25 added"
    )


def test_the_queue_marks_a_re_decided_claim_until_a_biller_looks(
    client, approved, biller, provider
):
    _add_visit(approved, provider)
    new = Claim.objects.get(encounter=approved.encounter, status="ready")
    client.force_login(biller)
    queue = client.get(reverse("billing:queue")).content.decode()
    assert "re-decided: approval cleared" in queue
    page = client.get(reverse("billing:claim_detail", args=[new.pk])).content.decode()
    assert "Re-decided: approval cleared." in page
    response = client.post(reverse("billing:claim_review", args=[new.pk]))
    assert response.status_code == 302
    new.refresh_from_db()
    assert new.approval_cleared is False
    assert new.events.latest("id").reason.startswith("Re-decision reviewed: Re-decided (")
    assert (
        "re-decided: approval cleared" not in client.get(reverse("billing:queue")).content.decode()
    )
    with pytest.raises(BillingError, match="no re-decision waiting"):
        claim_review_redecision(claim=new, by=biller)


def test_approving_a_re_decided_claim_clears_the_mark(approved, biller, provider):
    _add_visit(approved, provider)
    new = Claim.objects.get(encounter=approved.encounter, status="ready")
    claim_approve(claim=new, by=biller)
    new.refresh_from_db()
    assert (new.status, new.approval_cleared) == ("approved", False)


def test_a_biller_re_decides_one_claim_from_its_page(client, approved, biller):
    client.force_login(biller)
    url = reverse("billing:claim_redecide", args=[approved.pk])
    response = client.post(url, {"reason": "checked the order"})
    assert response.status_code == 302
    assert response["Location"] == reverse("billing:claim_detail", args=[approved.pk])
    assert approved.events.latest("id").reason.startswith("Re-decided (checked the order)")
    events = approved.events.count()
    response = client.post(url, {"reason": "x" * 501}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        f"Re-decided: {approved.number} came out the same and is approved.",
        "Keep the reason under 500 characters.",
    ]
    assert approved.events.count() == events


def test_an_admin_changing_a_payers_policy_is_offered_to_re_decide_with_a_count(
    client, approved, admin_user
):
    payer = approved.payer
    client.force_login(admin_user)
    change_url = reverse("admin:billing_payer_change", args=[payer.pk])
    form = client.get(change_url).context["adminform"].form
    data = {}
    for name in form.fields:
        value = form.initial.get(name)
        if value is True:
            data[name] = "on"
        elif value not in (None, False):
            data[name] = value
    data["modifier25_requires_note"] = "on"
    response = client.post(change_url, data, follow=True)
    assert response.status_code == 200, response.context["adminform"].form.errors
    shown = [str(m) for m in response.context["messages"]]
    redecide_url = reverse("admin:billing_payer_redecide", args=[payer.pk])
    assert any("has 1 open claim(s)" in m and redecide_url in m for m in shown), shown
    page = client.get(redecide_url).content.decode()
    assert "1 open claim of" in page
    response = client.post(redecide_url)
    assert response.status_code == 302
    assert Payer.objects.get(pk=payer.pk).modifier25_requires_note is True
    assert approved.events.latest("id").reason.startswith(
        f"Re-decided (payer policy changed ({payer.code}))"
    )


def test_a_rejected_claim_is_decided_again_as_an_original(approved, biller):
    claims_export(by=biller, fmt="x12")
    export = Claim.objects.get(pk=approved.pk).export
    values = {"gs_control": str(export.interchange_control_number), "st_control": "0001"}
    rejection = fill("999_rejected", {**values, "claim_1": approved.number})
    x12_import(data=rejection, filename="r.999", by=biller)
    approved.refresh_from_db()
    assert approved.status == "rejected"
    new = claim_decide_for_encounter(encounter=approved.encounter, by=biller, reason="fixed")
    approved.refresh_from_db()
    assert approved.status == "void"
    assert (new.status, new.frequency, new.supersedes) == ("ready", "1", approved)


# -- corrections after export -------------------------------------------------------------------


@pytest.fixture
def paid(approved, biller):
    """The approved claim exported and paid (835 CLP07 ACME26041600011)."""
    claims_export(by=biller, fmt="x12")
    x12_import(
        data=fill("835_plb_adjustment", {"claim_1": approved.number}),
        filename="paid.835",
        by=biller,
    )
    approved.refresh_from_db()
    assert (approved.status, approved.payer_claim_control_number) == ("paid", "ACME26041600011")
    return approved


def test_a_replacement_is_a_new_claim_exported_with_frequency_7_and_ref_f8(paid, biller):
    new = claim_correct(claim=paid, by=biller, frequency="7", reason="wrong units documented")
    paid.refresh_from_db()
    assert paid.status == "corrected"
    assert (new.status, new.frequency, new.payer_claim_control_number) == (
        "ready",
        "7",
        "ACME26041600011",
    )
    assert new.supersedes == paid
    assert new.change_summary.startswith(
        f"Replacement of claim #{paid.pk} (wrong units documented)"
    )
    event = paid.events.latest("id")
    assert (event.from_status, event.to_status) == ("paid", "corrected")
    claim_approve(claim=new, by=biller)
    export = claims_export(by=biller, fmt="x12")
    text = bytes(export.content).decode()
    assert f"~CLM*{new.number}*175***11:B:7*" in text
    assert "~REF*F8*ACME26041600011~" in text
    assert pyx12_problems(text) == []


@pytest.mark.parametrize("frequency", ["7", "8"])
def test_the_csv_says_a_corrected_claims_frequency_and_the_payers_claim_it_names(
    paid, biller, frequency
):
    new = claim_correct(claim=paid, by=biller, frequency=frequency, reason="units")
    claim_approve(claim=new, by=biller)
    export = claims_export(by=biller, fmt="csv")
    rows = list(csv.DictReader(io.StringIO(bytes(export.content).decode())))
    assert {
        (row["claim_id"], row["claim_frequency"], row["payer_claim_control_number"]) for row in rows
    } == {(new.number, frequency, "ACME26041600011")}


def test_a_cancellation_repeats_the_lines_with_frequency_8(paid, biller):
    new = claim_correct(claim=paid, by=biller, frequency="8", reason="billed in error")
    paid.refresh_from_db()
    assert paid.status == "void"
    assert (new.status, new.frequency) == ("ready", "8")
    assert list(new.lines.values_list("code", "units", "charge")) == list(
        paid.lines.values_list("code", "units", "charge")
    )
    claim_approve(claim=new, by=biller)
    text = bytes(claims_export(by=biller, fmt="x12").content).decode()
    assert ":B:8*" in text
    assert "~REF*F8*ACME26041600011~" in text
    assert pyx12_problems(text) == []


def test_a_correction_needs_the_payers_claim_number(approved, biller):
    claims_export(by=biller, fmt="x12")
    approved.refresh_from_db()
    with pytest.raises(BillingError, match="not known yet") as refused:
        claim_correct(claim=approved, by=biller, frequency="7", reason="units")
    assert refused.value.code == "payer_number"
    assert Claim.objects.get(pk=approved.pk).status == "exported"


def test_a_claim_not_sent_is_not_corrected_and_a_reason_is_required(approved, biller):
    with pytest.raises(BillingError, match="only a claim the payer"):
        claim_correct(claim=approved, by=biller, frequency="7", reason="units")
    with pytest.raises(BillingError, match="Give a reason"):
        claim_correct(claim=approved, by=biller, frequency="7", reason=" ")
    with pytest.raises(BillingError, match="replacement or a cancellation"):
        claim_correct(claim=approved, by=biller, frequency="1", reason="units")


def test_the_biller_corrects_a_denied_claim_from_its_page(client, paid, biller):
    client.force_login(biller)
    response = client.post(
        reverse("billing:claim_correct", args=[paid.pk]),
        {"frequency": "7", "reason": "modifier missing"},
    )
    new = Claim.objects.get(supersedes=paid)
    assert response["Location"] == reverse("billing:claim_detail", args=[new.pk])
    page = client.get(response["Location"]).content.decode()
    assert "Replacement of a prior claim (frequency 7)" in page
    assert "payer claim number ACME26041600011" in page


def test_a_kept_claim_gets_the_new_findings(nurse, nurse2, biller, provider):
    claim = approved_claim(nurse, nurse2, biller, provider, with_em=True)
    second = UserFactory(username="dr.lee", role="Provider", credential="MD")
    # The same E/M by another provider: the lines stay, R26 denies the second one.
    _add_visit(claim, second)
    kept = Claim.objects.get(encounter=claim.encounter, status="approved")
    assert kept.pk == claim.pk
    assert list(kept.lines.values_list("code", "modifiers")) == [
        ("96521", []),
        ("99213", ["25"]),
    ]
    assert list(kept.findings.filter(rule="R26").values_list("severity", "code")) == [
        ("deny", "99213")
    ]
    assert kept.events.latest("id").reason.endswith("New findings: R26 deny 99213.")


def test_the_claim_page_offers_a_replacement_and_a_cancellation(client, paid, biller):
    client.force_login(biller)

    page = client.get(reverse("billing:claim_detail", args=[paid.pk])).content.decode()

    assert '<option value="7">Send a replacement (frequency 7)</option>' in page
    assert '<option value="8">Cancel with the payer (frequency 8)</option>' in page
