"""The claim's audit trail: decisions, status changes, export and payer changes."""

from __future__ import annotations

import pytest
from django.urls import reverse

from billing import services
from billing.models import Claim, ClaimExport, Payer
from refills.selectors import AuditChange
from tests.factories import approved_claim

LONG_REASON = "Payer asked for the signed order and the pump log before paying; " * 4


def test_claim_audit_shows_each_status_change_with_who_and_why(
    client, nurse, nurse2, biller, provider, admin_user
):
    claim = approved_claim(nurse, nurse2, biller, provider)
    services.claim_hold(claim=claim, by=biller, reason=LONG_REASON)
    client.force_login(admin_user)

    response = client.get(reverse("billing:claim_audit", args=[claim.pk]))

    assert response.status_code == 200
    entries = response.context["entries"]
    events = [(e.action, e.who, e.why) for e in entries if "→" in e.action]
    assert events == [
        ("new → ready", "Maria Alvarez", "Decided (signed)."),
        ("ready → approved", "Test " + biller.last_name, "Approved for export."),
        ("approved → hold", "Test " + biller.last_name, LONG_REASON.strip()),
    ]
    approval = next(e for e in entries if e.action == "changed" and e.why == "Approved for export.")
    assert approval.who == "Test " + biller.last_name
    assert approval.changes == (AuditChange("status", "Ready", "Approved"),)
    assert claim.history.latest().history_change_reason == LONG_REASON.strip()


def test_payer_change_in_the_admin_reaches_the_claim_audit(
    client, nurse, nurse2, biller, provider, admin_user
):
    claim = approved_claim(nurse, nurse2, biller, provider)
    payer = claim.payer
    client.force_login(admin_user)
    change = client.get(reverse("admin:billing_payer_change", args=[payer.pk]))
    form = change.context["adminform"].form
    data = {n: form[n].value() for n in form.fields if form[n].value() not in (None, False)}

    client.post(
        reverse("admin:billing_payer_change", args=[payer.pk]),
        {**data, "allows_99211_with_drug_admin": "on"},
    )

    assert Payer.objects.get(pk=payer.pk).allows_99211_with_drug_admin is True
    entries = client.get(reverse("billing:claim_audit", args=[claim.pk])).context["entries"]
    payer_change = next(e for e in entries if e.subject == "Payer AETNA" and e.action == "changed")
    assert payer_change.who == "Test " + admin_user.last_name
    assert payer_change.why == "admin change: allows 99211 with drug administration"
    assert payer_change.changes == (
        AuditChange("allows 99211 with drug administration", "no", "yes"),
    )


@pytest.mark.usefixtures("practice")
def test_export_is_in_the_audit_and_its_record_is_never_rewritten(
    client, nurse, nurse2, biller, provider, admin_user
):
    claim = approved_claim(nurse, nurse2, biller, provider)
    export = services.claims_export(by=biller, fmt="csv")
    client.force_login(admin_user)

    entries = client.get(reverse("billing:claim_audit", args=[claim.pk])).context["entries"]

    exported = entries[[e.action for e in entries].index("approved → exported")]
    assert exported.why.startswith(f"Exported in {export.filename}")
    export.filename = "renamed.csv"
    with pytest.raises(ValueError, match="cannot be changed"):
        export.save()
    with pytest.raises(ValueError, match="is kept"):
        export.delete()
    assert ClaimExport.objects.get().filename != "renamed.csv"
    assert Claim.objects.get(pk=claim.pk).export_id == export.pk


def test_claim_audit_link_is_for_admins(client, nurse, nurse2, biller, provider, admin_user):
    claim = approved_claim(nurse, nurse2, biller, provider)
    url = reverse("billing:claim_audit", args=[claim.pk])
    client.force_login(biller)
    assert url not in client.get(reverse("billing:claim_detail", args=[claim.pk])).content.decode()
    assert client.get(url).status_code == 403
    client.force_login(admin_user)
    assert url in client.get(reverse("billing:claim_detail", args=[claim.pk])).content.decode()
