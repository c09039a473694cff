"""What billing adds to refill pages, registered in ``refills.links`` when the app starts."""

from __future__ import annotations

from django.urls import reverse

from billing.models import Claim
from refills.links import Hold, Link
from refills.models import Encounter, Role
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
