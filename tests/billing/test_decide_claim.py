"""`manage.py decide_claim` as a script sees it: a real process, stdout, stderr, exit status."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from billing.engine import decide, parse_facts
from billing.management.commands.decide_claim import MAX_INPUT_BYTES

REPO_ROOT = Path(__file__).resolve().parents[2]
SCENARIO = REPO_ROOT / "tests" / "scenarios" / "02-refill-with-separately-identifiable-99213.json"
FACTS: dict[str, Any] = json.loads(SCENARIO.read_text())["facts"]


def changed(path: str, value: object) -> str:
    data = copy.deepcopy(FACTS)
    *parents, leaf = path.split(".")
    target = data
    for key in parents:
        target = target[key]
    if value is None:
        del target[leaf]
    else:
        target[leaf] = value
    return json.dumps(data)


# name -> (input text, field the one stderr line must name). Each process spends seconds
# starting Django, so only the first two run as processes; the rest run the same command
# in-process, where the exit status and streams are equally observable.
REFUSED_IN_PROCESS = {
    "invalid-json": ('{"schema": "refill-facts/1",', "facts"),
    "naive-datetime": (
        changed("documentation.infusion_started_at", "2026-03-04T10:15:00"),
        "documentation.infusion_started_at",
    ),
}
REFUSED = {
    **REFUSED_IN_PROCESS,
    "missing-field": (changed("date_of_service", None), "date_of_service"),
    "bad-claim-type": (changed("claim_type", "institutional"), "claim_type"),
    "bad-program": (changed("payer.program", "medicaid"), "payer.program"),
    "non-decimal-charge": (changed("charges.96521", 175), "charges.96521"),
    "not-an-object": ("[1, 2]", "facts"),
    "too-large": (" " * MAX_INPUT_BYTES + json.dumps(FACTS), "facts"),
    "unreadable-file": (None, "FILE"),
}


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    """Every invocation of this module, started together: each process pays Django's start-up."""
    facts_file = tmp_path_factory.mktemp("facts") / "facts.json"
    facts_file.write_text(json.dumps(FACTS))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.test_settings"}
    invocations = {
        "file": (str(facts_file), ""),
        "stdin": ("-", json.dumps(FACTS)),
        **{name: ("-", text) for name, (text, _field) in REFUSED_IN_PROCESS.items()},
    }
    processes = {
        name: (
            subprocess.Popen(
                [sys.executable, "manage.py", "decide_claim", argument],
                cwd=REPO_ROOT,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            ),
            text,
        )
        for name, (argument, text) in invocations.items()
    }
    results = {}
    for name, (process, text) in processes.items():
        stdout, stderr = process.communicate(text, timeout=120)
        results[name] = Run(process.returncode, stdout, stderr)
    return results


@pytest.mark.parametrize("name", ["file", "stdin"])
def test_valid_facts_print_the_engine_decision(runs, name):
    run = runs[name]

    assert (run.returncode, run.stderr) == (0, "")
    assert json.loads(run.stdout) == decide(parse_facts(FACTS)).to_dict()
    assert run.stdout.startswith('{\n  "schema": "refill-decision/1"')


@pytest.mark.parametrize("name", sorted(REFUSED_IN_PROCESS))
def test_process_refusing_input_exits_2_with_one_line_naming_the_field(runs, name):
    run = runs[name]
    field = REFUSED[name][1]

    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr.endswith("\n")
    assert len(run.stderr.splitlines()) == 1, run.stderr
    assert run.stderr.startswith(f"{field}: ")


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_command_refusing_input_exits_2_with_one_line_naming_the_field(name, tmp_path, capsys):
    text, field = REFUSED[name]
    facts_file = tmp_path / "facts.json"
    if text is not None:
        facts_file.write_text(text)

    with pytest.raises(SystemExit) as exit_:
        call_command("decide_claim", str(facts_file))

    out, err = capsys.readouterr()
    assert exit_.value.code == 2
    assert out == ""
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"{field}: ")
