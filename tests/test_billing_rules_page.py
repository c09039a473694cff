"""The rules page the engine cites lives in the repository, and stays the shared page's copy."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
RULES = REPO_ROOT / "docs" / "billing-rules.md"
SHARED_RULES = REPO_ROOT.parent / "shared" / "domain" / "billing-rules.md"
RULE_ID = re.compile(r"\bR[0-9]{2}[a-z]?\b")


def test_the_rules_page_matches_the_shared_one():
    if not SHARED_RULES.is_file():
        pytest.skip(f"{SHARED_RULES} is absent on this machine")

    assert RULES.read_text(encoding="utf-8") == SHARED_RULES.read_text(encoding="utf-8")


def test_every_rule_the_engine_cites_is_on_the_page():
    page = set(RULE_ID.findall(RULES.read_text(encoding="utf-8")))
    cited = {
        rule
        for path in (REPO_ROOT / "billing" / "engine").rglob("*.py")
        for rule in RULE_ID.findall(path.read_text(encoding="utf-8"))
    }

    assert cited, "the engine cites no rule"
    assert sorted(cited - page) == []
