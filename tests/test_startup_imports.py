"""What a process that serves no pages loads when Django starts: the models, the admin and
the signal receivers, not the X12 readers (pyx12 and its maps) or the remittance services,
which only the import pages and commands need (docs/benchmarks.md, "Start-up")."""

from __future__ import annotations

import ast
import importlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LEFT_FOR_LATER = (
    "pyx12",
    "billing.inbound",
    "billing.services.remittance",
    "billing.services.deciding",
    "billing.dashboard",
)

SCRIPT = """
import sys
import django
django.setup()
print("\\n".join(sorted(sys.modules)))
"""


def loaded_at_start_up() -> set[str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.test_settings"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return set(done.stdout.splitlines())


def test_start_up_leaves_the_x12_readers_and_remittance_for_later():
    modules = loaded_at_start_up()

    early = sorted(
        name
        for name in modules
        if any(name == prefix or name.startswith(f"{prefix}.") for prefix in LEFT_FOR_LATER)
    )
    assert early == []
    # Start-up did load the apps: the admin modules and what billing registers with refills.
    assert {"billing.admin", "billing.links", "refills.admin"} <= modules


def test_the_lazy_billing_services_agree_on_where_each_name_lives():
    """`billing.services` names each service three times: where it lives (``_HOMES``), what
    it exports (``__all__``) and what type checkers import. The three lists agree, and each
    name is the object its home module defines."""
    import billing.services as services

    tree = ast.parse(Path(services.__file__).read_text(encoding="utf-8"))
    type_checked = {
        alias.asname or alias.name: node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("billing.")
        for alias in node.names
    }

    assert type_checked == services._HOMES
    assert sorted(services.__all__) == sorted(services._HOMES)
    for name, home in services._HOMES.items():
        assert getattr(services, name) is getattr(importlib.import_module(home), name), name
