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

from billing import services as billing_services
from billing.models import Claim, ClaimEvent, ClaimExport
from refills import services
from refills.models import Encounter, VerificationAttempt
from refills.services import RefillError
from tests.factories import (
    BLIND_OK,
    PatientFactory,
    billing_reference,
    cover,
    encounter_data,
    encounter_post,
)

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
        encounter = services.encounter_create(by=nurse, patient=patient, data=encounter_data())
        services.encounter_verify(verifier=nurse2, encounter=encounter, entered=BLIND_OK)
        services.encounter_sign(by=nurse, encounter=encounter)
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
