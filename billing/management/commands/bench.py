"""`manage.py bench`: how the app behaves as its work grows.

Builds synthetic data with bulk inserts (bypassing the services, for volume), then measures
each figure several times beside a baseline measured on the same machine in the same run:

1. engine: one decision, against `json.loads` + `json.dumps` of the same facts (the floor);
   start-up: the CPU of a whole `manage.py decide_claim` process (and of `manage.py check`),
   against `python -c pass`;
2. batch: deciding and storing claims a chunk at a time, against one encounter at a time;
3. export: the 837P of the approved claims streamed to a file, beside the time pyx12 takes
   to validate that file;
4. biller queue: its first page and a filtered page, against the Django admin changelist
   over the same rows.

Everything runs in one transaction that is rolled back at the end: the database is left as
it was found. Figures are printed, never asserted.
"""

from __future__ import annotations

import datetime as dt
import gc
import io
import itertools
import json
import logging
import secrets
import statistics
import tempfile
import time
import tracemalloc
import warnings
import zoneinfo
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.db.models import Q
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from billing import exporting, selectors, x12
from billing.engine import decide, parse_facts
from billing.models import (
    ChargeMasterItem,
    Claim,
    ClaimExport,
    ClaimFinding,
    ClaimLine,
    Coverage,
    FeeScheduleEntry,
    Payer,
    PracticeSettings,
)
from billing.selectors import QueueFilters
from billing.services import claim_decide_for_encounter, claims_decide_batch, claims_export
from refills.models import (
    Addendum,
    ClinicianProfile,
    Encounter,
    Patient,
    PatientDiagnosis,
    ProviderVisit,
)

REASON = "benchmark"
INSERT_CHUNK = 5000
# Each patient has a refill every 11 days, the earliest about ENCOUNTERS_PER_PATIENT * 11 days ago.
ENCOUNTERS_PER_PATIENT = 8
DAYS_BETWEEN_REFILLS = 11
SURNAMES = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
]
FIRST_NAMES = [
    "Mary",
    "Patricia",
    "Jennifer",
    "Linda",
    "Elizabeth",
    "Barbara",
    "Susan",
    "Jessica",
    "Sarah",
    "Karen",
    "James",
    "Robert",
    "John",
    "Michael",
    "David",
    "William",
    "Richard",
    "Joseph",
    "Thomas",
    "Charles",
]
# One patient whose name no one else has: the selective end of the name search.
RARE_SURNAME = "Zabriskie"
CHARGES = {
    "96521": Decimal("175.00"),
    "96522": Decimal("160.00"),
    "96523": Decimal("45.00"),
    "99211": Decimal("30.00"),
    "99213": Decimal("120.00"),
}
ALLOWED = {"96521": Decimal("123.83"), "96522": Decimal("110.00"), "99213": Decimal("92.00")}


@dataclass(frozen=True)
class Sizes:
    encounters: int
    baseline_encounters: int
    export_claims: int
    queue_lines: int
    repeat: int
    chunk_size: int


DEFAULT_SIZES = {
    "postgresql": Sizes(
        encounters=100_000,
        baseline_encounters=1_000,
        export_claims=10_000,
        queue_lines=1_000_000,
        repeat=5,
        chunk_size=1_000,
    ),
    "sqlite": Sizes(
        encounters=10_000,
        baseline_encounters=200,
        export_claims=1_000,
        queue_lines=100_000,
        repeat=5,
        chunk_size=1_000,
    ),
}
QUICK = Sizes(
    encounters=200,
    baseline_encounters=10,
    export_claims=20,
    queue_lines=1_000,
    repeat=2,
    chunk_size=100,
)


@dataclass(frozen=True)
class Row:
    figure: str
    median: float
    baseline: float | None
    unit: str
    goal: str = ""
    met: bool | None = None

    @property
    def ratio(self) -> float | None:
        return self.median / self.baseline if self.baseline else None


class Command(BaseCommand):
    help = (
        "Measure the engine, batch deciding, the 837P export and the biller queue on synthetic "
        "data, each beside a baseline; everything created is rolled back."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quick", action="store_true", help="a small smoke run")
        parser.add_argument("--encounters", type=int, help="signed encounters decided in batch")
        parser.add_argument(
            "--baseline-encounters", type=int, help="encounters decided one at a time"
        )
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

    def handle(self, *args: Any, **options: Any) -> None:
        vendor = connection.vendor
        sizes = QUICK if options["quick"] else DEFAULT_SIZES.get(vendor, DEFAULT_SIZES["sqlite"])
        given = {
            name: options[name]
            for name in (
                "encounters",
                "baseline_encounters",
                "export_claims",
                "queue_lines",
                "repeat",
                "chunk_size",
            )
            if options[name] is not None
        }
        if any(value < 1 for value in given.values()):
            raise CommandError("Every size must be at least 1.")
        sizes = replace(sizes, **given)
        self.stdout.write(f"Database: {vendor} ({connection.settings_dict['NAME']}).")
        if vendor == "sqlite" and not options["quick"]:
            self.stdout.write(
                "Note: SQLite. Sizes are scaled down by default and the goals are set for "
                "PostgreSQL; use DATABASE_URL=postgresql://... for the figures of record."
            )
        self.stdout.write(
            f"Sizes: {sizes.encounters} encounters in chunks of {sizes.chunk_size} "
            f"(baseline {sizes.baseline_encounters} one at a time), "
            f"{sizes.export_claims} claims exported, {sizes.queue_lines} claim lines under the "
            f"queue; {sizes.repeat} runs each."
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
                    "staticfiles": {
                        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
                    },
                },
            ),
            transaction.atomic(),
        ):
            bench = _Bench(self, sizes, validate=not options["no_validate"])
            rows = bench.run()
            explained = bench.explain() if options["explain"] else []
            transaction.set_rollback(True)
        self.stdout.write("")
        self._table(rows)
        for title, plan in explained:
            self.stdout.write(f"\n-- {title}\n{plan}")

    def _table(self, rows: list[Row]) -> None:
        header = ("figure", "median", "baseline", "ratio", "goal")
        cells = [
            (
                row.figure,
                _number(row.median, row.unit),
                "-" if row.baseline is None else _number(row.baseline, row.unit),
                "-" if row.ratio is None else f"{row.ratio:.2f}x",
                row.goal + ("" if row.met is None else (" met" if row.met else " MISSED")),
            )
            for row in rows
        ]
        widths = [max(len(str(c[i])) for c in [header, *cells]) for i in range(len(header))]
        for line in [header, tuple("-" * w for w in widths), *cells]:
            self.stdout.write(
                "  ".join(
                    str(c).ljust(w) if i in (0, 4) else str(c).rjust(w)
                    for i, (c, w) in enumerate(zip(line, widths, strict=True))
                ).rstrip()
            )
        self.stdout.write("ratio = median / baseline.")


def _number(value: float, unit: str) -> str:
    if value >= 100:
        text = f"{value:,.0f}"
    elif value >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.3g}"
    return f"{text} {unit}".strip()


def _median(values: Sequence[float]) -> float:
    return statistics.median(values)


def _chunks(items: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _QueryCounter:
    """Counts queries without keeping their SQL (bulk inserts are megabytes each)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


class _Bench:
    def __init__(self, command: Command, sizes: Sizes, *, validate: bool) -> None:
        self.out = command.stdout
        self.sizes = sizes
        self.validate = validate
        self.now = timezone.now()
        self.today = timezone.localdate(self.now)
        self.zone = zoneinfo.ZoneInfo(settings.CLINIC_TIME_ZONE)
        self.token = secrets.token_hex(3).upper()
        self.rows: list[Row] = []

    def note(self, text: str) -> None:
        self.out.write(text)

    def run(self) -> list[Row]:
        started = time.perf_counter()
        self._reference_data()
        total = self.sizes.encounters + self.sizes.baseline_encounters
        self._patients(max(1, -(-total // ENCOUNTERS_PER_PATIENT)))
        ids = self._signed_encounters(0, total)
        self.note(f"Built {total} signed encounters in {time.perf_counter() - started:.1f} s.")
        baseline_ids, batch_ids = (
            ids[: self.sizes.baseline_encounters],
            ids[total - self.sizes.encounters :],
        )

        self._batch(batch_ids, baseline_ids)
        self._engine()
        self._startup()
        self._export()
        self._queue(next_encounter=total)
        self.note(f"Whole run: {time.perf_counter() - started:.0f} s; rolling back.")
        return self.rows

    # Synthetic data

    def _reference_data(self) -> None:
        User = get_user_model()
        prefix = f"bench-{self.token.lower()}"
        self.nurse = User.objects.create(
            username=f"{prefix}-rn1", first_name="Rita", last_name="Nurse"
        )
        self.nurse2 = User.objects.create(
            username=f"{prefix}-rn2", first_name="Ravi", last_name="Checker"
        )
        self.provider = User.objects.create(
            username=f"{prefix}-md", first_name="Mona", last_name="Doctor"
        )
        ClinicianProfile.objects.create(user=self.provider, credential="MD", npi="1234567893")
        self.admin = User.objects.create(
            username=f"{prefix}-admin", is_staff=True, is_superuser=True
        )
        self.payers = Payer.objects.bulk_create(
            Payer(
                code=f"B{self.token}{suffix}",
                name=f"Bench {name}",
                program=program,
                claim_filing_indicator=filing,
                x12_payer_id=f"B{suffix}1",
                allows_99211_with_drug_admin=suffix == "AET",
                modifier25_requires_note=suffix == "BCB",
            )
            for suffix, name, program, filing in (
                ("MCR", "Medicare", Payer.Program.MEDICARE, "MB"),
                ("AET", "Aetna", Payer.Program.COMMERCIAL, "CI"),
                ("BCB", "Blue Cross", Payer.Program.COMMERCIAL, "BL"),
            )
        )
        start = dt.date(2000, 1, 1)
        for code, charge in CHARGES.items():
            ChargeMasterItem.objects.get_or_create(
                code=code, effective_from=start, defaults={"description": code, "charge": charge}
            )
        FeeScheduleEntry.objects.bulk_create(
            FeeScheduleEntry(payer=payer, code=code, allowed_amount=amount, effective_from=start)
            for payer in self.payers
            for code, amount in ALLOWED.items()
        )
        self.practice = PracticeSettings.objects.first() or PracticeSettings.objects.create(
            billing_provider_name="Bench Oncology",
            npi="1811111115",
            tax_id="123456789",
            address_line1="100 Main Street",
            city="Springfield",
            state="IL",
            postal_code="627011234",
            submitter_id="BENCH01",
            receiver_id="CLEARHOUSE",
            contact_name="Billing Office",
            contact_phone="2175550100",
        )

    def _patients(self, count: int) -> None:
        ids: list[int] = []
        for start in range(0, count, INSERT_CHUNK):
            patients = Patient.objects.bulk_create(
                Patient(
                    mrn=f"B{self.token}{i:08d}",
                    last_name=RARE_SURNAME if i == 0 else SURNAMES[i % len(SURNAMES)],
                    first_name=FIRST_NAMES[(i // len(SURNAMES)) % len(FIRST_NAMES)],
                    date_of_birth=dt.date(1940 + i % 50, 1 + i % 12, 1 + i % 28),
                    sex="F" if i % 2 else "M",
                    address_line1=f"{1 + i % 900} Main Street",
                    city="Springfield",
                    state="IL",
                    postal_code="62704",
                )
                for i in range(start, min(count, start + INSERT_CHUNK))
            )
            PatientDiagnosis.objects.bulk_create(
                PatientDiagnosis(patient=patient, code=code, position=position)
                for n, patient in enumerate(patients, start=start)
                for position, code in enumerate(["C18.9", "C78.7"] if n % 5 == 0 else ["C18.9"])
            )
            # One patient in fifty has no coverage on file: their claims hold.
            Coverage.objects.bulk_create(
                Coverage(
                    patient=patient,
                    payer=self.payers[n % len(self.payers)],
                    member_id=f"M{n:09d}",
                    effective_from=dt.date(2000, 1, 1),
                )
                for n, patient in enumerate(patients, start=start)
                if n % 50 != 49
            )
            ids += [p.pk for p in patients]
        self.patient_ids = ids
        self.payer_by_patient = {
            pk: self.payers[n % len(self.payers)] for n, pk in enumerate(ids) if n % 50 != 49
        }

    def _encounter(self, n: int) -> Encounter:
        """Encounter number n: a valid signed refill, varied the way real days vary."""
        patient_index = n % len(self.patient_ids)
        visit = n // len(self.patient_ids)
        day = self.today - dt.timedelta(
            days=visit * DAYS_BETWEEN_REFILLS + patient_index % DAYS_BETWEEN_REFILLS
        )
        started = dt.datetime.combine(day, dt.time(10, 15), tzinfo=self.zone)
        signed = started + dt.timedelta(hours=1)
        return Encounter(
            patient_id=self.patient_ids[patient_index],
            status=Encounter.Status.SIGNED,
            date_of_service=day,
            place_of_service="12" if n % 29 == 0 else "11",
            performing_nurse=self.nurse,
            supervising_practitioner=None if n % 17 == 0 else self.provider,
            weight_kg=Decimal("71.4"),
            weight_measured_on=day,
            cbc_collected_on=day - dt.timedelta(days=10 if n % 19 == 0 else 1),
            cmp_collected_on=day - dt.timedelta(days=1),
            drug_name="fluorouracil",
            drug_antineoplastic=n % 31 != 0,
            drug_concentration_mg_ml=Decimal("50.000"),
            drug_dose_mg=Decimal("2400.00"),
            drug_volume_ml=Decimal("48.00"),
            drug_lot=f"L{n % 997:04d}",
            drug_expires_on=day + dt.timedelta(days=200),
            pump_type="implanted" if n % 13 == 0 else "external",
            pump_model="CADD",
            service="refill",
            rate_ml_h=Decimal("2.00"),
            pump_volume_ml=Decimal("96.00"),
            pump_programmed=True,
            pump_primed=True,
            pump_function_verified=True,
            teaching_alarms=True,
            teaching_site_care=True,
            teach_back_done=True,
            infusion_started_at=started,
            adverse_reaction="none",
            port_flush=n % 10 == 0,
            blood_draw="36591" if n % 23 == 0 else "",
            verified_by=self.nurse2,
            verified_at=signed,
            signed_by=self.nurse,
            signed_at=signed,
            created_by=self.nurse,
        )

    def _signed_encounters(self, first: int, count: int) -> list[int]:
        """Signed encounters with their same-day visits and addenda, as the batch reads them."""
        ids: list[int] = []
        for start in range(first, first + count, INSERT_CHUNK):
            numbers = range(start, min(first + count, start + INSERT_CHUNK))
            encounters = Encounter.objects.bulk_create(self._encounter(n) for n in numbers)
            ProviderVisit.objects.bulk_create(
                ProviderVisit(
                    patient_id=e.patient_id,
                    date_of_service=e.date_of_service,
                    provider=self.provider if code == "99213" else self.nurse2,
                    em_code=code,
                    performed_by_role="physician" if code == "99213" else "registered_nurse",
                    separately_identifiable=True,
                    note="Seen for nausea.",
                    diagnoses=["R11.0"],
                )
                for n, e in zip(numbers, encounters, strict=True)
                for code, every in (("99213", 20), ("99211", 60))
                if n % every == 0
            )
            Addendum.objects.bulk_create(
                Addendum(
                    encounter=e,
                    author=self.nurse,
                    text="Teach-back repeated.",
                    corrections={"teach_back_done": True},
                )
                for n, e in zip(numbers, encounters, strict=True)
                if n % 50 == 0
            )
            ids += [e.pk for e in encounters]
        return ids

    def _queue_claims(self, first: int, count: int) -> None:
        """Claims as they pile up over time (mostly exported), two lines each, for the queue."""
        if count == 0:
            return
        export = ClaimExport.objects.create(
            created_at=self.now,
            format=ClaimExport.Format.X12,
            filename=f"bench-{self.token}.x12",
            sha256="0" * 64,
            content=b"",
            claim_count=count,
        )
        statuses = [
            *[Claim.Status.EXPORTED] * 9,
            *[Claim.Status.READY] * 4,
            *[Claim.Status.HOLD] * 3,
            *[Claim.Status.APPROVED] * 2,
            *[Claim.Status.VOID] * 2,
        ]
        for start in range(first, first + count, INSERT_CHUNK):
            numbers = range(start, min(first + count, start + INSERT_CHUNK))
            encounters = Encounter.objects.bulk_create(self._encounter(n) for n in numbers)
            claims = []
            for n, encounter in zip(numbers, encounters, strict=True):
                payer = self.payer_by_patient.get(encounter.patient_id)
                status = statuses[n % len(statuses)] if payer else Claim.Status.HOLD
                claims.append(
                    Claim(
                        encounter=encounter,
                        patient_id=encounter.patient_id,
                        payer=payer,
                        coverage_id=None,
                        date_of_service=encounter.date_of_service,
                        status=status,
                        decision_status="hold" if status == Claim.Status.HOLD else "billable",
                        hold_reason="Missing: supervising practitioner."
                        if status == Claim.Status.HOLD
                        else "",
                        diagnoses=["Z51.11", "C18.9"],
                        total_charge=CHARGES["96521"] + CHARGES["99213"],
                        decided_at=self.now,
                        export=export if status == Claim.Status.EXPORTED else None,
                    )
                )
            Claim.objects.bulk_create(claims)
            ClaimLine.objects.bulk_create(
                ClaimLine(
                    claim=claim,
                    position=position,
                    code=code,
                    modifiers=modifiers,
                    units=1,
                    place_of_service="11",
                    diagnosis_pointers=[1, 2],
                    charge=CHARGES[code],
                    expected_allowed=ALLOWED[code],
                )
                for claim in claims
                for position, code, modifiers in ((1, "96521", []), (2, "99213", ["25"]))
            )
            ClaimFinding.objects.bulk_create(
                ClaimFinding(
                    claim=claim,
                    position=position,
                    rule=rule,
                    severity=severity,
                    code="96521",
                    message="Synthetic finding.",
                )
                for claim in claims
                for position, (rule, severity) in enumerate(
                    [
                        ("R01", "info"),
                        ("R40", "hold") if claim.status == "hold" else ("R50", "info"),
                    ],
                    start=1,
                )
            )

    # Measurements

    def _batch(self, batch_ids: list[int], baseline_ids: list[int]) -> None:
        counter = _QueryCounter()
        one_at_a_time: list[float] = []
        with connection.execute_wrapper(counter):
            for pk in baseline_ids:
                started = time.perf_counter()
                claim_decide_for_encounter(encounter=Encounter(pk=pk), reason=REASON, now=self.now)
                one_at_a_time.append(time.perf_counter() - started)
        baseline_queries = counter.count * 1000 / max(1, len(baseline_ids))

        per_thousand: list[float] = []
        queries: list[float] = []
        started_all = time.perf_counter()
        for chunk in _chunks(batch_ids, self.sizes.chunk_size):
            counter.count = 0
            with connection.execute_wrapper(counter):
                started = time.perf_counter()
                claims_decide_batch(chunk, reason=REASON, now=self.now)
                per_thousand.append((time.perf_counter() - started) * 1000 / len(chunk))
            queries.append(counter.count * 1000 / len(chunk))
        elapsed = time.perf_counter() - started_all
        self.batch_ids = batch_ids
        full_chunks = queries[: len(batch_ids) // self.sizes.chunk_size] or queries
        self.note(
            f"Batch: {len(batch_ids)} encounters in {elapsed:.1f} s "
            f"({len(batch_ids) / elapsed:,.0f}/s), {len(queries)} chunks of "
            f"{self.sizes.chunk_size}; queries per 1,000 between {min(full_chunks):.0f} and "
            f"{max(full_chunks):.0f} over the full chunks."
        )
        seconds = _median(per_thousand)
        single = _median(one_at_a_time) * 1000
        self.rows += [
            Row("batch: time per 1,000 encounters", seconds, single, "s", "< 1x", seconds < single),
            Row("batch: encounters per second", 1000 / seconds, 1000 / single, "/s"),
            Row(
                "batch: queries per 1,000 encounters",
                _median(queries),
                baseline_queries,
                "",
                "constant",
                max(full_chunks) == min(full_chunks),
            ),
        ]

    def _engine(self) -> None:
        """Per decision, over the mix of facts the batch produced (most refills bill alone,
        some with a same-day visit, a flush or a draw)."""
        samples: list[dict[str, Any]] = list(
            Claim.objects.filter(encounter_id__in=self.batch_ids, facts__isnull=False)
            .order_by("pk")
            .values_list("facts", flat=True)[:500]
        )
        if not samples:
            self.note("Engine: no decided claim to take facts from; skipped.")
            return
        passes = max(1, (200 if self.sizes.repeat <= 2 else 2000) // len(samples))
        blocks = [samples[i : i + 25] for i in range(0, len(samples), 25)]

        # CPU time: both are pure computation, and time spent waiting for a core that other
        # work holds would otherwise count for whichever block was running.
        def engine(block: list[dict[str, Any]]) -> float:
            started = time.process_time()
            for facts in block:
                decide(parse_facts(facts)).to_dict()
            return time.process_time() - started

        def floor(block: list[dict[str, Any]]) -> float:
            started = time.process_time()
            for facts in block:
                json.loads(json.dumps(facts))
            return time.process_time() - started

        engine(samples)
        decisions = passes * len(samples)
        decision, json_floor = [], []
        # Small blocks of each in turn, so that both see the same load on the machine; no
        # garbage collection while timing, as timeit does.
        gc.disable()
        try:
            for _ in range(self.sizes.repeat):
                spent = [0.0, 0.0]
                for _ in range(passes):
                    for block in blocks:
                        spent[0] += engine(block)
                        spent[1] += floor(block)
                decision.append(spent[0] / decisions * 1e6)
                json_floor.append(spent[1] / decisions * 1e6)
        finally:
            gc.enable()
        median = _median(decision)
        baseline = _median(json_floor)
        self.rows.insert(
            0,
            Row(
                f"engine: one decision, mix of {len(samples)} (floor: JSON round trip)",
                median,
                baseline,
                "us",
                "<= 5x",
                median <= 5 * baseline,
            ),
        )

    def _startup(self) -> None:
        """CPU of a whole `manage.py decide_claim` process on the facts of one decided claim,
        and of `manage.py check`, beside `python -c pass` (tools/startup.py)."""
        from tools.startup import DECIDE_CLAIM_GOAL_S, measure

        facts = (
            Claim.objects.filter(encounter_id__in=self.batch_ids, facts__isnull=False)
            .order_by("pk")
            .values_list("facts", flat=True)
            .first()
        )
        if facts is None:
            self.note("Start-up: no decided claim to take facts from; skipped.")
            return
        figures = measure(facts, runs=self.sizes.repeat)
        self.rows += [
            Row(
                "startup: decide_claim process, CPU (vs python -c pass)",
                figures.decide_claim,
                figures.python,
                "s",
                f"<= {DECIDE_CLAIM_GOAL_S:.1f} s",
                figures.decide_claim <= DECIDE_CLAIM_GOAL_S,
            ),
            Row(
                "startup: manage.py check process, CPU (vs python -c pass)",
                figures.check,
                figures.python,
                "s",
            ),
        ]

    def _export(self) -> None:
        ids = list(
            Claim.objects.filter(
                encounter_id__in=self.batch_ids,
                status=Claim.Status.READY,
                coverage__isnull=False,
            )
            .order_by("pk")
            .values_list("pk", flat=True)[: self.sizes.export_claims]
        )
        if len(ids) < self.sizes.export_claims:
            self.note(f"Export: only {len(ids)} ready claims to approve and export.")
        if not ids:
            return
        Claim.objects.filter(pk__in=ids).update(status=Claim.Status.APPROVED)

        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "bench.x12"
            times = [self._write_837p(ids, path) for _ in range(self.sizes.repeat)]
            tracemalloc.start()
            try:
                self._write_837p(ids, path)
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
            size = path.stat().st_size
            validation, problems = self._validate(path) if self.validate else (None, 0)
        seconds = _median(times)
        self.note(
            f"Export: {len(ids)} claims, {size / 1e6:.1f} MB in "
            f"{-(-len(ids) // x12.MAX_CLAIMS)} interchange(s)"
            + ("" if validation is None else f"; pyx12 found {problems} problem(s)")
            + "."
        )
        # The goal is set for 10,000 claims; a smaller file is dominated by fixed costs.
        at_scale = len(ids) >= 10_000
        self.rows += [
            Row(
                f"export: 837P of {len(ids):,} claims to a file (vs pyx12 validation)",
                seconds,
                validation,
                "s",
                "<= 2 s" if at_scale else "(2 s at 10,000)",
                seconds <= 2 if at_scale else None,
            ),
            Row(
                "export: peak memory (tracemalloc)",
                peak / 2**20,
                None,
                "MB",
                "<= 150 MB",
                peak <= 150 * 2**20,
            ),
        ]
        self._export_service()

    def _export_service(self) -> None:
        """The biller's export end to end: lock, write, store the file, mark and audit."""
        times, exported = [], 0
        for _ in range(self.sizes.repeat):
            savepoint = transaction.savepoint()
            started = time.perf_counter()
            export = claims_export(by=self.admin, fmt="x12", now=self.now)
            times.append(time.perf_counter() - started)
            exported = export.claim_count if export is not None else 0
            transaction.savepoint_rollback(savepoint)
        self.rows.append(
            Row(
                f"export: claims_export of {exported:,} claims (lock, write, mark, audit)",
                _median(times),
                None,
                "s",
            )
        )

    def _write_837p(self, ids: list[int], path: Path) -> float:
        started = time.perf_counter()
        remaining = exporting.claims_for_export(ids)
        with path.open("w", encoding="utf-8") as out:
            # One transaction set holds at most x12.MAX_CLAIMS claims: one interchange each.
            for control, _ in enumerate(range(0, len(ids), x12.MAX_CLAIMS), start=1):
                exporting.write_x12(
                    self.practice,
                    itertools.islice(remaining, x12.MAX_CLAIMS),
                    out,
                    control_number=control,
                    now=self.now,
                )
        return time.perf_counter() - started

    def _validate(self, path: Path) -> tuple[float, int]:
        import pyx12.params
        import pyx12.x12n_document

        logger = logging.getLogger("pyx12")
        problems = _Count()
        previous = logger.level, logger.propagate
        logger.addHandler(problems)
        logger.setLevel(logging.ERROR)
        logger.propagate = False
        try:
            started = time.perf_counter()
            with path.open(encoding="utf-8") as source:
                valid = pyx12.x12n_document.x12n_document(
                    param=pyx12.params.params(),
                    src_file=source,
                    fd_997=io.StringIO(),
                    fd_html=None,
                )
            elapsed = time.perf_counter() - started
        finally:
            logger.removeHandler(problems)
            logger.level, logger.propagate = previous
        return elapsed, problems.count + (0 if valid else 1)

    def _queue(self, *, next_encounter: int) -> None:
        started = time.perf_counter()
        lines = ClaimLine.objects.count()
        extra = max(0, -(-(self.sizes.queue_lines - lines) // 2))
        self._queue_claims(next_encounter, extra)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "ANALYZE billing_claim, billing_claimline, billing_claimfinding, "
                    "refills_patient, refills_encounter"
                )
        claims, lines = Claim.objects.count(), ClaimLine.objects.count()
        self.note(
            f"Queue: {claims:,} claims with {lines:,} lines "
            f"(built in {time.perf_counter() - started:.0f} s)."
        )

        with warnings.catch_warnings():
            # WhiteNoise warns once that STATIC_ROOT is missing; pages are measured without it.
            warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
            self._queue_pages()

    def _queue_pages(self) -> None:
        client = Client()
        client.force_login(self.admin)
        medicare = self.payers[0]
        period = {"from": self.today - dt.timedelta(days=90), "to": self.today}
        queue = reverse("billing:queue")
        admin = reverse("admin:billing_claim_changelist")
        pages = [
            ("first page", queue, admin),
            (
                "filtered page",
                queue
                + "?"
                + urlencode(
                    {
                        "status": "hold",
                        "payer": medicare.pk,
                        "date_from": period["from"],
                        "date_to": period["to"],
                    }
                ),
                admin
                + "?"
                + urlencode(
                    {
                        "status__exact": "hold",
                        "payer__id__exact": medicare.pk,
                        "date_of_service__gte": period["from"],
                        "date_of_service__lte": period["to"],
                    }
                ),
            ),
        ]
        counts = []
        for label, ours, theirs in pages:
            mine = self._time_get(client, ours)
            admins = self._time_get(client, theirs)
            self.rows.append(
                Row(
                    f"queue: {label} (vs admin changelist)",
                    mine * 1000,
                    admins * 1000,
                    "ms",
                    "<= 0.33x",
                    mine * 3 <= admins,
                )
            )
            counts.append((_count_queries(client, ours), _count_queries(client, theirs)))
        self.rows.append(
            Row(
                "queue: COUNT queries per request (vs admin)",
                max(c[0] for c in counts),
                max(c[1] for c in counts),
                "",
                "0",
                all(c[0] == 0 for c in counts),
            )
        )
        client.post(queue, {"q": RARE_SURNAME})
        mine = self._time_get(client, queue)
        admins = self._time_get(client, admin + "?" + urlencode({"q": RARE_SURNAME}))
        self.rows.append(
            Row("queue: name search (vs admin search)", mine * 1000, admins * 1000, "ms")
        )

    def _time_get(self, client: Client, url: str) -> float:
        times = []
        for run in range(self.sizes.repeat + 1):
            started = time.perf_counter()
            response = client.get(url)
            if response.status_code != 200:
                raise CommandError(f"GET {url} answered {response.status_code}.")
            if run:  # the first request warms caches
                times.append(time.perf_counter() - started)
        return _median(times)

    def explain(self) -> list[tuple[str, str]]:
        """The plan of the queue's query (its first page) under each filter it offers."""
        medicare = self.payers[0]
        mrn = Patient.objects.filter(pk=self.patient_ids[-1]).values_list("mrn", flat=True).get()
        cases = [
            ("no filter (open claims)", QueueFilters()),
            ("status", QueueFilters(status="hold")),
            ("payer", QueueFilters(payer=medicare.pk)),
            (
                "date range",
                QueueFilters(
                    date_from=self.today - dt.timedelta(days=30),
                    date_to=self.today - dt.timedelta(days=20),
                ),
            ),
            ("rule ID, common (R40)", QueueFilters(rule="R40")),
            ("rule ID, rare (R33)", QueueFilters(rule="R33")),
            ("patient name", QueueFilters(search=RARE_SURNAME)),
            ("patient MRN", QueueFilters(search=mrn)),
        ]
        options = {"analyze": True} if connection.vendor == "postgresql" else {}
        plans = [
            (title, selectors.claim_queue(self.admin, filters)[:26].explain(**options))
            for title, filters in cases
        ]
        # A search first finds the patients (the same terms as the queue's selector).
        for title, word in (("patient name", RARE_SURNAME), ("patient MRN", mrn)):
            patients = Patient.objects.filter(
                Q(last_name__icontains=word) | Q(first_name__icontains=word) | Q(mrn__iexact=word)
            )
            plans.append(
                (f"{title}: the patients", patients.order_by().values("pk").explain(**options))
            )
        return plans


class _Count(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


def _count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    return sum("COUNT(" in query["sql"].upper() for query in captured)
