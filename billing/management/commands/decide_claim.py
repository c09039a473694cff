"""`manage.py decide_claim FILE`: run the billing engine on a `refill-facts/1` file.

Prints the `refill-decision/1` JSON. Input that does not fit the schema exits with status 2
and one line on stderr naming the field, so scripts can tell bad input from a decision.
"""

from __future__ import annotations

import json
import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any, NoReturn

from django.core.management.base import BaseCommand

from billing.engine import SchemaError, decide, parse_facts

EXIT_BAD_INPUT = 2
# A refill's facts are a few kilobytes: anything larger than this is not a facts file.
MAX_INPUT_BYTES = 1024 * 1024


class Command(BaseCommand):
    help = "Decide the claim lines for a refill-facts/1 JSON file (FILE '-' reads stdin)."
    # The engine reads no database, URLs or templates, so project checks cannot affect it.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", metavar="FILE", help="facts JSON file, or - for stdin")

    def handle(self, *args: Any, **options: Any) -> None:
        source = options["file"]
        try:
            facts = parse_facts(_load_json(source))
        except SchemaError as error:
            _refuse(str(error))
        decision = decide(facts)
        self.stdout.write(json.dumps(decision.to_dict(), indent=2))


def _load_json(source: str) -> object:
    try:
        if source == "-":
            raw = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
        else:
            with Path(source).open("rb") as file:
                raw = file.read(MAX_INPUT_BYTES + 1)
    except OSError as error:
        raise SchemaError("FILE", f"cannot read {source!r}: {error.strerror}") from None
    if len(raw) > MAX_INPUT_BYTES:
        raise SchemaError("facts", f"input is larger than {MAX_INPUT_BYTES} bytes")
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except UnicodeDecodeError:
        raise SchemaError("facts", "input is not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise SchemaError(
            "facts", f"invalid JSON at line {error.lineno} column {error.colno}: {error.msg}"
        ) from None
    except RecursionError:
        raise SchemaError("facts", "invalid JSON: nested too deeply") from None


def _refuse_constant(name: str) -> object:
    # NaN and Infinity are not JSON; Python's parser accepts them unless told otherwise.
    raise SchemaError("facts", f"invalid JSON: {name} is not a JSON value")


def _refuse(line: str) -> NoReturn:
    # Written directly so that Django adds no traceback or "CommandError:" prefix.
    sys.stderr.write(" ".join(line.split()) + "\n")
    sys.stderr.flush()
    raise SystemExit(EXIT_BAD_INPUT)
