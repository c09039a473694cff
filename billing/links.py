"""What billing adds to refill pages and checks, registered in ``refills.links`` and
``refills.ndc`` when the app starts (kept light: the app loads this module at start-up)."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from billing.models import Claim, Coverage, DrugCatalogueItem, StockedNDC
from refills.links import Hold, Link
from refills.models import Encounter, Patient, Role
from refills.permissions import has_role


def encounter_links(user, encounter: Encounter) -> list[Link]:
    """The encounter's live claim, for whoever may see claims."""
    if not user.has_perm("billing.view_claim"):
        return []
    return [
        Link("Claim", reverse("billing:claim_detail", args=[claim.pk]))
        for claim in encounter.claims.all()
        if claim.is_live
    ]


def home_page(user) -> str | None:
    """Billers and administrators start at the claim queue."""
    if has_role(user, Role.BILLER, Role.ADMIN) or user.is_superuser:
        return reverse("billing:queue")
    return None


HELD_ON_WORKLIST = 20


def held_refills(user) -> list[Hold]:
    """The user's own refills whose claim is on hold, newest first: the nurse may be the one
    to correct the documentation the hold names."""
    claims = (
        Claim.objects.filter(status=Claim.Status.HOLD, encounter__performing_nurse=user)
        .select_related("encounter__patient")
        .order_by("-date_of_service", "-pk")[:HELD_ON_WORKLIST]
    )
    return [Hold(claim.encounter, claim.hold_reason) for claim in claims]


def stocked_ndcs(day: dt.date | None = None) -> frozenset[str]:
    """The 11-digit NDCs of the drug catalogue, of items in force on ``day`` (any day: None)."""
    items = DrugCatalogueItem.objects.all()
    if day is not None:
        items = items.effective_on(day)
    return frozenset(StockedNDC.objects.filter(item__in=items).values_list("ndc", flat=True))


def primary_payer_name(patient: Patient, day: dt.date) -> str:
    """The payer of the patient's primary coverage in force on ``day`` (the patient banner
    shows it), or "" when none is."""
    coverage = (
        Coverage.objects.filter(patient=patient, priority=Coverage.Priority.PRIMARY)
        .effective_on(day)
        .select_related("payer")
        .order_by("-effective_from", "-id")
        .first()
    )
    return coverage.payer.name if coverage else ""
