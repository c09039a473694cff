"""The pure billing rules engine: `refill-facts/1` or `/2` in, `refill-decision/1` or `/2` out.

Imports nothing from Django, so it runs the same in the app, in `decide_claim` and in tests.
Change `ENGINE_VERSION` whenever a rule changes: it is stored on every claim decided.
"""

from __future__ import annotations

from billing.engine.decision import Decision, Finding, Line
from billing.engine.facts import (
    Documentation,
    Drug,
    Payer,
    Practitioner,
    Pump,
    RefillFacts,
    SameDayService,
    SchemaError,
    Teaching,
    parse_facts,
)
from billing.engine.rules import decide

ENGINE_VERSION = "2026.12.1"

__all__ = [
    "ENGINE_VERSION",
    "Decision",
    "Documentation",
    "Drug",
    "Finding",
    "Line",
    "Payer",
    "Practitioner",
    "Pump",
    "RefillFacts",
    "SameDayService",
    "SchemaError",
    "Teaching",
    "decide",
    "parse_facts",
]
