"""The shared decision scenarios, run against the engine, and a guard that the copy is current."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from billing.engine import decide, parse_facts

REPO_ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = REPO_ROOT / "tests" / "scenarios"
SHARED_SCENARIOS = REPO_ROOT.parent / "shared" / "scenarios"
SCENARIO_FILES = sorted(SCENARIOS.glob("*.json"))


def test_scenarios_are_present():
    assert SCENARIO_FILES, f"no scenarios in {SCENARIOS}"


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=[path.name for path in SCENARIO_FILES])
def test_scenario(path: Path):
    scenario = json.loads(path.read_text())
    expect: dict[str, Any] = scenario["expect"]

    decision = decide(parse_facts(scenario["facts"])).to_dict()

    assert decision["schema"] == scenario["facts"]["schema"].replace("facts", "decision")
    assert decision["status"] == expect["status"]
    # Every key an expected line gives (code, modifiers, units; rendering and charge in the
    # version 2 scenarios) must match the decided line.
    assert len(decision["lines"]) == len(expect["lines"])
    for decided, expected in zip(decision["lines"], expect["lines"], strict=True):
        assert {key: decided[key] for key in expected} == expected
    found = {finding["rule"] for finding in decision["findings"]}
    assert set(expect["rules"]) <= found, f"missing {set(expect['rules']) - found}"
    if "diagnoses" in expect:
        assert decision["diagnoses"] == expect["diagnoses"]
    if "supervising" in expect:
        assert decision["supervising"] == expect["supervising"]


def test_scenario_copy_matches_shared():
    if not SHARED_SCENARIOS.is_dir():
        pytest.skip(f"{SHARED_SCENARIOS} is absent on this machine")
    shared = {path.name: path.read_bytes() for path in SHARED_SCENARIOS.glob("*.json")}
    copied = {path.name: path.read_bytes() for path in SCENARIO_FILES}

    assert sorted(copied) == sorted(shared)
    differing = sorted(name for name in shared if copied[name] != shared[name])
    assert not differing, f"copy differs from ../shared/scenarios: {differing}"
