"""`manage.py bench --quick` runs end to end and leaves the database as it found it.

Figures are printed for people to read; timings are never asserted here.
"""

from __future__ import annotations

import io

from django.core.management import call_command

from billing.models import Claim, ClaimLine, Payer
from refills.models import Encounter, Patient


def test_quick_bench_prints_the_table_and_rolls_back(db):
    out = io.StringIO()

    call_command("bench", "--quick", stdout=out)

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
        "queue: COUNT queries per request (vs admin)",
    ):
        assert figure in text
    assert "pyx12 found 0 problem(s)" in text
    for model in (Patient, Encounter, Claim, ClaimLine, Payer):
        assert not model.objects.exists(), model.__name__
