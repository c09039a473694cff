"""`manage.py import_x12 FILE`: post a 999, 277CA or 835 file, as the upload page does."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from billing import services
from billing.services.remittance import MAX_FILE_BYTES


class Command(BaseCommand):
    help = (
        "Import a 999, 277CA or 835 file: acknowledgments move claims to accepted or "
        "rejected, remittances post payments. The same file twice posts nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="the X12 file to import")

    def handle(self, *args, file: Path, **options):
        if not file.is_file():
            raise CommandError(f"{file} is not a file.")
        if file.stat().st_size > MAX_FILE_BYTES:
            raise CommandError(f"{file} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB.")
        try:
            record = services.x12_import(data=file.read_bytes(), filename=file.name, by=None)
        except services.BillingError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"Imported {file.name} ({record.get_kind_display()}, import #{record.pk}): "
            f"{record.outcome}"
        )
