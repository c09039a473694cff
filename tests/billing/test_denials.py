"""The denials queue: each denial with its reasons in the code list's words, the amount, the
age and the engine rule it touches; the biller's next action recorded with a reason."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from billing.denials import denial_rules, rules_for
from billing.inbound import read_code_list
from billing.models import (
    AdjustmentReason,
    Claim,
    ClaimEvent,
    DenialAction,
    Payer,
    RemarkCode,
)
from billing.selectors import denials_queue
from tests.billing.remits import Remits
from tests.factories import billing_reference

# The rule IDs of the catalogue (shared/domain/billing-rules.md).
ENGINE_RULES = {f"R{n:02d}" for n in (1, 2, 3, 4, 5, 6, 7, 10, 11, 12, 13, 14)} | {
    f"R{n}" for n in (*range(20, 26), *range(30, 41), 50, 51, 52)
}


def test_a_modifier_25_denial_touches_r20_and_r25():
    assert [r.rule for r in rules_for("4", "99213", ["25"])] == ["R20", "R25"]
    assert rules_for("4", "96521", []) == []
    # A claim-level adjustment has no line: only rows that name none match.
    assert rules_for("4") == []
    assert [r.rule for r in rules_for("97", "96523", [])] == ["R10"]
    assert [r.rule for r in rules_for("167")] == ["R51"]


def test_every_row_of_the_table_names_a_listed_carc_and_a_rule_of_the_catalogue():
    carcs = {row.carc for row in denial_rules()}

    assert carcs <= read_code_list("carc").keys()
    assert {row.rule for row in denial_rules()} <= ENGINE_RULES
    assert all(row.why for row in denial_rules())


def full_denial(
    remits: Remits,
    payer: Payer,
    line: dict[str, Any],
    *,
    exported: int,
    answered: int,
    carc: str,
    remark: str,
) -> Claim:
    """A claim of one line (its code, modifiers, total and expected allowed) that the payer
    denied in full: exported `exported` days ago and answered `answered` days later, nothing
    paid or allowed, `carc` of group CO on the whole charge, with the remark."""
    claim = remits.claim(
        payer, "denied", exported_on=remits.today - dt.timedelta(days=exported), **line
    )
    remits.pay(
        claim,
        days=answered,
        paid="0.00",
        allowed="0.00",
        code="4",
        adjustments=[("CO", carc, line["total"])],
        remarks=[remark],
    )
    return claim


@pytest.fixture
def denied(nurse):
    aetna = billing_reference(program="commercial", code="AETNA")
    medicare = billing_reference(program="medicare", code="MEDICARE")
    remits = Remits(nurse)
    today = timezone.localdate()
    m25 = full_denial(
        remits,
        aetna,
        {"code": "99213", "modifiers": ["25"], "total": "120.00", "expected": "92.00"},
        exported=40,
        answered=10,
        carc="4",
        remark="N519",
    )
    bundled = full_denial(
        remits,
        medicare,
        {"code": "96523", "total": "45.00", "expected": "20.00"},
        exported=20,
        answered=5,
        carc="97",
        remark="M15",
    )
    paid = remits.claim(aetna, "paid", expected="100.00", exported_on=today - dt.timedelta(days=40))
    remits.pay(paid, days=10, paid="80.00", allowed="100.00")
    return {"m25": m25, "bundled": bundled, "paid": paid, "aetna": aetna, "medicare": medicare}


def test_the_queue_lists_each_denial_with_its_words_amount_age_and_rule(
    biller, denied, django_assert_num_queries
):
    today = timezone.localdate()

    # The biller's permissions (2), then claims, payments, their adjustments, the adjusted
    # lines, remarks, actions, and the CARC and RARC words: the same for any page.
    with django_assert_num_queries(10):
        _, rows = denials_queue(biller)

    assert [row.claim.pk for row in rows] == [denied["m25"].pk, denied["bundled"].pk]
    m25, bundled = rows
    carc4 = AdjustmentReason.objects.get(code="4").description
    assert [(r.group, r.carc, r.words, r.amount, r.procedure) for r in m25.reasons] == [
        ("CO", "4", carc4, Decimal("120.00"), "99213")
    ]
    assert m25.remarks == [("N519", RemarkCode.objects.get(code="N519").description)]
    assert [rule.rule for rule in m25.rules] == ["R20", "R25"]
    assert m25.amount == Decimal("120.00")
    assert m25.denied_on == today - dt.timedelta(days=30)
    assert m25.age_days == 30
    assert [rule.rule for rule in bundled.rules] == ["R10"]
    assert bundled.age_days == 15
    assert bundled.remarks[0][0] == "M15"


def test_the_queue_filters_by_payer(client, biller, denied):
    client.force_login(biller)

    response = client.get(reverse("billing:denials"), {"payer": denied["medicare"].pk})

    assert response.status_code == 200
    assert [row.claim.pk for row in response.context["rows"]] == [denied["bundled"].pk]
    page = response.content.decode()
    assert "CO-97" in page and "R10" in page


def test_the_page_shows_the_rule_beside_the_denial(client, biller, denied):
    client.force_login(biller)

    page = client.get(reverse("billing:denials")).content.decode()

    assert "<strong>CO-4</strong> on 99213 ($120.00)" in page
    assert "<strong>R20</strong>: Modifier 25 says the E/M was separately identifiable" in page
    assert "30 days" in page


@pytest.mark.parametrize(
    ("action", "status", "stays"),
    [
        ("appeal", "appealed", False),
        ("resubmit", "denied", True),
        ("write_off", "denied", False),
        ("bill_patient", "denied", False),
    ],
)
def test_each_next_action_is_recorded_with_its_reason(
    client, biller, denied, action, status, stays
):
    client.force_login(biller)
    claim = denied["m25"]

    response = client.post(
        reverse("billing:denial_act", args=[claim.pk]),
        {"action": action, "reason": "Note shows a separate problem"},
    )

    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == status
    recorded = DenialAction.objects.get(claim=claim)
    assert (recorded.action, recorded.reason, recorded.by) == (
        action,
        "Note shows a separate problem",
        biller,
    )
    event = ClaimEvent.objects.filter(claim=claim).latest("id")
    label = DenialAction.Action(action).label
    assert (event.from_status, event.to_status, event.by, event.reason) == (
        "denied",
        status,
        biller,
        f"{label}: Note shows a separate problem",
    )
    listed = [row.claim.pk for row in client.get(reverse("billing:denials")).context["rows"]]
    assert (claim.pk in listed) is stays


def test_an_action_without_a_reason_is_refused_at_the_field(client, biller, denied):
    client.force_login(biller)
    claim = denied["m25"]

    response = client.post(
        reverse("billing:denial_act", args=[claim.pk]), {"action": "write_off", "reason": " "}
    )

    assert response.status_code == 400
    assert response.context["bound_form"].errors == {"reason": ["Give a reason."]}
    assert f'id="reason-error-{claim.pk}"' in response.content.decode()
    assert not DenialAction.objects.exists()
    assert Claim.objects.get(pk=claim.pk).status == "denied"


def test_an_unknown_action_is_refused(client, biller, denied):
    client.force_login(biller)

    response = client.post(
        reverse("billing:denial_act", args=[denied["m25"].pk]), {"action": "shred", "reason": "x"}
    )

    assert response.status_code == 400
    assert response.context["bound_form"].errors == {"action": ["Choose an action from the list."]}
    assert not DenialAction.objects.exists()


def test_a_claim_that_is_not_denied_has_no_denial_to_work(client, biller, denied):
    client.force_login(biller)

    response = client.post(
        reverse("billing:denial_act", args=[denied["paid"].pk]),
        {"action": "write_off", "reason": "Too small"},
        follow=True,
    )

    assert "is paid, not denied" in response.content.decode()
    assert not DenialAction.objects.exists()
    assert Claim.objects.get(pk=denied["paid"].pk).status == "paid"


def test_a_closed_denial_cannot_be_closed_again(client, biller, denied):
    client.force_login(biller)
    url = reverse("billing:denial_act", args=[denied["m25"].pk])
    client.post(url, {"action": "write_off", "reason": "Under the threshold"})

    response = client.post(url, {"action": "bill_patient", "reason": "Changed mind"}, follow=True)

    assert "already closed" in response.content.decode()
    assert list(DenialAction.objects.values_list("action", flat=True)) == ["write_off"]


@pytest.mark.parametrize("persona", ["nurse", "provider"])
def test_clinical_roles_neither_see_nor_work_denials(db, client, request, persona, denied):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(reverse("billing:denials")).status_code == 403
    response = client.post(
        reverse("billing:denial_act", args=[denied["m25"].pk]),
        {"action": "write_off", "reason": "x"},
    )
    assert response.status_code == 403
    assert not DenialAction.objects.exists()


def test_an_unknown_claim_is_404(client, biller, db):
    client.force_login(biller)
    response = client.post(
        reverse("billing:denial_act", args=[999_999]), {"action": "appeal", "reason": "x"}
    )
    assert response.status_code == 404


def test_a_get_never_records_an_action(client, biller, denied):
    client.force_login(biller)
    assert client.get(reverse("billing:denial_act", args=[denied["m25"].pk])).status_code == 405
