"""What a process that serves no pages loads when Django starts: the models, the admin and
the signal receivers, not the X12 readers (pyx12 and its maps) or the remittance services,
which only the import pages and commands need (docs/benchmarks.md, "Start-up")."""

from __future__ import annotations

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
