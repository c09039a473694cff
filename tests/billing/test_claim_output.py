"""The 837P, the CSV and the CMS-1500 page from `refill-decision/2` claims: who rendered
each line, the drug lines, SBR01/03/09, and claims that cannot be written."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from billing import claim_lines, exporting, services
from billing.engine import decide, parse_facts
from billing.models import Claim, ClaimExport, ClaimLine, Coverage, Payer
from tests.billing.test_engine_v2 import build, em
from tests.factories import (
    PAY_TO,
    PatientFactory,
    UserFactory,
    billing_reference,
    claim_row,
    cover,
    live_claim,
    signed_refill,
)
from tests.x12check import pyx12_problems

NOW = dt.datetime(2026, 3, 5, 3, 30, tzinfo=dt.UTC)  # 22:30 on 4 March in New York
OKAFOR, PATEL, RUIZ = "1234567893", "1245319599", "1555555550"


@pytest.fixture
def practitioners(db):
    people = {}
    for username, first, last, credential, npi, taxonomy in (
        ("dr.okafor", "Ada", "Okafor", "MD", OKAFOR, "207RX0202X"),
        ("np.patel", "Priya", "Patel", "NP", PATEL, "363L00000X"),
        ("pa.ruiz", "Luis", "Ruiz", "PA", RUIZ, "363A00000X"),
    ):
        user = UserFactory(
            username=username, first_name=first, last_name=last, credential=credential
        )
        user.clinician.npi = npi
        user.clinician.taxonomy = taxonomy
        user.clinician.save()
        people[username] = user
    return people


def payer_for(indicator: str = "MB", code: str | None = None) -> Payer:
    return Payer.objects.create(
        code=code or f"P{indicator}",
        name=f"Plan {indicator}",
        program="medicare" if indicator == "MB" else "commercial",
        x12_payer_id=f"PAY{indicator}",
        claim_filing_indicator=indicator,
    )


def decided_claim(
    changes: dict[str, Any] | None = None,
    *,
    payer: Payer | None = None,
    patient=None,
    member_id: str = "1EG4TE5MK73",
    group_number: str = "",
    priority: int = 1,
) -> Claim:
    """A ready claim whose lines are a `refill-decision/2` of `build(changes)`, stored the
    way deciding stores them."""
    facts = build(changes)
    decision = decide(parse_facts(facts))
    assert decision.status == "billable", decision.findings
    payer = payer or Payer.objects.filter(code="PMB").first() or payer_for("MB")
    patient = patient or PatientFactory(
        last_name="Smith", first_name="Jane", codes=list(facts["diagnoses"])
    )
    coverage = Coverage.objects.create(
        patient=patient,
        payer=payer,
        member_id=member_id,
        group_number=group_number,
        priority=priority,
        effective_from=dt.date(2020, 1, 1),
    )
    claim = claim_row(
        patient=patient,
        payer=payer,
        coverage=coverage,
        date_of_service=dt.date.fromisoformat(facts["date_of_service"]),
        status=Claim.Status.READY,
        diagnoses=list(decision.diagnoses),
        total_charge=sum(line.charge for line in decision.lines),
    )
    keys = claim_lines.rendering_keys(
        decision.lines, version=2, supervising=decision.supervising, visits=[]
    )
    people = claim_lines.practitioners(keys)
    for position, (line, key) in enumerate(zip(decision.lines, keys, strict=True), start=1):
        ClaimLine.objects.create(
            claim=claim,
            position=position,
            **claim_lines.line_values(line, people.get(key), allowed={}),
        )
    return claim


def export_837p(practice, *claims: Claim) -> tuple[str, list[exporting.Unwritable]]:
    out = io.StringIO()
    left_out: list[exporting.Unwritable] = []
    exporting.write_x12(
        practice,
        exporting.claims_for_export([c.pk for c in claims]),
        out,
        control_number=1,
        now=NOW,
        left_out=left_out,
    )
    return out.getvalue(), left_out


def segments(text: str) -> list[list[str]]:
    return [segment.split("*") for segment in text.rstrip("~").split("~")]


def service_lines(text: str) -> list[list[list[str]]]:
    """The segments of each 2400 loop, from its SV1 up to the next LX, HL or SE."""
    loops: list[list[list[str]]] = []
    current: list[list[str]] | None = None
    for segment in segments(text):
        if segment[0] == "LX":
            current = []
            loops.append(current)
        elif segment[0] in ("HL", "SE"):
            current = None
        elif current is not None:
            current.append(segment)
    return loops


def rendering_of_claim(text: str) -> list[str] | None:
    """2310B: the NM1*82 between CLM and the first LX."""
    inside = False
    for segment in segments(text):
        if segment[0] == "CLM":
            inside = True
        elif segment[0] == "LX":
            return None
        elif inside and segment[:2] == ["NM1", "82"]:
            return segment
    return None


NP_VISIT = {"same_day_services": [em("99214", by="np.patel", role="nurse_practitioner")]}


def test_np_visit_beside_a_supervised_refill(practice, practitioners):
    claim = decided_claim(NP_VISIT)

    text, left_out = export_837p(practice, claim)

    assert left_out == []
    assert pyx12_problems(text) == []
    found = segments(text)
    assert rendering_of_claim(text) == ["NM1", "82", "1", "OKAFOR", "ADA", "", "", "", "XX", OKAFOR]
    assert ["PRV", "PE", "PXC", "207RX0202X"] in found
    assert not any(s[:2] == ["NM1", "DQ"] for s in found)  # no 2310D: R41 bills incident-to
    refill, drug, visit = service_lines(text)
    assert refill[0][1] == "HC:96521"
    assert not any(s[:2] == ["NM1", "82"] for s in refill + drug)
    assert drug[0][1:5] == ["HC:J9190:JZ", "62", "UN", "5"]
    assert ["LIN", "", "N4", "63323011710"] in drug
    assert ["CTP", "", "", "", "48", "ML"] in drug
    assert visit[0][1] == "HC:99214:25"
    assert visit[-2:] == [
        ["NM1", "82", "1", "PATEL", "PRIYA", "", "", "", "XX", PATEL],
        ["PRV", "PE", "PXC", "363L00000X"],
    ]


def test_pa_visit_names_the_pa_on_its_line(practice, practitioners):
    claim = decided_claim(
        {"same_day_services": [em("99213", by="pa.ruiz", role="physician_assistant")]}
    )

    text, left_out = export_837p(practice, claim)

    assert (left_out, pyx12_problems(text)) == ([], [])
    visit = service_lines(text)[-1]
    assert visit[-2:] == [
        ["NM1", "82", "1", "RUIZ", "LUIS", "", "", "", "XX", RUIZ],
        ["PRV", "PE", "PXC", "363A00000X"],
    ]


def test_a_physicians_own_visit_needs_no_line_level_rendering(practice, practitioners):
    claim = decided_claim({"same_day_services": [em("99213", by="dr.okafor")]})

    text, _ = export_837p(practice, claim)

    assert pyx12_problems(text) == []
    assert sum(s[:2] == ["NM1", "82"] for s in segments(text)) == 1  # 2310B only


def test_a_drug_line_and_its_jw_line(practice, practitioners):
    claim = decided_claim({"drug.discarded_mg": 600})

    text, left_out = export_837p(practice, claim)

    assert (left_out, pyx12_problems(text)) == ([], [])
    _refill, drug, discarded = service_lines(text)
    assert drug[0][1:5] == ["HC:J9190", "62", "UN", "5"]
    assert ["CTP", "", "", "", "48", "ML"] in drug
    assert discarded[0][1:5] == ["HC:J9190:JW", "12.4", "UN", "1"]
    assert ["LIN", "", "N4", "63323011710"] in discarded
    assert ["CTP", "", "", "", "12", "ML"] in discarded  # 48 ml x 600 / 2400
    assert list(
        ClaimLine.objects.filter(claim=claim).values_list("code", "modifiers", "ndc_quantity")
    ) == [
        ("96521", [], None),
        ("J9190", [], Decimal("48.000")),
        ("J9190", ["JW"], Decimal("12.000")),
    ]


def test_every_claim_filing_indicator_goes_in_sbr09(practice, practitioners):
    indicators = [code for code in Payer.ClaimFiling.values if code != "MA"]
    claims = []
    for indicator in indicators:
        payer = payer_for(indicator)
        member = "1EG4TE5MK73" if indicator == "MB" else f"W{indicator}0001"
        claims.append(decided_claim(payer=payer, member_id=member, group_number="G42"))

    text, left_out = export_837p(practice, *claims)

    assert (left_out, pyx12_problems(text)) == ([], [])
    sbr = [s for s in segments(text) if s[0] == "SBR"]
    assert [s[9] for s in sbr] == indicators
    assert {(s[1], s[3]) for s in sbr} == {("P", "G42")}


def test_the_envelope_dates_and_times_are_the_clinics(practice, practitioners):
    text, _ = export_837p(practice, decided_claim())

    isa, gs, _st, bht = segments(text)[:4]
    assert (isa[9], isa[10]) == ("260304", "2230")
    assert (gs[4], gs[5]) == ("20260304", "2230")
    assert (bht[4], bht[5]) == ("20260304", "2230")


def test_the_billing_provider_per_is_left_out_when_it_repeats_the_submitters(
    practice, practitioners
):
    text, _ = export_837p(practice, decided_claim())

    assert [s[:2] for s in segments(text) if s[0] == "PER"] == [["PER", "IC"]]


def test_a_pay_to_address_goes_in_2010ab(practice, practitioners):
    for field, value in PAY_TO.items():
        setattr(practice, field, value)
    practice.full_clean()
    practice.save()

    text, _ = export_837p(practice, decided_claim())

    assert pyx12_problems(text) == []
    found = segments(text)
    start = found.index(["NM1", "87", "2"])
    assert found[start + 1 : start + 3] == [
        ["N3", "PO BOX 12"],
        ["N4", "SPRINGFIELD", "IL", "62705"],
    ]


@pytest.mark.parametrize(
    ("last", "first", "written"),
    [
        ("Østergaard", "Łucja", ["OSTERGAARD", "LUCJA"]),
        ("王", "秀英", ["WANG", "XIUYING"]),
        ("Müller-Lüdenscheidt", "Zoë", ["MULLER-LUDENSCHEIDT", "ZOE"]),
    ],
)
def test_names_are_transliterated_never_blanked(practice, practitioners, last, first, written):
    patient = PatientFactory(last_name=last, first_name=first)

    text, left_out = export_837p(practice, decided_claim(patient=patient))

    assert (left_out, pyx12_problems(text)) == ([], [])
    subscriber = next(s for s in segments(text) if s[:2] == ["NM1", "IL"])
    assert subscriber[3:5] == written


def test_the_csv_names_the_payer_id_filing_indicator_and_rendering_npi_per_line(
    practice, practitioners
):
    claim = decided_claim(NP_VISIT)
    out = io.StringIO()

    exporting.write_csv(exporting.claims_for_export([claim.pk]), out)

    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [
        (r["code"], r["payer_id"], r["claim_filing_indicator"], r["rendering_npi"], r["ndc"])
        for r in rows
    ] == [
        ("96521", "PAYMB", "MB", OKAFOR, ""),
        ("J9190", "PAYMB", "MB", OKAFOR, "63323011710"),
        ("99214", "PAYMB", "MB", PATEL, ""),
    ]
    assert (rows[1]["ndc_quantity"], rows[1]["ndc_unit"]) == ("48", "ML")


def test_the_cms1500_page_names_the_npi_the_837p_names_on_every_line(
    client, practice, practitioners, biller
):
    claim = decided_claim(NP_VISIT)
    text, _ = export_837p(practice, claim)
    billed_under = rendering_of_claim(text)[9]
    from_837p = [
        next((s[9] for s in loop if s[:2] == ["NM1", "82"]), billed_under)
        for loop in service_lines(text)
    ]
    client.force_login(biller)

    response = client.get(reverse("billing:claim_1500", args=[claim.pk]))

    assert [line.rendering_npi for line in response.context["form"].lines] == from_837p
    assert from_837p == [OKAFOR, OKAFOR, PATEL]
    page = response.content.decode()
    assert page.count('data-box="24J"') == 3
    assert "data-print" in page
    assert response.context["form"].diagnoses == (("A", "Z5111"), ("B", "C189"))
    assert "N463323011710 ML48" in page


# Deciding, approving and exporting: no claim blocks the others -----------------------------


def approved(claim: Claim) -> Claim:
    Claim.objects.filter(pk=claim.pk).update(status=Claim.Status.APPROVED)
    claim.refresh_from_db()
    return claim


def test_an_export_of_50_writes_the_49_it_can_and_holds_and_names_the_one_it_cannot(
    client, practice, practitioners, biller
):
    claims = [approved(decided_claim()) for _ in range(50)]
    bad = claims[17]
    Coverage.objects.filter(pk=bad.coverage_id).update(member_id="1EG4*TE5MK73")
    client.force_login(biller)

    response = client.post(reverse("billing:export_create"), {"format": "x12"})

    export = ClaimExport.objects.get()
    text = bytes(export.content).decode()
    assert response.status_code == 200
    assert pyx12_problems(text) == []
    assert export.claim_count == 49
    assert text.count("~CLM*") == 49
    assert f"CLM*{exporting.claim_number(bad.pk)}*" not in text
    reason = (
        "The member ID cannot go on an 837P: correct it on the patient's coverage, then "
        "re-decide the claim."
    )
    assert export.left_out == [{"claim": exporting.claim_number(bad.pk), "reason": reason}]
    bad.refresh_from_db()
    assert (bad.status, bad.hold_reason, bad.export_id) == ("hold", reason, None)
    assert list(bad.findings.filter(rule="X12").values_list("severity", "message")) == [
        ("hold", reason)
    ]
    assert bad.events.last().from_status == "approved"
    assert Claim.objects.filter(status="exported", export=export).count() == 49
    sent = [str(m) for m in get_messages(response.wsgi_request)]
    left_out = f"Left out of the file and held (1): {exporting.claim_number(bad.pk)}: {reason}"
    assert left_out in sent
    assert len(sent) == 2 and any(m.startswith("Exported 49 claims") for m in sent), sent
    assert not any("SMITH" in m.upper() or "1EG4" in m for m in sent)


STATE_REASON = (
    "The patient's state cannot go on an 837P: use a USPS state code; correct it on the "
    "patient's page, then re-decide the claim."
)
MEMBER_REASON = (
    "The member ID cannot go on an 837P: correct it on the patient's coverage, then "
    "re-decide the claim."
)


@pytest.mark.parametrize(
    ("change", "written", "reason"),
    [
        ({"member_id": "1eg4te5mk73"}, ["SMITH", "JANE", "1EG4TE5MK73"], None),
        ({"last_name": "王", "first_name": "秀英"}, ["WANG", "XIUYING", "1EG4TE5MK73"], None),
        ({"state": "ZZ"}, None, STATE_REASON),
        ({"member_id": "W12*345"}, None, MEMBER_REASON),
    ],
)
def test_what_used_to_stop_every_export_now_stops_at_most_its_own_claim(
    practice, practitioners, biller, change, written, reason
):
    good = approved(decided_claim())
    odd = approved(decided_claim())
    member = change.pop("member_id", None)
    if member:
        Coverage.objects.filter(pk=odd.coverage_id).update(member_id=member)
    if change:
        type(odd.patient).objects.filter(pk=odd.patient_id).update(**change)
    left_out: list[exporting.Unwritable] = []

    export = services.claims_export(by=biller, fmt="x12", left_out=left_out)

    text = bytes(export.content).decode()
    assert pyx12_problems(text) == []
    assert f"CLM*{exporting.claim_number(good.pk)}*" in text
    odd.refresh_from_db()
    if written:
        assert (export.claim_count, left_out, odd.status) == (2, [], "exported")
        last, first, member = written
        assert ["NM1", "IL", "1", last, first, "", "", "", "MI", member] in segments(text)
    else:
        assert export.claim_count == 1
        assert [(p.pk, p.message) for p in left_out] == [(odd.pk, reason)]
        assert (odd.status, odd.hold_reason) == ("hold", reason)


@pytest.mark.parametrize(
    ("patient", "member_id", "field"),
    [
        # Refused when the claim is built, and by the writer while it writes the claim.
        ({"postal_code": "ABCDE"}, None, "The patient's ZIP code"),
        ({}, "W12*345", "The member ID"),
    ],
)
def test_an_export_whose_every_claim_is_refused_writes_no_file_and_holds_them(
    practice, practitioners, biller, patient, member_id, field
):
    claim = approved(decided_claim())
    type(claim.patient).objects.filter(pk=claim.patient_id).update(**patient)
    if member_id:
        Coverage.objects.filter(pk=claim.coverage_id).update(member_id=member_id)
    left_out: list[exporting.Unwritable] = []

    assert services.claims_export(by=biller, fmt="x12", left_out=left_out) is None

    assert ClaimExport.objects.count() == 0
    assert [(p.pk, p.field) for p in left_out] == [(claim.pk, field)]
    claim.refresh_from_db()
    assert claim.status == "hold"


def test_approving_a_claim_the_writer_now_refuses_holds_it_and_says_why(
    practice, practitioners, biller
):
    claim = decided_claim()
    type(claim.patient).objects.filter(pk=claim.patient_id).update(state="ZZ")

    with pytest.raises(services.BillingError) as caught:
        services.claim_approve(claim=claim, by=biller)

    number = exporting.claim_number(claim.pk)
    reason = (
        "The patient's state cannot go on an 837P: use a USPS state code; correct it on the "
        "patient's page, then re-decide the claim."
    )
    assert caught.value.message == f"Not approved: claim {number} is held. {reason}"
    claim.refresh_from_db()
    assert (claim.status, claim.hold_reason) == ("hold", reason)
    assert claim.findings.get(rule="X12").message == reason
    assert claim.events.last().to_status == "hold"


def signed_claim(nurse, nurse2, patient, provider) -> Claim:
    provider.clinician.npi = OKAFOR
    provider.clinician.taxonomy = "207RX0202X"
    provider.clinician.save()
    return live_claim(signed_refill(patient, nurse, nurse2, supervising_practitioner=provider))


def test_a_claim_the_writer_refuses_is_held_when_decided(practice, nurse, nurse2, provider):
    payer = billing_reference(program="commercial", code="AETNA")
    patient = PatientFactory(state="ZZ")
    cover(patient, payer)

    claim = signed_claim(nurse, nurse2, patient, provider)

    reason = (
        "The patient's state cannot go on an 837P: use a USPS state code; correct it on the "
        "patient's page, then re-decide the claim."
    )
    assert (claim.status, claim.hold_reason) == ("hold", reason)
    assert list(claim.findings.values_list("rule", "severity", "message"))[-1] == (
        "X12",
        "hold",
        reason,
    )


def test_a_patient_whose_only_coverage_is_secondary_is_held_not_billed_as_primary(
    practice, nurse, nurse2, provider
):
    payer = billing_reference(program="commercial", code="AETNA")
    patient = PatientFactory()
    Coverage.objects.create(
        patient=patient,
        payer=payer,
        member_id="W1",
        priority=Coverage.Priority.SECONDARY,
        effective_from=dt.date(2020, 1, 1),
    )

    claim = signed_claim(nurse, nurse2, patient, provider)

    assert claim.status == "hold"
    assert claim.hold_reason.startswith(
        "The only coverage in force on the date of service is secondary: a claim goes to "
        "the primary payer first."
    )
    assert claim.findings.get(rule="X12").message == (
        "The coverage's priority cannot go on an 837P: a claim goes to the primary payer "
        "first; add the primary coverage (or set this plan's priority to primary), then "
        "re-decide the claim."
    )
    # Released by hand, it still cannot be approved, and so is never sent as primary.
    services.claim_release(claim=claim, by=provider, reason="Checked the card.")
    with pytest.raises(services.BillingError, match="is held"):
        services.claim_approve(claim=claim, by=provider)


def test_a_decided_claim_names_its_practitioners_on_its_lines(practice, nurse, nurse2, provider):
    payer = billing_reference(program="commercial", code="AETNA")
    patient = PatientFactory()
    cover(patient, payer)

    claim = signed_claim(nurse, nurse2, patient, provider)

    assert claim.status == "ready"
    assert list(
        claim.lines.values_list(
            "code", "rendering_npi", "rendering_last_name", "rendering_taxonomy"
        )
    ) == [("96521", OKAFOR, provider.last_name, "207RX0202X")]
