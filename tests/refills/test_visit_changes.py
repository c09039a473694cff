"""A provider opens, corrects (with a reason) or withdraws a visit they recorded until its
claim is exported, and sees what the change did to the claim."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from billing import services as billing_services
from billing.models import Claim
from refills import services
from refills.errors import RefillError
from refills.models import ProviderVisit
from tests.factories import (
    PatientFactory,
    UserFactory,
    billing_reference,
    cover,
    live_claim,
    provider_visit,
    signed_refill,
    visit_post,
)


@pytest.fixture
def refill_day(nurse, nurse2, provider):
    """A covered patient's signed refill and the provider's same-day E/M (99213-25)."""
    patient = PatientFactory(last_name="Ortiz", codes=["C18.9"])
    cover(patient, billing_reference())
    encounter = signed_refill(patient, nurse, nurse2, supervising_practitioner=provider)
    visit = provider_visit(
        provider,
        patient,
        encounter.date_of_service,
        note="Nausea since the last cycle, evaluated and treated.",
    )
    return encounter, visit


def billed(claim: Claim) -> list[tuple[str, list[str]]]:
    return [(line.code, line.modifiers) for line in claim.lines.order_by("position")]


def correction(**overrides) -> dict:
    """The correction form's POST: the visit form's fields but the day, and why."""
    fields = visit_post(
        **{
            "em_code": "99214",
            "note": "Nausea and dehydration, evaluated and treated.",
            "reason": "Coded the wrong level.",
            **overrides,
        }
    )
    del fields["date_of_service"]
    return fields


def test_the_provider_opens_their_visit_with_correct_and_withdraw(client, provider, refill_day):
    _, visit = refill_day
    client.force_login(provider)
    response = client.get(reverse("refills:visit_detail", args=[visit.pk]))
    content = response.content.decode()
    assert response.context["can_change"] is True
    assert reverse("refills:visit_correct", args=[visit.pk]) in content
    assert reverse("refills:visit_withdraw", args=[visit.pk]) in content
    assert "Nausea since the last cycle" in content


def test_others_read_the_visit_without_the_buttons(client, nurse, refill_day):
    _, visit = refill_day
    client.force_login(nurse)
    response = client.get(reverse("refills:visit_detail", args=[visit.pk]))
    assert response.status_code == 200
    assert response.context["can_change"] is False
    assert reverse("refills:visit_correct", args=[visit.pk]) not in response.content.decode()


def test_a_correction_redecides_the_claim_and_says_what_it_did(client, provider, refill_day):
    encounter, visit = refill_day
    before = live_claim(encounter)
    assert billed(before) == [("96521", []), ("99213", ["25"])]
    client.force_login(provider)

    response = client.post(
        reverse("refills:visit_correct", args=[visit.pk]), correction(), follow=True
    )

    after = live_claim(encounter)
    assert after.pk != before.pk
    assert billed(after) == [("96521", []), ("99214", ["25"])]
    visit.refresh_from_db()
    assert (visit.em_code, visit.note) == (
        "99214",
        "Nausea and dehydration, evaluated and treated.",
    )
    latest = visit.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (
        provider,
        "corrected: Coded the wrong level.",
    )
    # The test charge master has no 99214: the new claim waits on a hold, and says why.
    assert after.status == Claim.Status.HOLD
    said = [str(m) for m in response.context["messages"]]
    assert said[0] == "Visit corrected."
    assert said[1] == (
        f"Claim #{after.pk} is now hold: 96521, 99214-25, total $175.00 ({after.hold_reason})."
    )
    assert "99214" in after.hold_reason


def test_a_correction_needs_a_reason_and_a_change(client, provider, refill_day):
    _, visit = refill_day
    client.force_login(provider)
    url = reverse("refills:visit_correct", args=[visit.pk])

    no_reason = client.post(url, correction(reason="  "))
    no_change = client.post(
        url,
        correction(em_code="99213", note="Nausea since the last cycle, evaluated and treated."),
    )

    assert no_reason.context["form"].errors["reason"] == ["Say why the visit is corrected."]
    assert no_change.context["form"].non_field_errors() == [
        "Nothing was changed: correct a value, or cancel."
    ]
    assert ProviderVisit.objects.get(pk=visit.pk).em_code == "99213"


def test_withdrawing_a_visit_drops_its_line_and_keeps_its_history(client, provider, refill_day):
    encounter, visit = refill_day
    client.force_login(provider)

    response = client.post(
        reverse("refills:visit_withdraw", args=[visit.pk]),
        {"reason": "Recorded on the wrong patient."},
        follow=True,
    )

    assert not ProviderVisit.objects.filter(pk=visit.pk).exists()
    after = live_claim(encounter)
    assert billed(after) == [("96521", [])]
    gone = ProviderVisit.history.filter(id=visit.pk).latest()
    assert (gone.history_type, gone.history_user, gone.history_change_reason) == (
        "-",
        provider,
        "withdrawn: Recorded on the wrong patient.",
    )
    said = [str(m) for m in response.context["messages"]]
    assert said[0] == "Visit withdrawn."
    assert said[1].startswith(f"Claim #{after.pk} is now ")
    assert said[1].endswith(f": 96521, total ${after.total_charge}.")


def test_another_provider_cannot_change_the_visit(client, refill_day):
    _, visit = refill_day
    other = UserFactory(username="dr.lee", role="Provider", credential="MD")
    client.force_login(other)
    assert client.get(reverse("refills:visit_correct", args=[visit.pk])).status_code == 404
    assert (
        client.post(reverse("refills:visit_withdraw", args=[visit.pk]), {"reason": "x"}).status_code
        == 404
    )
    assert ProviderVisit.objects.filter(pk=visit.pk).exists()
    with pytest.raises(RefillError, match="Only the provider who recorded the visit"):
        services.provider_visit_withdraw(by=other, visit=visit, reason="x")


def test_after_the_claim_is_exported_the_visit_no_longer_changes(
    client, biller, provider, refill_day, practice
):
    encounter, visit = refill_day
    claim = live_claim(encounter)
    billing_services.claim_approve(claim=claim, by=biller)
    billing_services.claims_export(by=biller, fmt="csv")
    claim.refresh_from_db()
    client.force_login(provider)

    page = client.get(reverse("refills:visit_detail", args=[visit.pk]))
    refused = client.post(reverse("refills:visit_correct", args=[visit.pk]), correction())

    exported_on = timezone.localtime(claim.export.created_at).date()
    message = (
        f"Claim #{claim.pk} of that day was exported on {exported_on:%Y-%m-%d}: the visit can "
        "no longer change here. Ask billing for a corrected claim."
    )
    assert page.context["can_change"] is False
    assert page.context["locked"] == message
    assert refused.context["form"].non_field_errors() == [message]
    assert ProviderVisit.objects.get(pk=visit.pk).em_code == "99213"


def test_the_biller_reads_the_visit_note_on_the_claim(client, biller, refill_day):
    encounter, _ = refill_day
    client.force_login(biller)
    content = client.get(
        reverse("billing:claim_detail", args=[live_claim(encounter).pk])
    ).content.decode()
    assert "Nausea since the last cycle, evaluated and treated." in content
    assert "99213 Established, low" in content
