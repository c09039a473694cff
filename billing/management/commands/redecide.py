"""`manage.py redecide --from DATE --to DATE [--payer CODE]`: run the engine again over a
period, for when the rules or a payer's policy changed.

Each chunk of encounters is decided in one transaction by ``claims_decide_batch``: a live
claim not yet exported is superseded by the new decision. Exported claims are left exactly
as sent (a correction to a sent claim is the biller's call), so their encounters are not
re-decided at all.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from tqdm import tqdm

from billing.models import SENT_STATUSES, Claim, Coverage, Payer
from billing.services import claims_decide_batch
from refills.models import Encounter

REASON = "redecided: rules or payer policy changed"


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{text!r} is not a date as YYYY-MM-DD.") from None


class Command(BaseCommand):
    help = "Re-decide the claims of signed refills in a date range (exported claims stay as sent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="start", required=True, help="first date of service")
        parser.add_argument("--to", dest="end", required=True, help="last date of service")
        parser.add_argument("--payer", help="only encounters billed to, or covered by, this payer")
        parser.add_argument(
            "--chunk-size", type=int, default=1000, help="encounters per transaction"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        start, end = _date(options["start"]), _date(options["end"])
        if end < start:
            raise CommandError("--to is before --from.")
        if options["chunk_size"] < 1:
            raise CommandError("--chunk-size must be at least 1.")
        encounters = Encounter.objects.filter(
            status=Encounter.Status.SIGNED, date_of_service__range=(start, end)
        )
        if options["payer"]:
            try:
                payer = Payer.objects.get(code=options["payer"])
            except Payer.DoesNotExist:
                raise CommandError(f"No payer has the code {options['payer']!r}.") from None
            encounters = encounters.filter(_billed_to_or_covered_by(payer))
        exported = Claim.objects.filter(encounter=OuterRef("pk"), status__in=SENT_STATUSES)
        left_as_sent = encounters.filter(Exists(exported)).count()
        ids = list(
            encounters.exclude(Exists(exported))
            .order_by("date_of_service", "pk")
            .values_list("pk", flat=True)
        )

        now = timezone.now()
        size = options["chunk_size"]
        statuses: Counter[str] = Counter()
        # The bar redraws one line with carriage returns: no newline after each write, and not
        # in the colour of errors.
        self.stderr.ending = ""
        self.stderr.style_func = None
        with tqdm(total=len(ids), unit="encounter", file=self.stderr, disable=not ids) as progress:
            for first in range(0, len(ids), size):
                chunk = ids[first : first + size]
                claims = claims_decide_batch(chunk, by=None, reason=REASON, now=now)
                statuses.update(claim.status for claim in claims)
                progress.update(len(chunk))

        summary = ", ".join(f"{statuses[s]} {s}" for s in Claim.Status.values if statuses[s])
        self.stdout.write(
            f"Re-decided {len(ids)} encounter(s) from {start} to {end}"
            + (f" ({summary})" if summary else "")
            + f"; {left_as_sent} exported claim(s) left as sent."
        )


def _billed_to_or_covered_by(payer: Payer) -> Q:
    """The encounter's live claim is with the payer, or the payer covered the date of service
    (a claim on hold for missing coverage may now find it)."""
    billed = Claim.objects.filter(encounter=OuterRef("pk"), payer=payer).exclude(
        status=Claim.Status.VOID
    )
    covered = Coverage.objects.filter(patient=OuterRef("patient"), payer=payer).effective_on(
        OuterRef("date_of_service")
    )
    return Q(Exists(billed)) | Q(Exists(covered))
