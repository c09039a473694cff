"""What billing adds to refill pages, registered in ``refills.links`` when the app starts."""

from __future__ import annotations

from django.urls import reverse

from refills.links import Link
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
