"""Reads for the biller's pages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet

from billing.models import Claim, ClaimExport, ClaimFinding


@dataclass(frozen=True)
class QueueFilters:
    status: str = ""
    payer: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    rule: str = ""
    search: str = ""


def claims_visible_to(user) -> QuerySet[Claim]:
    if not user.has_perm("billing.view_claim"):
        return Claim.objects.none()
    return Claim.objects.all()


def claim_queue(user, filters: QueueFilters) -> QuerySet[Claim]:
    claims = claims_visible_to(user).select_related("patient", "payer")
    if filters.status:
        claims = claims.filter(status=filters.status)
    else:
        claims = claims.exclude(status=Claim.Status.VOID)
    if filters.payer:
        claims = claims.filter(payer_id=filters.payer)
    if filters.date_from:
        claims = claims.filter(date_of_service__gte=filters.date_from)
    if filters.date_to:
        claims = claims.filter(date_of_service__lte=filters.date_to)
    if filters.rule:
        claims = claims.filter(
            Exists(ClaimFinding.objects.filter(claim=OuterRef("pk"), rule=filters.rule))
        )
    search = filters.search.strip()
    if search:
        terms = Q()
        for word in search.replace(",", " ").split():
            terms &= (
                Q(patient__last_name__icontains=word)
                | Q(patient__first_name__icontains=word)
                | Q(patient__mrn__iexact=word)
            )
        claims = claims.filter(terms)
    return claims.order_by("-date_of_service", "-id")


def claim_detail(user, pk: int) -> Claim:
    return (
        claims_visible_to(user)
        .select_related("patient", "payer", "encounter", "coverage", "supersedes", "export")
        .prefetch_related("lines", "findings", "events__by")
        .get(pk=pk)
    )


def exports_visible_to(user) -> QuerySet[ClaimExport]:
    if not user.has_perm("billing.view_claimexport"):
        return ClaimExport.objects.none()
    return ClaimExport.objects.select_related("created_by").defer("content")
