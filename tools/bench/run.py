"""The options of `python -m tools.bench`, the run in a rolled-back transaction (or, with
``--keep``, committed and vacuumed), the table."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import fields, replace
from typing import TextIO

from django.conf import settings
from django.db import connection, transaction
from django.test import override_settings

from billing.models import Claim
from tools.bench.measure import DEFAULT_SIZES, QUICK, Bench, Row, Sizes, number

SIZE_OPTIONS = tuple(size.name for size in fields(Sizes))


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.bench",
        description="Measure the engine, batch deciding, the 837P export and the biller queue "
        "on synthetic data, each beside a baseline; everything created is rolled back.",
    )
    parser.add_argument("--quick", action="store_true", help="a small smoke run")
    parser.add_argument("--encounters", type=int, help="signed encounters decided in batch")
    parser.add_argument("--baseline-encounters", type=int, help="encounters decided one at a time")
    parser.add_argument("--export-claims", type=int, help="approved claims in the 837P")
    parser.add_argument("--queue-lines", type=int, help="claim lines under the queue")
    parser.add_argument("--repeat", type=int, help="runs of each measurement")
    parser.add_argument("--chunk-size", type=int, help="encounters per batch transaction")
    parser.add_argument(
        "--no-validate", action="store_true", help="skip the pyx12 validation of the 837P"
    )
    parser.add_argument(
        "--explain", action="store_true", help="print the plan of each queue filter"
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="commit the data instead of rolling it back, then VACUUM ANALYZE and measure the "
        "queue again (PostgreSQL, a scratch database with no claims: drop it afterwards)",
    )
    return parser


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None) -> int:
    out = sys.stdout if stdout is None else stdout
    options = parser().parse_args(argv)
    vendor = connection.vendor
    sizes = QUICK if options.quick else DEFAULT_SIZES.get(vendor, DEFAULT_SIZES["sqlite"])
    given = {
        name: getattr(options, name) for name in SIZE_OPTIONS if getattr(options, name) is not None
    }
    if any(value < 1 for value in given.values()):
        parser().error("every size must be at least 1")
    sizes = replace(sizes, **given)
    if options.keep and vendor != "postgresql":
        parser().error("--keep measures what PostgreSQL's VACUUM changes: use DATABASE_URL")
    if options.keep and Claim.objects.exists():
        parser().error("--keep needs a scratch database with no claims")
    print(f"Database: {vendor} ({connection.settings_dict['NAME']}).", file=out)
    if vendor == "sqlite" and not options.quick:
        print(
            "Note: SQLite. Sizes are scaled down by default and the goals are set for "
            "PostgreSQL; use DATABASE_URL=postgresql://... for the figures of record.",
            file=out,
        )
    print(
        f"Sizes: {sizes.encounters} encounters in chunks of {sizes.chunk_size} "
        f"(baseline {sizes.baseline_encounters} one at a time), "
        f"{sizes.export_claims} claims exported, {sizes.queue_lines} claim lines under the "
        f"queue; {sizes.repeat} runs each.",
        file=out,
    )
    # Query logging would keep every bulk INSERT in memory; the test client needs its host;
    # static URLs must not need collectstatic.
    with (
        override_settings(
            DEBUG=False,
            ALLOWED_HOSTS=["testserver"],
            SECURE_SSL_REDIRECT=False,
            STORAGES={
                **settings.STORAGES,
                "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
            },
        ),
    ):
        bench = Bench(out, sizes, validate=not options.no_validate)
        with transaction.atomic():
            rows = bench.run()
            explained = bench.explain() if options.explain and not options.keep else []
            transaction.set_rollback(not options.keep)
        print("Committed." if options.keep else "Rolled back.", file=out)
        if options.keep:
            print("Vacuuming and analysing, then measuring the queue again.", file=out)
            bench.queue_vacuumed()
            explained = bench.explain() if options.explain else []
    print(file=out)
    print(table(rows), file=out)
    for title, plan in explained:
        print(f"\n-- {title}\n{plan}", file=out)
    return 0


def table(rows: list[Row]) -> str:
    header = ("figure", "median", "baseline", "ratio", "goal")
    cells = [
        (
            row.figure,
            number(row.median, row.unit),
            "-" if row.baseline is None else number(row.baseline, row.unit),
            "-" if row.ratio is None else f"{row.ratio:.2f}x",
            row.goal + ("" if row.met is None else (" met" if row.met else " MISSED")),
        )
        for row in rows
    ]
    widths = [max(len(str(c[i])) for c in [header, *cells]) for i in range(len(header))]
    lines = [
        "  ".join(
            str(c).ljust(w) if i in (0, 4) else str(c).rjust(w)
            for i, (c, w) in enumerate(zip(line, widths, strict=True))
        ).rstrip()
        for line in [header, tuple("-" * w for w in widths), *cells]
    ]
    return "\n".join([*lines, "ratio = median / baseline."])
