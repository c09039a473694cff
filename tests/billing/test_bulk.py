"""Working the queue in bulk: approve or hold a selection, export a selection in either
format, and re-decide a claim whose hold asks for it."""

from __future__ import annotations

import csv
import io
from html.parser import HTMLParser

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from billing import services
from billing.models import Claim, ClaimEvent, ClaimExport, ClaimLine
from tests.factories import (
    PatientFactory,
    billing_reference,
    cover,
    live_claim,
    signed_refill,
)
from tests.x12check import pyx12_problems


def decided_claim(nurse, nurse2, provider, last_name: str, *, covered: bool = True) -> Claim:
    """A signed Aetna refill and the claim the engine decided for it."""
    patient = PatientFactory(last_name=last_name, codes=["C18.9"])
    if covered:
        cover(patient, billing_reference(program="commercial", code="AETNA"))
    return live_claim(signed_refill(patient, nurse, nurse2, supervising_practitioner=provider))


@pytest.fixture
def ready(nurse, nurse2, provider):
    """Four ready claims."""
    provider.clinician.npi = "1234567893"
    provider.clinician.save()
    claims = [
        decided_claim(nurse, nurse2, provider, name) for name in ("Ames", "Bell", "Cole", "Dunn")
    ]
    assert [c.status for c in claims] == ["ready"] * 4
    return claims


def said(response) -> list[tuple[str, str]]:
    return [(m.level_tag, m.message) for m in get_messages(response.wsgi_request)]


def status_of(*claims: Claim) -> list[str]:
    return [Claim.objects.get(pk=c.pk).status for c in claims]


@pytest.fixture
def as_biller(client, biller):
    client.force_login(biller)
    return client


def test_approving_a_selection_approves_the_ready_and_names_the_others(as_biller, biller, ready):
    first, second, held, no_charge = ready
    services.claim_hold(claim=held, by=biller, reason="Checking the order")
    ClaimLine.objects.filter(claim=no_charge, code="96521").update(charge=None)

    response = as_biller.post(
        reverse("billing:claims_bulk") + "?status=ready&sort=patient&rogue=Ames",
        {"action": "approve", "claims": [str(c.pk) for c in ready]},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("billing:queue") + "?status=ready&sort=patient"
    # As one approval does, a claim the 837P writer refuses is held with the reason.
    unwritable = (
        "Line 1 (96521) has no charge, and it cannot go on an 837P: add the code's charge to "
        "the charge master, then re-decide the claim."
    )
    assert status_of(*ready) == ["approved", "approved", "hold", "hold"]
    assert said(response) == [
        ("success", "Approved: 2 claims."),
        (
            "error",
            f"Not approved: {held.number}: it is hold, so it cannot be approved; "
            f"{no_charge.number}: held: {unwritable}.",
        ),
    ]
    for claim in (first, second):
        events = ClaimEvent.objects.filter(claim=claim).exclude(from_status="")
        assert [(e.from_status, e.to_status, e.by, e.reason) for e in events] == [
            ("ready", "approved", biller, "Approved for export.")
        ]
        latest = Claim.history.filter(id=claim.pk).latest("history_id")
        assert (latest.status, latest.history_user, latest.history_change_reason) == (
            "approved",
            biller,
            "Approved for export.",
        )
    no_charge.refresh_from_db()
    assert (no_charge.hold_reason, no_charge.asks_for_redecision) == (unwritable, True)
    events = ClaimEvent.objects.filter(claim=no_charge).exclude(from_status="")
    assert [(e.from_status, e.to_status, e.by) for e in events] == [("ready", "hold", biller)]
    assert ClaimEvent.objects.filter(claim=held).exclude(from_status="").count() == 1


def test_holding_a_selection_gives_every_claim_the_one_reason(as_biller, biller, ready):
    first, second, approved, exported_later = ready
    services.claim_approve(claim=approved, by=biller)

    response = as_biller.post(
        reverse("billing:claims_bulk"),
        {
            "action": "hold",
            "reason": "  Waiting for the new authorization  ",
            "claims": [str(first.pk), str(second.pk), str(approved.pk), "999999"],
        },
    )

    assert said(response) == [
        ("success", "Put on hold: 3 claims."),
        ("error", "Not held: C00999999: no such claim."),
    ]
    for claim, before in ((first, "ready"), (second, "ready"), (approved, "approved")):
        claim.refresh_from_db()
        assert (claim.status, claim.hold_reason) == ("hold", "Waiting for the new authorization")
        event = ClaimEvent.objects.filter(claim=claim).latest("id")
        assert (event.from_status, event.to_status, event.by, event.reason) == (
            before,
            "hold",
            biller,
            "Waiting for the new authorization",
        )
    assert status_of(exported_later) == ["ready"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "hold", "reason": "   "}, "Give a reason."),
        ({"action": "hold"}, "Give a reason."),
        ({"action": "approve", "claims": []}, "Select at least one claim."),
        ({"action": "void"}, "Choose approve or hold."),
        ({"action": "approve", "claims": ["1x"]}, "The selection is not a list of claims."),
        ({"action": "approve", "claims": ["٣"]}, "The selection is not a list of claims."),
        ({"action": "approve", "claims": [str(2**31)]}, "The selection is not a list of claims."),
    ],
)
def test_a_refused_bulk_request_changes_nothing_and_says_why(as_biller, ready, data, message):
    data = {"claims": [str(c.pk) for c in ready], **data}
    before = ClaimEvent.objects.count()

    response = as_biller.post(reverse("billing:claims_bulk"), data)

    assert response.status_code == 302
    assert said(response) == [("error", message)]
    assert status_of(*ready) == ["ready"] * 4
    assert ClaimEvent.objects.count() == before


def test_at_most_100_claims_at_once(as_biller, ready):
    ids = [str(n) for n in range(1, 102)]

    response = as_biller.post(reverse("billing:claims_bulk"), {"action": "approve", "claims": ids})

    assert said(response) == [("error", "Select at most 100 claims at once.")]


def test_one_transaction_a_failure_half_way_leaves_every_claim_as_it_was(
    as_biller, ready, monkeypatch
):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ClaimEvent.objects, "bulk_create", broken)
    before = Claim.history.count()

    with pytest.raises(RuntimeError):
        services.claims_approve_many(claim_ids=[c.pk for c in ready], by=None)

    assert status_of(*ready) == ["ready"] * 4
    assert Claim.history.count() == before


@pytest.mark.parametrize("persona", ["nurse", "provider"])
@pytest.mark.parametrize("url", ["billing:claims_bulk", "billing:export_selected"])
def test_clinical_roles_cannot_work_the_queue(client, request, ready, persona, url):
    client.force_login(request.getfixturevalue(persona))

    response = client.post(
        reverse(url), {"action": "approve", "format": "csv", "claims": [str(ready[0].pk)]}
    )

    assert response.status_code == 403
    assert status_of(ready[0]) == ["ready"]


@pytest.mark.parametrize(
    "url", ["billing:claims_bulk", "billing:export_selected", "billing:claim_redecide"]
)
def test_bulk_writes_are_post_only_and_need_the_csrf_token(biller, ready, url):
    client = Client(enforce_csrf_checks=True)
    client.force_login(biller)
    args = [ready[0].pk] if url == "billing:claim_redecide" else []

    assert client.get(reverse(url, args=args)).status_code == 405
    response = client.post(
        reverse(url, args=args), {"action": "approve", "claims": [str(ready[0].pk)]}
    )

    assert response.status_code == 403
    assert status_of(ready[0]) == ["ready"]


@pytest.mark.parametrize(("first", "other"), [("x12", "csv"), ("csv", "x12")])
def test_exporting_a_selection_writes_both_formats_of_the_approved_ones(
    as_biller, biller, practice, ready, first, other
):
    one, two, not_approved, not_selected = ready
    for claim in (one, two, not_selected):
        services.claim_approve(claim=claim, by=biller)

    response = as_biller.post(
        reverse("billing:export_selected") + "?status=approved",
        {"format": first, "claims": [str(one.pk), str(two.pk), str(not_approved.pk)]},
    )

    assert response.status_code == 200
    export = ClaimExport.objects.get()
    assert response["Content-Disposition"] == f'attachment; filename="{export.filename}"'
    assert export.filename.endswith(f"-1.{first}")
    assert (export.format, export.formats, export.claim_count) == (first, [first, other], 2)
    assert status_of(*ready) == ["exported", "exported", "ready", "approved"]
    assert said(response) == [
        (
            "success",
            f"Exported 2 claims in {export.filename}; both formats stay under Exports.",
        ),
        ("error", f"Not exported: {not_approved.number}: it is ready, not approved."),
    ]
    files = {}
    for fmt in (first, other):
        download = as_biller.get(
            reverse("billing:export_download", args=[export.pk]), {"format": fmt}
        )
        assert download.status_code == 200
        assert download["Content-Disposition"].endswith(f'.{fmt}"')
        files[fmt] = download.content.decode()
    assert files[first] == response.content.decode()
    assert pyx12_problems(files["x12"]) == []
    x12_claims = [s.split("*")[1] for s in files["x12"].split("~") if s.startswith("CLM*")]
    csv_claims = sorted({row["claim_id"] for row in csv.DictReader(io.StringIO(files["csv"]))})
    assert x12_claims == csv_claims == [one.number, two.number]
    listing = as_biller.get(reverse("billing:export_list")).content.decode()
    for fmt in ("x12", "csv"):
        assert f'href="{reverse("billing:export_download", args=[export.pk])}?format={fmt}"' in (
            listing
        )


def test_an_old_export_in_one_format_offers_only_that_one(as_biller, biller, practice, ready):
    services.claim_approve(claim=ready[0], by=biller)
    export = services.claims_export(by=biller, fmt="csv")
    ClaimExport.objects.filter(pk=export.pk).update(other_sha256="", other_content=b"")
    url = reverse("billing:export_download", args=[export.pk])

    assert as_biller.get(url, {"format": "csv"}).status_code == 200
    assert as_biller.get(url, {"format": "x12"}).status_code == 404
    assert as_biller.get(url, {"format": "pdf"}).status_code == 404


def test_exporting_a_selection_with_nothing_approved_exports_nothing(as_biller, practice, ready):
    response = as_biller.post(
        reverse("billing:export_selected"), {"format": "x12", "claims": [str(ready[0].pk)]}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("billing:queue")
    assert said(response) == [
        ("error", f"Nothing exported: {ready[0].number}: it is ready, not approved.")
    ]
    assert not ClaimExport.objects.exists()


def test_exporting_everything_still_exports_every_approved_claim(
    as_biller, biller, practice, ready
):
    for claim in ready[:3]:
        services.claim_approve(claim=claim, by=biller)

    response = as_biller.post(reverse("billing:export_create"), {"format": "csv"})

    export = ClaimExport.objects.get()
    assert (response.status_code, export.claim_count, export.formats) == (200, 3, ["csv", "x12"])
    assert status_of(*ready) == ["exported"] * 3 + ["ready"]


def test_a_hold_that_asks_for_a_redecision_has_the_button_and_it_works(
    as_biller, biller, nurse, nurse2, provider
):
    provider.clinician.npi = "1234567893"
    provider.clinician.save()
    held = decided_claim(nurse, nurse2, provider, "Ford", covered=False)
    assert held.status == "hold"
    assert held.asks_for_redecision
    redecide = reverse("billing:claim_redecide", args=[held.pk])
    for page in (
        as_biller.get(reverse("billing:queue")),
        as_biller.get(reverse("billing:claim_detail", args=[held.pk])),
    ):
        assert f'action="{redecide}"' in page.content.decode() or (
            f'formaction="{redecide}"' in page.content.decode()
        )
    cover(held.patient, billing_reference(program="commercial", code="AETNA"))

    response = as_biller.post(redecide)

    held.refresh_from_db()
    live = Claim.objects.exclude(status="void").get(encounter=held.encounter)
    assert (held.status, live.status, live.supersedes_id) == ("void", "ready", held.pk)
    assert response["Location"] == reverse("billing:claim_detail", args=[live.pk])
    assert said(response) == [
        ("success", f"Re-decided: {live.number} replaces {held.number} and is ready.")
    ]
    event = ClaimEvent.objects.filter(claim=live).get()
    assert (event.by, event.reason) == (biller, "Decided (re-decided by the biller).")
    page = as_biller.get(reverse("billing:claim_detail", args=[live.pk])).content.decode()
    # The hold's button is gone; the page's own re-decide (with a reason) stays.
    assert 'btn-sm btn-primary" type="submit">Re-decide</button>' not in page
    assert page.count("Re-decide</button>") == 1


class Forms(HTMLParser):
    """Each form of a page by id (or its place), with its action and the names of the fields
    it sends: its own and those that name it in a ``form`` attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: dict[str, dict] = {}
        self.buttons: list[tuple[str, str]] = []  # (owner form, aria-label or text)
        self._open: str | None = None

    def handle_starttag(self, tag, attrs):
        attr = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._open = attr.get("id") or f"form{len(self.forms)}"
            self._form(self._open)["action"] = attr.get("action", "")
        elif tag in {"input", "button", "select", "textarea"}:
            owner = attr.get("form") or self._open or ""
            if attr.get("name"):
                self._form(owner)["fields"].add(attr["name"])
            if tag == "button":
                self.buttons.append((owner, attr.get("aria-label", "")))

    def handle_endtag(self, tag):
        if tag == "form":
            self._open = None

    def _form(self, name: str) -> dict:
        # A field may name a form that comes later in the page.
        return self.forms.setdefault(name, {"action": "", "fields": set()})


def test_the_queues_redecide_sends_only_what_re_deciding_needs(as_biller, nurse, nurse2, provider):
    provider.clinician.npi = "1234567893"
    provider.clinician.save()
    held = decided_claim(nurse, nurse2, provider, "Hale", covered=False)
    assert held.asks_for_redecision

    page = Forms()
    page.feed(as_biller.get(reverse("billing:queue")).content.decode())

    owner = next(form for form, label in page.buttons if label == f"Re-decide {held.number}")
    assert page.forms[owner]["action"] == reverse("billing:claim_redecide", args=[held.pk])
    # Not the selection form's hold reason or ticked claims: a typed hold reason would be
    # recorded as the reason for re-deciding.
    assert page.forms[owner]["fields"] == {"csrfmiddlewaretoken"}
    assert "reason" in page.forms["bulk"]["fields"]


def test_a_refusal_that_asks_for_a_redecision_has_the_button(as_biller, nurse, nurse2, provider):
    provider.clinician.npi = "1234567893"
    provider.clinician.save()
    held = decided_claim(nurse, nurse2, provider, "Gray", covered=False)

    response = as_biller.post(
        reverse("billing:claim_release", args=[held.pk]), {"reason": "Coverage found"}, follow=True
    )

    html = response.content.decode()
    assert "This claim has no payer: add the coverage and re-decide instead." in html
    alert = html[html.index("This claim has no payer") :]
    alert = alert[: alert.index("</div>")]
    assert f'action="{reverse("billing:claim_redecide", args=[held.pk])}"' in alert


def test_an_exported_or_void_claim_is_not_redecided(as_biller, biller, practice, ready):
    exported = services.claim_approve(claim=ready[0], by=biller)
    services.claims_export(by=biller, fmt="x12")

    response = as_biller.post(reverse("billing:claim_redecide", args=[exported.pk]))

    assert said(response) == [
        (
            "error",
            "This claim was exported and stays as sent: a change needs a corrected claim.",
        )
    ]
    assert Claim.objects.filter(encounter=exported.encounter).count() == 1
