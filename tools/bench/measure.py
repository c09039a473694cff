"""The measurements, each beside a baseline measured on the same machine in the same run.

1. engine: one decision, against `json.loads` + `json.dumps` of the same facts (the floor);
   start-up: the CPU of a whole `manage.py decide_claim` process (and of `manage.py check`),
   against `python -c pass`;
2. batch: deciding and storing claims a chunk at a time, against one encounter at a time;
3. export: the 837P of the approved claims streamed to a file, beside the time pyx12 takes
   to validate that file;
4. biller queue: its first page and a filtered page, against the Django admin changelist
   over the same rows.
"""

from __future__ import annotations

import datetime as dt
import gc
import io
import itertools
import json
import logging
import statistics
import tempfile
import time
import tracemalloc
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlencode

from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from billing import exporting, selectors, x12
from billing.engine import decide, parse_facts
from billing.models import Claim, ClaimLine
from billing.selectors import QueueFilters
from billing.services import claim_decide_for_encounter, claims_decide_batch, claims_export
from refills.models import Encounter, Patient
from tools.bench.data import ENCOUNTERS_PER_PATIENT, RARE_SURNAME, Dataset

REASON = "benchmark"
# One decision may cost at most this many JSON round trips of its facts.
ENGINE_GOAL_RATIO = 2
# What ``--keep`` vacuums and analyses before it measures the queue again.
VACUUMED = (
    "billing_claim",
    "billing_claimline",
    "billing_claimfinding",
    "refills_patient",
    "refills_encounter",
)


@dataclass(frozen=True)
class Sizes:
    encounters: int
    baseline_encounters: int
    export_claims: int
    queue_lines: int
    repeat: int = 5
    chunk_size: int = 1_000


DEFAULT_SIZES = {
    "postgresql": Sizes(
        encounters=100_000, baseline_encounters=1_000, export_claims=10_000, queue_lines=1_000_000
    ),
    "sqlite": Sizes(
        encounters=10_000, baseline_encounters=200, export_claims=1_000, queue_lines=100_000
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


def number(value: float, unit: str) -> str:
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


class Bench:
    """Builds the synthetic data, then takes each measurement; ``run`` returns the rows."""

    def __init__(self, out: TextIO, sizes: Sizes, *, validate: bool) -> None:
        self.out = out
        self.sizes = sizes
        self.validate = validate
        self.data = Dataset()
        self.rows: list[Row] = []

    def note(self, text: str) -> None:
        print(text, file=self.out)

    def run(self) -> list[Row]:
        started = time.perf_counter()
        self.data.add_reference_data()
        total = self.sizes.encounters + self.sizes.baseline_encounters
        self.data.add_patients(max(1, -(-total // ENCOUNTERS_PER_PATIENT)))
        ids = self.data.add_signed_encounters(0, total)
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
        self.note(f"Whole run: {time.perf_counter() - started:.0f} s.")
        return self.rows

    def _batch(self, batch_ids: list[int], baseline_ids: list[int]) -> None:
        counter = _QueryCounter()
        one_at_a_time: list[float] = []
        with connection.execute_wrapper(counter):
            for pk in baseline_ids:
                started = time.perf_counter()
                claim_decide_for_encounter(
                    encounter=Encounter(pk=pk), reason=REASON, now=self.data.now
                )
                one_at_a_time.append(time.perf_counter() - started)
        baseline_queries = counter.count * 1000 / max(1, len(baseline_ids))

        per_thousand: list[float] = []
        queries: list[float] = []
        started_all = time.perf_counter()
        for chunk in _chunks(batch_ids, self.sizes.chunk_size):
            counter.count = 0
            with connection.execute_wrapper(counter):
                started = time.perf_counter()
                claims_decide_batch(chunk, reason=REASON, now=self.data.now)
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
        samples: list[Any] = list(
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
                f"<= {ENGINE_GOAL_RATIO}x",
                median <= ENGINE_GOAL_RATIO * baseline,
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
            export = claims_export(by=self.data.admin, fmt="x12", now=self.data.now)
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
                    self.data.practice,
                    itertools.islice(remaining, x12.MAX_CLAIMS),
                    out,
                    control_number=control,
                    now=self.data.now,
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
        self.data.add_queue_claims(next_encounter, extra)
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

    def queue_vacuumed(self) -> None:
        """The queue's rows again once the data is committed and vacuumed (``--keep``): the
        visibility map is then set, as autovacuum keeps it on a live database, and PostgreSQL
        may answer from an index alone; a rolled-back run never can."""
        with connection.cursor() as cursor:
            for table in VACUUMED:
                cursor.execute(f"VACUUM ANALYZE {table}")
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
            self._queue_pages(", committed and vacuumed")

    def _filtered_page(self) -> QueueFilters:
        """What the filtered page asks for: a status, a payer and the last 90 days."""
        return QueueFilters(
            status=Claim.Status.HOLD,
            payer=self.data.payers[0].pk,
            date_from=self.data.today - dt.timedelta(days=90),
            date_to=self.data.today,
        )

    def _queue_pages(self, where: str = "") -> None:
        client = Client()
        client.force_login(self.data.admin)
        filtered = self._filtered_page()
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
                        "status": filtered.status,
                        "payer": filtered.payer,
                        "date_from": filtered.date_from,
                        "date_to": filtered.date_to,
                    }
                ),
                admin
                + "?"
                + urlencode(
                    {
                        "status__exact": filtered.status,
                        "payer__id__exact": filtered.payer,
                        "date_of_service__gte": filtered.date_from,
                        "date_of_service__lte": filtered.date_to,
                    }
                ),
            ),
        ]
        counts, totals = [], []
        for label, ours, theirs in pages:
            mine = self._time_get(client, ours)
            admins = self._time_get(client, theirs)
            self.rows.append(
                Row(
                    f"queue: {label} (vs admin changelist{where})",
                    mine * 1000,
                    admins * 1000,
                    "ms",
                    "<= 0.33x",
                    mine * 3 <= admins,
                )
            )
            queries = _queries(client, ours)
            counts.append((_paginator_counts(queries), _paginator_counts(_queries(client, theirs))))
            totals.append(sum(_is_totals(sql) for sql, _ in queries))
            self.rows.append(
                Row(
                    f"queue: {label}, its totals by status query alone{where}",
                    sum(ms for sql, ms in queries if _is_totals(sql)),
                    None,
                    "ms",
                )
            )
        # The queue pages by fetching one row more than a page: it never counts (COUNT(*)
        # AS "__count", what QuerySet.count() and so Django's paginator send). Its totals by
        # status are a deliberate aggregate, reported on their own row.
        self.rows.append(
            Row(
                f"queue: paginator COUNT queries per request (vs admin{where})",
                max(c[0] for c in counts),
                max(c[1] for c in counts),
                "",
                "0",
                all(c[0] == 0 for c in counts),
            )
        )
        self.rows.append(
            Row(
                f"queue: totals by status aggregate queries per request{where}",
                max(totals),
                None,
                "",
            )
        )
        if where:
            return
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
                raise RuntimeError(f"GET {url} answered {response.status_code}.")
            if run:  # the first request warms caches
                times.append(time.perf_counter() - started)
        return _median(times)

    def explain(self) -> list[tuple[str, str]]:
        """The plan of the queue's query (its first page) under each filter it offers."""
        medicare = self.data.payers[0]
        mrn = (
            Patient.objects.filter(pk=self.data.patient_ids[-1]).values_list("mrn", flat=True).get()
        )
        cases = [
            ("no filter (open claims)", QueueFilters()),
            ("status", QueueFilters(status=Claim.Status.HOLD)),
            ("payer", QueueFilters(payer=medicare.pk)),
            (
                "date range",
                QueueFilters(
                    date_from=self.data.today - dt.timedelta(days=30),
                    date_to=self.data.today - dt.timedelta(days=20),
                ),
            ),
            ("rule ID, common (R40)", QueueFilters(rule="R40")),
            ("rule ID, rare (R33)", QueueFilters(rule="R33")),
            ("patient name", QueueFilters(search=RARE_SURNAME)),
            ("patient MRN", QueueFilters(search=mrn)),
        ]
        options: dict[str, Any] = {"analyze": True} if connection.vendor == "postgresql" else {}
        plans = [
            (title, selectors.claim_queue(self.data.admin, filters)[:26].explain(**options))
            for title, filters in cases
        ]
        # The totals by status: unfiltered, those the database keeps; with the filtered
        # page's filters, over every claim they match.
        plans.append(
            (
                "totals by status, no filter",
                selectors.status_totals_query(selectors.QUEUE_STATUSES).explain(**options),
            )
        )
        claims = selectors.claim_queue(self.data.admin, self._filtered_page())
        plans.append(
            (
                "totals by status, filtered page",
                selectors.queue_totals_query(claims).explain(**options),
            )
        )
        # A search first finds the patients (the same terms as the queue's selector).
        for title, word in (("patient name", RARE_SURNAME), ("patient MRN", mrn)):
            patients = Patient.objects.matching(word)
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


def _queries(client: Client, url: str) -> list[tuple[str, float]]:
    """The SQL of each query one GET sends, with its time in milliseconds."""
    timed: list[tuple[str, float]] = []

    def timer(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            timed.append((sql, (time.perf_counter() - started) * 1000))

    with connection.execute_wrapper(timer):
        client.get(url)
    return timed


def _paginator_counts(queries: list[tuple[str, float]]) -> int:
    return sum('AS "__count"' in sql for sql, _ in queries)


def _is_totals(sql: str) -> bool:
    """The queue's totals: the claims' count and charge grouped by status, or the totals by
    status the database keeps."""
    return "GROUP BY" in sql and (
        sql.startswith('SELECT "billing_claim"."status" AS "status", COUNT(')
        or sql.startswith('SELECT "billing_claimstatustotal"."status" AS "status"')
    )
