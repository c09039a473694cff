"""`manage.py decide_claim` as a script sees it: a real process, stdout, stderr, exit status."""

from __future__ import annotations

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
from tests.billing import facts_example
from tests.billing.facts_example import DELETE

REPO_ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = REPO_ROOT / "tests" / "scenarios"
SCENARIO = SCENARIOS / "02-refill-with-separately-identifiable-99213.json"
FACTS: dict[str, Any] = json.loads(SCENARIO.read_text())["facts"]
SCENARIO_V2 = SCENARIOS / "13-v2-discarded-drug-billed-on-a-jw-line.json"
FACTS_V2: dict[str, Any] = json.loads(SCENARIO_V2.read_text())["facts"]


def changed(path: str, value: object) -> str:
    """Scenario 02's facts as JSON with one value changed (None removes the key)."""
    return json.dumps(facts_example.changed(FACTS, {path: DELETE if value is None else value}))


# name -> (input, field the one stderr line must name). Each process spends seconds starting
# Django, so only these run as processes: bytes that are not UTF-8, a number too large for a
# float, nesting deep enough to exhaust Python's recursion, and a schema error. All of them
# and the rest run the same command in-process, where exit status and streams are equally
# observable.
REFUSED_IN_PROCESS: dict[str, tuple[str | bytes, str]] = {
    "not-utf8": (b'{"schema": "refill-facts/1", "drug": {"name": "5-FU \xb5g"}}', "facts"),
    "huge-int": (
        changed("documentation.weight_kg", 10**309),
        "documentation.weight_kg",
    ),
    "deep-nesting": ("[" * 200_000 + "]" * 200_000, "facts"),
    "naive-datetime": (
        changed("documentation.infusion_started_at", "2026-03-04T10:15:00"),
        "documentation.infusion_started_at",
    ),
}
REFUSED: dict[str, tuple[str | bytes | None, str]] = {
    **REFUSED_IN_PROCESS,
    "invalid-json": ('{"schema": "refill-facts/1",', "facts"),
    "missing-field": (changed("date_of_service", None), "date_of_service"),
    "bad-claim-type": (changed("claim_type", "institutional"), "claim_type"),
    "bad-program": (changed("payer.program", "medicaid"), "payer.program"),
    "non-decimal-charge": (changed("charges.96521", 175), "charges.96521"),
    "long-charge": (changed("charges.96521", "1" * 27), "charges.96521"),
    "nan": (
        changed("documentation.weight_kg", 1).replace('"weight_kg": 1', '"weight_kg": NaN'),
        "facts",
    ),
    "duplicate-key": (json.dumps(FACTS)[:-1] + ', "schema": "refill-facts/1"}', "facts"),
    "long-int": (changed("lab_window_days", 7).replace(": 7", ": " + "7" * 5000), "facts"),
    "v2-bad-npi": (
        json.dumps(
            {**FACTS_V2, "practitioners": {"dr.okafor": {"npi": 1234567893, "role": "physician"}}}
        ),
        "practitioners.dr.okafor.npi",
    ),
    "not-an-object": ("[1, 2]", "facts"),
    "too-large": (" " * MAX_INPUT_BYTES + json.dumps(FACTS), "facts"),
    "unreadable-file": (None, "FILE"),
}


def _bytes(text: str | bytes) -> bytes:
    return text if isinstance(text, bytes) else text.encode()


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
        "file": (str(facts_file), b""),
        "stdin-v2": ("-", json.dumps(FACTS_V2).encode()),
        **{name: ("-", _bytes(text)) for name, (text, _field) in REFUSED_IN_PROCESS.items()},
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
            ),
            raw,
        )
        for name, (argument, raw) in invocations.items()
    }
    results = {}
    for name, (process, raw) in processes.items():
        stdout, stderr = process.communicate(raw, timeout=180)
        results[name] = Run(
            process.returncode,
            stdout.decode("utf-8", "replace"),
            stderr.decode("utf-8", "replace"),
        )
    return results


@pytest.mark.parametrize(("name", "facts"), [("file", FACTS), ("stdin-v2", FACTS_V2)])
def test_valid_facts_print_the_engine_decision(runs, name, facts):
    run = runs[name]

    assert (run.returncode, run.stderr) == (0, "")
    assert json.loads(run.stdout) == decide(parse_facts(facts)).to_dict()
    schema = facts["schema"].replace("facts", "decision")
    assert run.stdout.startswith(f'{{\n  "schema": "{schema}"')


@pytest.mark.parametrize("name", sorted(REFUSED_IN_PROCESS))
def test_process_refusing_input_exits_2_with_one_line_naming_the_field(runs, name):
    run = runs[name]
    field = REFUSED[name][1]

    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr.endswith("\n")
    assert len(run.stderr.splitlines()) == 1, run.stderr
    assert run.stderr.startswith(f"{field}: ")
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_command_refusing_input_exits_2_with_one_line_naming_the_field(name, tmp_path, capsys):
    text, field = REFUSED[name]
    facts_file = tmp_path / "facts.json"
    if text is not None:
        facts_file.write_bytes(_bytes(text))

    with pytest.raises(SystemExit) as exit_:
        call_command("decide_claim", str(facts_file))

    out, err = capsys.readouterr()
    assert exit_.value.code == 2
    assert out == ""
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"{field}: ")
