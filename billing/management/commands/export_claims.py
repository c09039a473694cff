"""Export every approved claim once, as an X12 837P or CSV file."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from billing import services
from billing.models import ClaimExport


class Command(BaseCommand):
    help = "Export approved claims (each exactly once) to PATH; a second run exports nothing."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=ClaimExport.Format.values, required=True)
        parser.add_argument("--out", required=True, type=Path, help="file to write")

    def handle(self, *args, format: str, out: Path, **options):
        if out.exists() and out.is_dir():
            raise CommandError(f"{out} is a directory; give a file name.")
        if not out.parent.exists():
            raise CommandError(f"{out.parent} does not exist.")
        try:
            export = services.claims_export(by=None, fmt=format)
        except services.BillingError as exc:
            raise CommandError(exc.message) from exc
        if export is None:
            self.stdout.write("No approved claim is waiting for export; nothing written.")
            return
        out.write_bytes(bytes(export.content))
        self.stdout.write(
            f"Exported {export.claim_count} claim(s) to {out} "
            f"(export #{export.pk}, sha256 {export.sha256})."
        )
