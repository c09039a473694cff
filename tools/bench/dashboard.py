"""The billing dashboard on a million claim lines: build the data in SQL, then time the page
and show the plan of every query it runs (see docs/benchmarks.md, "Dashboard on 1M claim
lines").

    createdb -h 127.0.0.1 -U postgres pumprefill_dash_bench
    export DJANGO_DEBUG=true DATABASE_URL=postgresql://postgres@127.0.0.1:5432/pumprefill_dash_bench
    python manage.py migrate
    python -m tools.bench.dashboard --lines 1000000     # builds, measures, prints Markdown
    python -m tools.bench.dashboard --measure-only      # measures what an earlier run built

PostgreSQL only. Unlike `python -m tools.bench`, the rows stay (the plans depend on a
vacuumed, analysed table, which a rolled-back transaction cannot give): use a database of
its own and drop it afterwards.

The claims are copied in SQL from one template claim (its encounter, its two lines) with
generate_series, every date and time shifted back together, so that each row satisfies the
same constraints as the template; a million lines take well under a minute. Claims age the
way a practice's do: the last days not yet sent, the last month at the payer, older ones
paid, partially paid, denied, appealed or void, with their 835 payments, line payments and
adjustments (CARC) in proportion.
"""

# The SQL is put together from the models' own column names and this module's constants;
# every value arrives as a parameter.
# ruff: noqa: S608
from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, TextIO

import django

if TYPE_CHECKING:
    from django.db.models import QuerySet

# The denial reasons the synthetic remittances give, in turn.
DENIAL_CARCS = ["4", "97", "16", "50", "29", "197", "204", "B7"]


def _columns(model, overrides: dict[str, str], *, alias: str, shift: str | None) -> tuple[str, str]:
    """The column list of ``model`` and the SELECT expressions copying its row ``alias``:
    ``overrides`` by column, dates and times moved back ``shift`` days, the rest as is."""
    names, values = [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        column = field.column
        names.append(f'"{column}"')
        if column in overrides:
            values.append(overrides[column])
        elif shift and field.get_internal_type() == "DateField":
            values.append(f'{alias}."{column}" - {shift}')
        elif shift and field.get_internal_type() == "DateTimeField":
            values.append(f"{alias}.\"{column}\" - {shift} * interval '1 day'")
        else:
            values.append(f'{alias}."{column}"')
    return ", ".join(names), ", ".join(values)


class Builder:
    def __init__(self, out: TextIO, lines: int, patients: int) -> None:
        self.out = out
        self.claims = lines // 2
        self.patients = patients

    def note(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def run(self) -> None:
        from django.db import connection, transaction

        from billing.models import Claim, ClaimExport, ClaimLine
        from refills.models import Encounter
        from tools.bench.data import Dataset

        started = time.perf_counter()
        with transaction.atomic():
            data = Dataset()
            data.add_reference_data()
            data.add_patients(self.patients)
            data.add_queue_claims(0, 1)
            template = Claim.objects.filter(patient_id__in=data.patient_ids).latest("id")
            # The template is exported: every sent claim keeps the export constraint.
            if template.export_id is None:
                raise RuntimeError("the template claim should be exported")
            today = data.today
            payers = [p.pk for p in data.payers]
            with connection.cursor() as cursor:
                self._encounters(cursor, Encounter, template.encounter_id, data.patient_ids)
                self._exports(cursor, ClaimExport, template.export_id, today)
                self._claims(cursor, Claim, template.pk, payers, today)
                self._lines(cursor, ClaimLine, template.pk)
                self._remittances(cursor, today)
        self.note(f"Built in {time.perf_counter() - started:.0f} s; vacuuming and analysing.")
        with connection.cursor() as cursor:
            # The claims' payment totals were written by one UPDATE, which left a new version
            # of every answered claim at the table's end: put the table back in id order, as
            # it was built, so that the plans are not those of that UPDATE's layout (see
            # docs/benchmarks.md).
            cursor.execute("CLUSTER billing_claim USING billing_claim_pkey")
            for table in (
                "refills_encounter",
                "billing_claim",
                "billing_claimline",
                "billing_claimexport",
                "billing_claimpayment",
                "billing_linepayment",
                "billing_paymentadjustment",
                "billing_paymentremark",
            ):
                cursor.execute(f"VACUUM ANALYZE {table}")
        self.note(f"Ready after {time.perf_counter() - started:.0f} s.")

    def _encounters(self, cursor, model, template_id: int, patient_ids: list[int]) -> None:
        self.first_encounter = self._next_id(cursor, "refills_encounter")
        # Encounter g: patient g mod P, every 11 days back from today, staggered by patient.
        patients = len(patient_ids)
        back = f"((g / {patients}) * 11 + (g %% {patients}) %% 11)"
        names, values = _columns(
            model,
            {"patient_id": f"(%s::bigint[])[g %% {patients} + 1]"},
            alias="t",
            shift=back,
        )
        cursor.execute(
            f"INSERT INTO refills_encounter ({names}) SELECT {values} "
            f"FROM refills_encounter t CROSS JOIN generate_series(0, %s) AS g WHERE t.id = %s",
            [patient_ids, self.claims - 1, template_id],
        )
        self.note(f"{cursor.rowcount:,} encounters.")

    def _exports(self, cursor, model, template_id: int, today: dt.date) -> None:
        # One export a day at 17:00 in the clinic's zone, named by the day it was sent.
        names, values = _columns(
            model,
            {
                "filename": "'dash-' || (%s::date - d)::text",
                "created_at": "t.created_at - d * interval '1 day'",
                "interchange_control_number": "NULL",
            },
            alias="t",
            shift=None,
        )
        cursor.execute(
            f"INSERT INTO billing_claimexport ({names}) SELECT {values} "
            f"FROM billing_claimexport t CROSS JOIN generate_series(0, %s) AS d WHERE t.id = %s",
            [today, (self.claims // self.patients + 2) * 11 + 20, template_id],
        )

    def _claims(self, cursor, model, template_id: int, payers: list[int], today) -> None:
        self.first_claim = self._next_id(cursor, "billing_claim")
        age = "(%(today)s::date - e.date_of_service)"
        # Hundredths of claims, by id, that each status takes at each age.
        status = f"""CASE
            WHEN {age} < 3 THEN (ARRAY['hold', 'ready', 'approved'])[e.id %% 3 + 1]
            WHEN {age} < 30 THEN CASE WHEN e.id %% 10 < 4 THEN 'exported'
                WHEN e.id %% 10 < 8 THEN 'accepted' ELSE 'paid' END
            ELSE CASE WHEN e.id %% 100 < 70 THEN 'paid' WHEN e.id %% 100 < 80 THEN 'partially_paid'
                WHEN e.id %% 100 < 88 THEN 'denied' WHEN e.id %% 100 < 90 THEN 'appealed'
                WHEN e.id %% 100 < 92 THEN 'void' ELSE 'accepted' END
        END"""
        sent = f"({age} >= 3 AND NOT ({age} >= 30 AND e.id %% 100 BETWEEN 90 AND 91))"
        names, values = _columns(
            model,
            {
                "encounter_id": "e.id",
                "patient_id": "e.patient_id",
                "date_of_service": "e.date_of_service",
                "payer_id": f"(%(payers)s::bigint[])[e.patient_id %% {len(payers)} + 1]",
                "coverage_id": "NULL",
                "status": status,
                "export_id": f"CASE WHEN {sent} THEN x.id END",
                "decided_at": "t.decided_at",
            },
            alias="t",
            shift=None,
        )
        cursor.execute(
            f"INSERT INTO billing_claim ({names}) SELECT {values} "
            "FROM billing_claim t CROSS JOIN refills_encounter e "
            "LEFT JOIN billing_claimexport x "
            "ON x.filename = 'dash-' || (e.date_of_service + 2)::text "
            "WHERE t.id = %(template)s AND e.id >= %(first)s",
            {
                "today": today,
                "payers": payers,
                "template": template_id,
                "first": self.first_encounter,
            },
        )
        self.note(f"{cursor.rowcount:,} claims.")

    def _lines(self, cursor, model, template_id: int) -> None:
        names, values = _columns(model, {"claim_id": "c.id"}, alias="t", shift=None)
        cursor.execute(
            f"INSERT INTO billing_claimline ({names}) SELECT {values} "
            "FROM billing_claimline t CROSS JOIN billing_claim c "
            "WHERE t.claim_id = %s AND c.id >= %s",
            [template_id, self.first_claim],
        )
        self.note(f"{cursor.rowcount:,} claim lines.")

    def _remittances(self, cursor, today: dt.date) -> None:
        from django.conf import settings

        cursor.execute(
            "INSERT INTO billing_x12import (kind, filename, sha256, content, imported_at, "
            "interchange_control_number, sender_id, outcome, claim_count, unmatched_count) "
            "VALUES ('835', 'dash-bench.835', md5(random()::text) || md5(random()::text), "
            "'', now(), '000000001', 'BENCH', 'synthetic', 0, 0) RETURNING id"
        )
        (x12,) = cursor.fetchone()
        share = "CASE c.status WHEN 'paid' THEN 0.8 WHEN 'partially_paid' THEN 0.5 ELSE 0 END"
        # Paid 7 to 56 days after the export, never after today.
        paid_on = (
            "LEAST(%(today)s::date, "
            "(x.created_at AT TIME ZONE 'UTC')::date + (7 + c.id %% 50)::int)"
        )
        cursor.execute(
            "INSERT INTO billing_claimpayment (x12_import_id, claim_id, claim_number, "
            "status_code, charge, paid, allowed, patient_responsibility, filing_indicator, "
            "payer_claim_control_number, frequency, payment_date, trace_number, payer_name, "
            "payer_identifier, position, posted_status) "
            f"SELECT %(x12)s, c.id, c.id::text, CASE WHEN c.status IN ('denied', 'appealed') "
            f"THEN '4' ELSE '1' END, c.total_charge, round(c.total_charge * {share} * 0.7, 2), "
            f"round(c.total_charge * {share} * 0.8, 2), 0, 'CI', 'PCN' || c.id, '', {paid_on}, "
            "'EFT' || c.id, 'Bench payer', '', c.id, c.status "
            "FROM billing_claim c JOIN billing_claimexport x ON x.id = c.export_id "
            "WHERE c.id >= %(first)s "
            "AND c.status IN ('paid', 'partially_paid', 'denied', 'appealed')",
            {"x12": x12, "today": today, "first": self.first_claim},
        )
        self.note(f"{cursor.rowcount:,} claim payments.")
        cursor.execute(
            "INSERT INTO billing_linepayment (payment_id, claim_line_id, procedure, modifiers, "
            "charge, paid, allowed, units, original_procedure, line_control_number, position) "
            f"SELECT p.id, l.id, l.code, l.modifiers, l.charge, "
            f"round(coalesce(l.expected_allowed, 0) * {share}, 2), "
            f"CASE WHEN c.status IN ('denied', 'appealed') THEN 0 "
            "ELSE coalesce(l.expected_allowed, 0) END, l.units, '', '', l.position "
            "FROM billing_claimpayment p JOIN billing_claim c ON c.id = p.claim_id "
            "JOIN billing_claimline l ON l.claim_id = c.id WHERE p.x12_import_id = %s",
            [x12],
        )
        self.note(f"{cursor.rowcount:,} line payments.")
        cursor.execute(
            "INSERT INTO billing_paymentadjustment (payment_id, line_id, claim_id, "
            'date_of_service, "group", reason, amount, position) '
            "SELECT lp.payment_id, lp.id, c.id, c.date_of_service, "
            "CASE c.status WHEN 'partially_paid' THEN 'PR' ELSE 'CO' END, "
            "CASE c.status WHEN 'paid' THEN '45' WHEN 'partially_paid' THEN '2' "
            "ELSE (%s::text[])[c.id %% %s + 1] END, lp.charge - lp.paid, lp.position "
            "FROM billing_linepayment lp JOIN billing_claimpayment p ON p.id = lp.payment_id "
            "JOIN billing_claim c ON c.id = p.claim_id WHERE p.x12_import_id = %s",
            [DENIAL_CARCS, len(DENIAL_CARCS), x12],
        )
        self.note(f"{cursor.rowcount:,} adjustments.")
        # What the 835 posting keeps on each claim (billing.services.remittance.claim_totals):
        # each claim here has one payment, the one that stands when it paid.
        cursor.execute(
            "UPDATE billing_claim c SET allowed_amount = s.allowed, paid_amount = s.paid, "
            "payment_days = s.paid_on - (x.created_at AT TIME ZONE %s)::date "
            "FROM (SELECT l.claim_id, sum(lp.allowed) AS allowed, sum(lp.paid) AS paid, "
            "max(p.payment_date) FILTER (WHERE p.paid > 0) AS paid_on "
            "FROM billing_claimpayment p JOIN billing_linepayment lp ON lp.payment_id = p.id "
            "JOIN billing_claimline l ON l.id = lp.claim_line_id "
            "WHERE p.x12_import_id = %s GROUP BY l.claim_id) s, billing_claimexport x "
            "WHERE c.id = s.claim_id AND x.id = c.export_id",
            [settings.TIME_ZONE, x12],
        )
        self.note(f"{cursor.rowcount:,} claims with their payment totals.")

    @staticmethod
    def _next_id(cursor, table: str) -> int:
        cursor.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}")
        return cursor.fetchone()[0]


def _median_ms(action: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def measure(out: TextIO, repeat: int) -> None:
    from django.contrib.auth import get_user_model
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections, connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from django.utils import timezone

    from billing import dashboard
    from billing.models import Claim, ClaimLine
    from billing.selectors import QueueFilters, claim_queue

    today = timezone.localdate()
    period = dashboard.Period(today - dt.timedelta(days=dashboard.DEFAULT_DAYS - 1), today)
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        (version,) = cursor.fetchone()
    print(
        f"{version.split(' on ')[0]}; {Claim.objects.count():,} claims, "
        f"{ClaimLine.objects.count():,} claim lines.\n",
        file=out,
    )

    admin = get_user_model().objects.filter(is_superuser=True).first()
    if admin is None:
        raise RuntimeError("the bench database has no superuser: build it first")
    client = Client()
    client.force_login(admin)
    url = reverse("billing:dashboard")
    # One connection for the whole run, as a server with persistent connections keeps it.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    response = client.get(url)  # warm the caches once
    assert response.status_code == 200, response.status_code
    counted: list[str] = []

    def count(execute, sql, params, many, context):
        counted.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        client.get(url)
    page_ms = _median_ms(lambda: client.get(url), repeat)
    print("| figure | queries | median |\n| --- | --- | --- |", file=out)
    print(f"| the whole page, `GET {url}` | {len(counted)} | {page_ms:.0f} ms |", file=out)

    figures: list[tuple[str, Callable[[], Any]]] = [
        ("claims by status", lambda: dashboard.claims_by_status(period)),
        ("A/R aging", lambda: dashboard.ar_aging(today)),
        ("denial rate by payer", lambda: dashboard.denials_by_payer(period)),
        ("denials by reason", lambda: dashboard.denials_by_reason(period)),
        ("days from export to payment", lambda: dashboard.days_to_payment(period)),
        ("paid against expected", lambda: dashboard.paid_against_expected(period)),
    ]
    queue = [
        ("queue: A/R 31-60 days", QueueFilters(age="31-60")),
        (
            "queue: denied with CARC 97",
            QueueFilters(status="denied", carc="97", date_from=period.first, date_to=period.last),
        ),
        (
            "queue: paid 15-30 days after export",
            QueueFilters(paid_in="15-30", date_from=period.first, date_to=period.last),
        ),
        (
            "queue: answered by one payer",
            QueueFilters(
                outcome="answered",
                payer=Claim.objects.filter(payer__isnull=False)
                .values_list("payer_id", flat=True)
                .first(),
                date_from=period.first,
                date_to=period.last,
            ),
        ),
    ]
    plans: list[tuple[str, str]] = []
    for title, figure in figures:
        with CaptureQueriesContext(connection) as captured:
            figure()
        ms = _median_ms(figure, repeat)
        print(f"| {title} | {len(captured)} | {ms:.0f} ms |", file=out)
        for n, query in enumerate(captured, start=1):
            plans.append((f"{title} ({n} of {len(captured)})", _explain(connection, query["sql"])))
    for title, filters in queue:
        claims = claim_queue(admin, filters)
        ms = _median_ms(partial(_first_page, claims), repeat)
        print(f"| {title} (first page) | 1 | {ms:.0f} ms |", file=out)
        plans.append((title, claims[:26].explain(analyze=True, buffers=True)))
    for title, plan in plans:
        print(f"\n{title}:\n\n```\n{plan}\n```", file=out)


def _first_page(claims: QuerySet[Any]) -> list[Any]:
    return list(claims[:26])


def _explain(connection, sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def main(argv: Sequence[str] | None = None, out: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.bench.dashboard")
    parser.add_argument("--lines", type=int, default=1_000_000, help="claim lines to build")
    parser.add_argument("--patients", type=int, default=12_000)
    parser.add_argument("--repeat", type=int, default=5, help="runs of each measurement")
    parser.add_argument("--measure-only", action="store_true", help="build nothing")
    options = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import override_settings

    if connection.vendor != "postgresql":
        parser.error("the dashboard bench runs on PostgreSQL (set DATABASE_URL)")
    with override_settings(
        DEBUG=False,
        ALLOWED_HOSTS=["testserver"],
        SECURE_SSL_REDIRECT=False,
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
    ):
        if not options.measure_only:
            Builder(out, options.lines, options.patients).run()
        measure(out, options.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
