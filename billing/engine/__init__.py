"""The pure billing rules engine: `refill-facts/1` in, `refill-decision/1` out.

Imports nothing from Django, so it runs the same in the app, in `decide_claim` and in tests.
"""

from __future__ import annotations

from billing.engine.decision import Decision, Finding, Line
from billing.engine.facts import (
    Documentation,
    Drug,
    Payer,
    Pump,
    RefillFacts,
    SameDayService,
    SchemaError,
    Teaching,
    parse_facts,
)
from billing.engine.rules import decide

ENGINE_VERSION = "2026.11.1"

__all__ = [
    "ENGINE_VERSION",
    "Decision",
    "Documentation",
    "Drug",
    "Finding",
    "Line",
    "Payer",
    "Pump",
    "RefillFacts",
    "SameDayService",
    "SchemaError",
    "Teaching",
    "decide",
    "parse_facts",
]
