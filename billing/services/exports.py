"""Exporting approved claims, exactly once, as an 837P and a CSV file."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from billing import exporting, x12
from billing.errors import BillingError
from billing.models import Claim, ClaimEvent, ClaimExport, PracticeSettings
from billing.services.claims import claims_hold_unwritable, claims_update

# One 837P transaction set holds fewer than 5,000 claims (005010X222A1); a larger backlog
# goes out in several files, oldest claims first, each claim still exactly once.
MAX_CLAIMS_PER_EXPORT = x12.MAX_CLAIMS - 1


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def claims_export(
    *,
    by,
    fmt: str,
    claim_ids: Iterable[int] | None = None,
    now: dt.datetime | None = None,
    left_out: list[exporting.Unwritable] | None = None,
):
    """Export every approved claim (or the approved ones among ``claim_ids``) exactly once,
    or nothing at all.

    The claims are written as an 837P and as a CSV: ``fmt`` is the file asked for first,
    the other is kept beside it, so that either can be downloaded later and both hold the
    same claims. Selecting, writing and marking happen in one transaction: the practice
    settings row is locked first (one export at a time, unique control numbers), then the
    approved claims; a claim another export took meanwhile no longer matches and is
    skipped. Any error leaves every claim approved and no export recorded. Returns None
    when nothing is waiting (or nothing could be written).

    An approved claim the 837P writer refuses never stops the others: it is left out of
    the file and held, with a finding naming the field; ``left_out`` (when given) and the
    export's ``left_out`` list them by claim number.
    """
    now = now or timezone.now()
    if fmt not in ClaimExport.Format.values:
        raise BillingError(f"Unknown export format {fmt!r}.", field="format", code="format")
    with transaction.atomic():
        practice = PracticeSettings.objects.select_for_update().first()
        if practice is None:
            raise BillingError(
                "Enter the practice settings (billing provider, NPI, EIN) before exporting.",
                code="practice",
            )
        approved = Claim.objects.select_for_update().filter(status=Claim.Status.APPROVED)
        if claim_ids is not None:
            approved = approved.filter(id__in=list(claim_ids))
        ids = list(approved.order_by("id").values_list("id", flat=True)[:MAX_CLAIMS_PER_EXPORT])
        if not ids:
            return None
        last = ClaimExport.objects.aggregate(m=Max("interchange_control_number"))["m"]
        control = (last or 0) + 1
        x12_file = io.StringIO()
        refused: list[exporting.Unwritable] = []
        try:
            exporting.write_x12(
                practice,
                exporting.claims_for_export(ids),
                x12_file,
                control_number=control,
                now=now,
                left_out=refused,
            )
        except ValueError as exc:
            if len(refused) != len(ids):
                raise BillingError(f"The 837P could not be written: {exc}", code="x12") from exc
        claims_hold_unwritable(refused, by=by, allowed_from={Claim.Status.APPROVED}, now=now)
        if left_out is not None:
            left_out.extend(refused)
        held = {problem.pk for problem in refused}
        ids = [pk for pk in ids if pk not in held]
        if not ids:
            return None
        # The CSV holds the claims the 837P holds; read again rather than kept: the claims
        # stream in chunks, in bounded memory.
        csv_file = io.StringIO()
        exporting.write_csv(exporting.claims_for_export(ids), csv_file)
        files: dict[str, bytes] = {
            ClaimExport.Format.X12: x12_file.getvalue().encode("utf-8"),
            ClaimExport.Format.CSV: csv_file.getvalue().encode("utf-8"),
        }
        other = ClaimExport.Format.CSV if fmt == ClaimExport.Format.X12 else ClaimExport.Format.X12
        stamp = timezone.localtime(now, timezone.get_default_timezone())
        export = ClaimExport.objects.create(
            created_at=now,
            created_by=by,
            format=fmt,
            filename=f"claims-{stamp:%Y%m%d-%H%M%S}-{control}.{fmt}",
            sha256=_sha256(files[fmt]),
            content=files[fmt],
            other_sha256=_sha256(files[other]),
            other_content=files[other],
            claim_count=len(ids),
            interchange_control_number=control,
            left_out=[
                {"claim": exporting.claim_number(problem.pk), "reason": problem.message}
                for problem in refused
            ],
        )
        # History keeps no facts or decision: the claims are read without them.
        marked = list(Claim.objects.filter(id__in=ids).defer("facts", "decision"))
        claims_update(
            marked,
            by=by,
            reason=f"exported in {export.filename}",
            status=Claim.Status.EXPORTED,
            export=export,
        )
        ClaimEvent.objects.bulk_create(
            ClaimEvent(
                claim=claim,
                by=by,
                at=now,
                from_status=Claim.Status.APPROVED,
                to_status=Claim.Status.EXPORTED,
                reason=f"Exported in {export.filename} (sha256 {export.sha256[:12]}).",
            )
            for claim in marked
        )
    return export
