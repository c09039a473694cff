"""Concurrent requests on PostgreSQL: row locks and constraints, not luck.

Each worker is a thread with its own database connection (closed when the thread ends);
a barrier releases them together so the requests overlap.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from billing import services as billing_services
from billing.models import Claim, ClaimEvent, ClaimExport, ClaimPayment, X12Import
from refills import services
from refills.models import Encounter, ProviderVisit, VerificationAttempt
from refills.services import RefillError
from tests.factories import (
    BLIND_OK,
    PatientFactory,
    UserFactory,
    approved_claim,
    assert_one_em_billed_and_the_other_denied,
    billing_reference,
    cover,
    encounter_data,
    encounter_post,
    signed_refill,
    visit_post,
)
from tests.x12fixtures import fill

# serialized_rollback: the flush that ends a transactional test would take the role groups
# (made by data migrations) with it.
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WORKERS = 20


def run_together(jobs: list[Callable[[], object]]) -> list[object]:
    """Run the jobs in threads released at the same moment; each result, or the exception
    it raised, in job order."""
    barrier = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)

    def worker(index: int, job: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = job()
        except Exception as exc:  # the outcome under test, examined by the caller
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a worker hung"
    return results


def signed_claims(nurse, nurse2, count: int) -> list[Claim]:
    payer = billing_reference(program="commercial", code="AETNA")
    claims = []
    for _ in range(count):
        patient = PatientFactory()
        cover(patient, payer)
        encounter = signed_refill(patient, nurse, nurse2)
        claims.append(Claim.objects.get(encounter=encounter))
    assert {c.status for c in claims} == {"ready"}
    return claims


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_twenty_concurrent_approvals_approve_each_claim_once(nurse, nurse2, biller):
    claims = signed_claims(nurse, nurse2, 3)
    clients = [logged_in(biller) for _ in range(WORKERS)]

    def approve_all(client: Client) -> list[int]:
        order = random.sample(claims, len(claims))
        return [
            client.post(reverse("billing:claim_approve", args=[c.pk])).status_code for c in order
        ]

    results = run_together([lambda c=c: approve_all(c) for c in clients])

    assert results == [[302, 302, 302]] * WORKERS
    for claim in claims:
        claim.refresh_from_db()
        assert claim.status == "approved"
        approvals = ClaimEvent.objects.filter(claim=claim, to_status="approved")
        assert [(e.from_status, e.by) for e in approvals] == [("ready", biller)]
        assert claim.history.filter(status="approved").count() == 1


@pytest.mark.usefixtures("practice")
def test_twenty_concurrent_exports_export_each_claim_once(nurse, nurse2, biller):
    claims = signed_claims(nurse, nurse2, 3)
    for claim in claims:
        billing_services.claim_approve(claim=claim, by=biller)
    clients = [logged_in(biller) for _ in range(WORKERS)]

    results = run_together(
        [
            lambda c=c: c.post(reverse("billing:export_create"), {"format": "csv"}).status_code
            for c in clients
        ]
    )

    # One worker gets the file; the others find nothing waiting and go back to the queue.
    assert Counter(results) == Counter({200: 1, 302: WORKERS - 1})
    export = ClaimExport.objects.get()
    assert export.claim_count == 3
    for claim in claims:
        claim.refresh_from_db()
        assert (claim.status, claim.export_id) == ("exported", export.pk)
        exports = ClaimEvent.objects.filter(claim=claim, to_status="exported")
        assert [e.from_status for e in exports] == ["approved"]


@pytest.mark.usefixtures("practice")
def test_twenty_concurrent_export_services_write_one_file(nurse, nurse2, biller):
    claims = signed_claims(nurse, nurse2, 2)
    for claim in claims:
        billing_services.claim_approve(claim=claim, by=biller)

    results = run_together([lambda: billing_services.claims_export(by=biller, fmt="x12")] * WORKERS)

    exports = [r for r in results if isinstance(r, ClaimExport)]
    assert len(exports) == 1
    assert [r for r in results if not isinstance(r, ClaimExport)] == [None] * (WORKERS - 1)
    assert exports[0].interchange_control_number == 1
    assert set(Claim.objects.values_list("status", flat=True)) == {"exported"}


def test_two_clinicians_verifying_at_once_verify_once(nurse, nurse2, provider, patient):
    draft = services.encounter_create(by=nurse, patient=patient, data=encounter_data())

    results = run_together(
        [
            lambda: services.encounter_verify(verifier=nurse2, encounter=draft, entered=BLIND_OK),
            lambda: services.encounter_verify(verifier=provider, encounter=draft, entered=BLIND_OK),
        ]
    )

    verified = [r for r in results if isinstance(r, services.VerificationResult)]
    refused = [r for r in results if isinstance(r, RefillError)]
    assert len(verified) == 1 and verified[0].matched
    assert [e.code for e in refused] == ["state"]
    stored = Encounter.objects.get(pk=draft.pk)
    assert stored.status == "verified"
    assert stored.verified_by == verified[0].attempt.verifier
    assert VerificationAttempt.objects.filter(encounter=draft).count() == 1


def test_the_encounter_form_submitted_twice_at_once_makes_one_draft(nurse, patient):
    post = {**encounter_post(encounter_data()), "submission_id": str(uuid.uuid4())}
    clients = [logged_in(nurse), logged_in(nurse)]
    url = reverse("refills:encounter_create", args=[patient.pk])

    results = run_together([lambda c=c: c.post(url, post) for c in clients])

    encounter = Encounter.objects.get()
    assert [r.status_code for r in results] == [302, 302]
    assert {r["Location"] for r in results} == {
        reverse("refills:encounter_detail", args=[encounter.pk])
    }
    assert encounter.history.count() == 1


@pytest.mark.usefixtures("practice")
def test_different_835_files_racing_post_each_payment_once(nurse, nurse2, biller, provider):
    claims = [
        approved_claim(nurse, nurse2, biller, provider, last_name="Brooks", with_em=True),
        approved_claim(nurse, nurse2, biller, provider, last_name="Avery"),
    ]
    billing_services.claims_export(by=biller, fmt="x12")
    values = {f"claim_{i}": claim.number for i, claim in enumerate(claims, start=1)}
    files = {
        "full": fill("835_full_payment", values),  # claims 1 and 2
        "plb": fill("835_plb_adjustment", values),  # claim 1 again, and provider adjustments
    }
    names = ["full", "plb"] * (WORKERS // 2)

    results = run_together(
        [
            lambda name=name: billing_services.x12_import(
                data=files[name], filename=f"{name}.835", by=biller
            )
            for name in names
        ]
    )

    imports = [r for r in results if isinstance(r, X12Import)]
    assert sorted(r.filename for r in imports) == ["full.835", "plb.835"]
    refused = [r for r in results if not isinstance(r, X12Import)]
    assert len(refused) == WORKERS - 2
    assert all(
        isinstance(r, billing_services.BillingError) and r.code == "duplicate" for r in refused
    )
    assert Counter(ClaimPayment.objects.values_list("claim_number", "x12_import__filename")) == {
        (claims[0].number, "full.835"): 1,
        (claims[1].number, "full.835"): 1,
        (claims[0].number, "plb.835"): 1,
    }
    first = Claim.objects.get(pk=claims[0].pk)
    assert first.status == "paid"
    assert first.events.filter(x12_import__isnull=False).count() == 2
    assert Claim.objects.get(pk=claims[1].pk).status == "paid"


def test_two_providers_recording_the_same_em_at_once_beside_a_signed_refill(
    nurse, nurse2, provider, patient
):
    cover(patient, billing_reference())
    second = UserFactory(username="dr.lee", role="Provider", credential="MD")
    encounter = signed_refill(patient, nurse, nurse2, supervising_practitioner=provider)
    url = reverse("refills:provider_visit_create", args=[patient.pk])
    post = visit_post(encounter.date_of_service)
    clients = [logged_in(provider), logged_in(second)]

    results = run_together([lambda c=c: c.post(url, post) for c in clients])

    assert [r.status_code for r in results] == [302, 302]
    assert ProviderVisit.objects.filter(patient=patient, em_code="99213").count() == 2
    assert_one_em_billed_and_the_other_denied(encounter)


def test_one_provider_submitting_the_same_visit_twice_at_once_records_it_once(provider, patient):
    url = reverse("refills:provider_visit_create", args=[patient.pk])
    post = visit_post(timezone.localdate())
    clients = [logged_in(provider), logged_in(provider)]

    results = run_together([lambda c=c: c.post(url, post) for c in clients])

    assert sorted(r.status_code for r in results) == [200, 302]
    refused = next(r for r in results if r.status_code == 200)
    assert refused.context["form"].errors["em_code"] == [
        "You already recorded this E/M code for this patient on that day."
    ]
    assert ProviderVisit.objects.filter(patient=patient).count() == 1
