"""The demo data documents every refill against an order; two refills wait for a provider."""

from __future__ import annotations

import io

from django.core.management import call_command

from refills import selectors
from refills.models import Encounter, Order, Patient


def test_demo_patients_have_orders_and_two_refills_wait_for_a_provider(db):
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())  # a second run adds nothing

    assert Order.objects.filter(status="active").count() == Patient.objects.count() > 12
    assert not Encounter.objects.filter(order__isnull=True).exists()
    waiting = {
        e.patient.last_name: [c.code for c in selectors.encounter_pending_concerns(e)]
        for e in Encounter.objects.exclude(status="signed").select_related("order", "patient")
    }
    assert {name: codes for name, codes in waiting.items() if codes} == {
        "Hughes": ["weight"],
        "Okonkwo": ["anc"],
    }
