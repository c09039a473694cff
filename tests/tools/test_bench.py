"""`python -m tools.bench --quick` runs end to end and leaves the database as it found it.

Figures are printed for people to read; timings are never asserted here.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import get_commands
from django.db import connection

from billing.models import Claim, ClaimLine, Payer
from refills.models import Encounter, Patient
from tests.factories import claim_row
from tools.bench.run import main

ROOT = Path(__file__).resolve().parents[2]


def test_quick_bench_prints_the_table_and_rolls_back(db):
    out = io.StringIO()

    assert main(["--quick"], stdout=out) == 0

    text = out.getvalue()
    header = next(line for line in text.splitlines() if line.startswith("figure"))
    assert header.split() == ["figure", "median", "baseline", "ratio", "goal"]
    for figure in (
        "engine: one decision",
        "startup: decide_claim process, CPU (vs python -c pass)",
        "startup: manage.py check process, CPU (vs python -c pass)",
        "batch: queries per 1,000 encounters",
        "export: 837P of 20 claims",
        "export: claims_export of 20 claims",
        "queue: first page (vs admin changelist)",
        "queue: first page, its totals by status query alone",
    ):
        assert figure in text
    # The queue never asks the paginator's COUNT (the admin asks two: the filtered rows and
    # all of them); its totals by status are one aggregate, reported as such.
    counts = _row(text, "queue: paginator COUNT queries per request (vs admin)")
    assert counts[0] == "0"
    assert int(counts[1]) >= 1
    assert counts[-2:] == ["0", "met"]
    assert _row(text, "queue: totals by status aggregate queries per request") == [
        "1",
        "-",
        "-",
    ]
    assert "pyx12 found 0 problem(s)" in text
    for model in (Patient, Encounter, Claim, ClaimLine, Payer):
        assert not model.objects.exists(), model.__name__


def _row(text: str, figure: str) -> list[str]:
    (line,) = [line for line in text.splitlines() if line.startswith(figure + "  ")]
    return line[len(figure) :].split()


def test_keep_needs_a_scratch_postgresql_database(db, capsys):
    if connection.vendor == "postgresql":
        claim_row()
        refusal = "--keep needs a scratch database with no claims"
    else:
        refusal = "--keep measures what PostgreSQL's VACUUM changes: use DATABASE_URL"

    with pytest.raises(SystemExit) as exited:
        main(["--quick", "--keep"], stdout=io.StringIO())

    assert exited.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1].endswith(refusal)
    assert Claim.objects.count() == (1 if connection.vendor == "postgresql" else 0)


def test_the_module_runs_as_a_program_and_refuses_an_empty_size():
    done = subprocess.run(
        [sys.executable, "-m", "tools.bench", "--encounters", "0"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_DEBUG": "true", "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines()[-1] == (
        "python -m tools.bench: error: every size must be at least 1"
    )


def test_the_shipped_app_has_no_bench_command():
    assert "bench" not in get_commands()
