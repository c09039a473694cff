"""The engine is a pure layer: it runs without Django, the refills app or billing's models."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.billing.facts_example import BASE

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("django", "refills", "billing.models")

# Imports every module under billing/engine and decides a claim, so that imports made inside
# functions count too; prints every module the process then holds.
SCRIPT = """
import json, pkgutil, importlib, sys
import billing.engine
for module in pkgutil.walk_packages(billing.engine.__path__, "billing.engine."):
    importlib.import_module(module.name)
facts = billing.engine.parse_facts(json.loads(sys.stdin.read()))
print(billing.engine.decide(facts).status)
print("\\n".join(sorted(sys.modules)))
"""


def test_engine_imports_nothing_from_django_refills_or_billing_models():
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        input=json.dumps(BASE),
        capture_output=True,
        text=True,
        check=True,
    )
    status, *modules = done.stdout.splitlines()

    forbidden = [
        name
        for name in modules
        if any(name == prefix or name.startswith(f"{prefix}.") for prefix in FORBIDDEN)
    ]
    assert forbidden == []
    assert status == "billable"
    assert {"billing.engine.rules", "billing.engine.diagnoses", "icd10cm"} <= set(modules)
