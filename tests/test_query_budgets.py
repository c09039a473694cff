"""Query budgets: each page, and deciding claims, costs a fixed number of queries however
many rows it shows or writes. Each test runs with 3 rows and with 30 under the same bound."""

from __future__ import annotations

import datetime as dt
import io
import itertools
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from billing.exporting import claims_for_export, write_csv, write_x12
from billing.models import Claim, ClaimEvent, ClaimFinding, Coverage
from billing.services import claims_decide_batch
from refills.models import (
    Addendum,
    Encounter,
    Order,
    Patient,
    PatientDiagnosis,
    ProviderVisit,
    VerificationAttempt,
)
from tests.factories import billing_reference, encounter_data, order_data

ROWS = pytest.mark.parametrize("rows", [3, 30])
MRNS = (f"Q{n:06d}" for n in itertools.count())


def make_patients(count: int) -> list[Patient]:
    patients = Patient.objects.bulk_create(
        Patient(
            mrn=next(MRNS),
            last_name="Budget",
            first_name="Pat",
            date_of_birth=dt.date(1960, 5, 17),
            sex="F",
            address_line1="1 Main Street",
            city="Springfield",
            state="IL",
            postal_code="62704",
        )
        for _ in range(count)
    )
    PatientDiagnosis.objects.bulk_create(
        PatientDiagnosis(patient=patient, code=code, position=position)
        for patient in patients
        for position, code in enumerate(["C18.9", "C78.7"])
    )
    return patients


def make_encounters(nurse, nurse2, count: int, *, status: str = "signed") -> list[Encounter]:
    at = timezone.now()
    people = {}
    if status in {"verified", "signed"}:
        people = {"verified_by": nurse2, "verified_at": at}
    if status == "signed":
        people |= {"signed_by": nurse, "signed_at": at}
    patients = make_patients(count)
    orders = Order.objects.bulk_create(
        Order(
            patient=patient,
            bsa_m2=Decimal("1.84"),
            calculated_dose_mg=Decimal("2392.00"),
            signed_by=nurse2,
            signed_at=at,
            **order_data(),
        )
        for patient in patients
    )
    return Encounter.objects.bulk_create(
        Encounter(
            patient=patient,
            order=order,
            performing_nurse=nurse,
            created_by=nurse,
            status=status,
            **people,
            **encounter_data(anc=Decimal("1.20")),
        )
        for patient, order in zip(patients, orders, strict=True)
    )


def make_visits(pairs, *, separately_identifiable=True, note="Nausea evaluated.") -> None:
    """A same-day 99213 by a physician for each (encounter, provider) pair."""
    ProviderVisit.objects.bulk_create(
        ProviderVisit(
            patient=e.patient,
            date_of_service=e.date_of_service,
            provider=provider,
            em_code="99213",
            performed_by_role="physician",
            separately_identifiable=separately_identifiable,
            note=note,
        )
        for e, provider in pairs
    )


def make_claims(nurse, nurse2, count: int, *, visits_by=None) -> list[Claim]:
    payer = billing_reference(program="commercial", code="AETNA")
    encounters = make_encounters(nurse, nurse2, count)
    Coverage.objects.bulk_create(
        Coverage(patient=e.patient, payer=payer, member_id="M1", effective_from=dt.date(2020, 1, 1))
        for e in encounters
    )
    if visits_by is not None:
        make_visits((e, visits_by) for e in encounters)
    return claims_decide_batch([e.pk for e in encounters], reason="signed")


@ROWS
def test_worklist(client, nurse, nurse2, rows, django_assert_max_num_queries):
    for status in ("draft", "verified", "signed"):
        make_encounters(nurse, nurse2, rows, status=status)
    client.force_login(nurse)

    # Three more than before orders: blind checks and overrides of the rows, and the
    # corrections others made to what the user signed; one for the user's refills on hold.
    with django_assert_max_num_queries(12):
        response = client.get(reverse("refills:worklist"))

    assert response.status_code == 200
    assert [len(response.context[group]) for group in ("needs_verification", "signed_today")] == [
        rows,
        rows,
    ]
    # Every unsigned row has an ANC below its order's limit.
    assert len(response.context["needs_override"]) == 2 * rows


@ROWS
def test_patient_list(client, nurse, rows, django_assert_max_num_queries):
    make_patients(rows)
    client.force_login(nurse)

    with django_assert_max_num_queries(9):
        response = client.get(reverse("refills:patient_list"))

    assert response.status_code == 200
    assert len(response.context["page"]) == min(rows, 25)
    assert response.content.count(b"C18.9, C78.7") == min(rows, 25)


@ROWS
def test_queue(client, nurse, nurse2, biller, rows, django_assert_max_num_queries):
    make_claims(nurse, nurse2, rows)
    client.force_login(biller)

    with django_assert_max_num_queries(10) as captured:
        response = client.get(reverse("billing:queue"))

    assert response.status_code == 200
    assert len(response.context["page"]) == min(rows, 25)
    assert response.context["totals"].count == rows
    # The page fetches one row more than it shows, and never counts (QuerySet.count(), as
    # Django's paginator sends it); the counts and totals by status are the ones the
    # database keeps, one query of a few rows.
    assert not [q for q in captured if "COUNT(" in q["sql"].upper()]
    (totals,) = [q["sql"] for q in captured if "GROUP BY" in q["sql"]]
    assert totals.startswith('SELECT "billing_claimstatustotal"."status" AS "status"')


@ROWS
def test_queue_search(client, nurse, nurse2, biller, rows, django_assert_max_num_queries):
    claims = make_claims(nurse, nurse2, rows)
    client.force_login(biller)
    client.post(reverse("billing:queue"), {"q": claims[-1].patient.mrn.lower()})

    # One more than the plain queue: the patients are found first.
    with django_assert_max_num_queries(11):
        response = client.get(reverse("billing:queue"))

    assert [claim.pk for claim in response.context["page"]] == [claims[-1].pk]


@ROWS
def test_claim_page(client, nurse, nurse2, biller, rows, django_assert_max_num_queries):
    (claim,) = make_claims(nurse, nurse2, 1)
    at = timezone.now()
    ClaimEvent.objects.bulk_create(
        ClaimEvent(claim=claim, at=at, by=biller, to_status="ready", reason=f"Note {i}.")
        for i in range(rows)
    )
    ClaimFinding.objects.bulk_create(
        ClaimFinding(claim=claim, position=100 + i, rule="R14", severity="warn", message="m")
        for i in range(rows)
    )
    client.force_login(biller)

    # Two for the payer's answers: payments (with their lines, adjustments and remarks
    # prefetched when there are any) and acknowledgments; one for the same-day visits.
    with django_assert_max_num_queries(15):
        response = client.get(reverse("billing:claim_detail", args=[claim.pk]))

    assert response.status_code == 200
    assert response.content.count(b"Note ") == rows
    # The decision itself was made by no one in particular.
    assert "system · new" in response.content.decode()


@ROWS
def test_encounter_page(client, nurse, nurse2, biller, rows, django_assert_max_num_queries):
    (claim,) = make_claims(nurse, nurse2, 1)
    encounter = claim.encounter
    Addendum.objects.bulk_create(
        Addendum(encounter=encounter, author=nurse, text=f"Note {i}.", corrections={})
        for i in range(rows)
    )
    VerificationAttempt.objects.bulk_create(
        VerificationAttempt(
            encounter=encounter,
            verifier=nurse2,
            rate_ml_h=encounter.rate_ml_h,
            pump_volume_ml=encounter.pump_volume_ml,
            drug_concentration_mg_ml=encounter.drug_concentration_mg_ml,
        )
        for _ in range(rows)
    )
    User = get_user_model()
    providers = User.objects.bulk_create(
        User(username=f"provider{i}", first_name="Doc", last_name=f"Tor{i}") for i in range(rows)
    )
    make_visits(
        ((encounter, provider) for provider in providers), separately_identifiable=False, note="n"
    )
    for _ in range(rows):
        claims_decide_batch([encounter.pk], reason="re-decided")
    nurse.groups.add(*biller.groups.all())
    client.force_login(nurse)

    # Four more than before orders: the banner's order, latest weight and payer, and the
    # provider overrides.
    with django_assert_max_num_queries(18):
        response = client.get(reverse("refills:encounter_detail", args=[encounter.pk]))

    assert response.status_code == 200
    assert response.content.count(b"Note ") == rows
    assert response.content.count(b"99213</a> by Doc Tor") == rows
    assert response.content.count(b">Claim</a>") == 1


@ROWS
def test_deciding_claims(nurse, nurse2, rows, django_assert_max_num_queries):
    """One chunk of the batch: live claims superseded, visits and addenda read, all in bulk;
    three years of the patients' records (established), the drug catalogue and its NDCs."""
    claims = make_claims(nurse, nurse2, rows)
    ids = [claim.encounter_id for claim in claims]
    encounters = Encounter.objects.filter(pk__in=ids).select_related("patient")
    Addendum.objects.bulk_create(
        Addendum(encounter=e, author=nurse, text="Late entry.", corrections={}) for e in encounters
    )
    make_visits((e, nurse2) for e in encounters)

    # With the practitioners the lines are billed under and the practice settings the 837P
    # check writes with: 23, and 24 on SQLite, whose limit on parameters splits the claim
    # lines' insert in two at 30 rows (their rendering and NDC columns). One of them reads
    # the live claims' findings (a claim whose lines come out the same keeps its number, and
    # its findings are brought up to date).
    with django_assert_max_num_queries(24):
        decided = claims_decide_batch(ids, reason="re-decided")

    assert [claim.encounter_id for claim in decided] == ids
    assert Claim.objects.filter(status="void").count() == rows
    assert [c.supersedes_id for c in decided] == [c.pk for c in claims]
    assert {tuple(c.lines.values_list("code", flat=True)) for c in decided} == {("96521", "99213")}


@ROWS
def test_export_reads(practice, nurse, nurse2, provider, rows, django_assert_max_num_queries):
    """The 837P and CSV read claims and their lines a chunk at a time (each line carries the
    practitioner it is billed under)."""
    provider.clinician.npi = "1234567893"
    provider.clinician.save()
    ids = [claim.pk for claim in make_claims(nurse, nurse2, rows, visits_by=provider)]
    x12_file, csv_file = io.StringIO(), io.StringIO()

    # Claims, lines.
    with django_assert_max_num_queries(2):
        written = write_x12(
            practice, claims_for_export(ids), x12_file, control_number=1, now=timezone.now()
        )
    with django_assert_max_num_queries(2):
        csv_rows = write_csv(claims_for_export(ids), csv_file)

    assert (written.claim_count, written.line_count, csv_rows) == (rows, 2 * rows, 2 * rows)
    # Each claim names the practitioner who rendered its E/M.
    assert x12_file.getvalue().count("NM1*82*1*") == rows


def order_queries(queries) -> int:
    return sum('FROM "refills_order"' in q["sql"] for q in queries)


def test_the_refill_form_looks_up_the_order_once_for_the_page_and_once_for_the_date(
    client, nurse, patient
):
    """The page's active order serves the banner too; a submission adds the lookup of the
    order in force on the date entered (which may be another day)."""
    client.force_login(nurse)
    url = reverse("refills:encounter_create", args=[patient.pk])
    refused = {"date_of_service": timezone.localdate().isoformat(), "weight_kg": "heavy"}

    with CaptureQueriesContext(connection) as page:
        assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as submitted:
        assert client.post(url, refused).status_code == 200

    assert (order_queries(page), order_queries(submitted)) == (1, 2)
