"""`manage.py decide_claim FILE`: run the billing engine on a `refill-facts/1` or `/2` file.

Prints the decision JSON in the version asked for (`refill-decision/1` or `/2`). Input that
does not fit the schema, whatever it is (not UTF-8, not JSON, duplicate keys, NaN, nested too
deeply, too large, wrong types), exits with status 2 and one line on stderr naming the field,
and prints nothing on stdout, so scripts can tell bad input from a decision.
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
    help = (
        "Decide the claim lines for a refill-facts/1 or refill-facts/2 JSON file "
        "(FILE '-' reads stdin)."
    )
    # The engine reads no database, URLs or templates, so project checks cannot affect it.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", metavar="FILE", help="facts JSON file, or - for stdin")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            text = decision_json(read_input(options["file"]))
        except SchemaError as error:
            _refuse(str(error))
        self.stdout.write(text)


def read_input(source: str) -> bytes:
    """The bytes of FILE (or stdin for "-"), refused when unreadable or over the size cap."""
    try:
        if source == "-":
            raw = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
        else:
            with Path(source).open("rb") as file:
                raw = file.read(MAX_INPUT_BYTES + 1)
    except OSError as error:
        raise SchemaError("FILE", f"cannot read {source!r}: {error.strerror}") from None
    except ValueError as error:  # a path with a NUL character, a closed stdin
        raise SchemaError("FILE", f"cannot read {source!r}: {error}") from None
    if len(raw) > MAX_INPUT_BYTES:
        raise SchemaError("facts", f"input is larger than {MAX_INPUT_BYTES} bytes")
    return raw


def decision_json(raw: bytes) -> str:
    """The decision for facts given as bytes, as indented JSON; `SchemaError` for anything
    that is not facts."""
    return json.dumps(decide(parse_facts(load_json(raw))).to_dict(), indent=2, allow_nan=False)


def load_json(raw: bytes) -> object:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SchemaError(
            "facts", f"input is not UTF-8 text (byte {error.start} cannot be read)"
        ) from None
    try:
        return json.loads(
            text, object_pairs_hook=_object_without_duplicates, parse_constant=_refuse_constant
        )
    except json.JSONDecodeError as error:
        raise SchemaError(
            "facts", f"invalid JSON at line {error.lineno} column {error.colno}: {error.msg}"
        ) from None
    except RecursionError:
        raise SchemaError("facts", "invalid JSON: nested too deeply") from None
    except SchemaError:
        raise  # a duplicate key or NaN, refused while reading
    except ValueError:
        # What json refuses beyond its syntax: an integer of more digits than Python converts.
        raise SchemaError("facts", "invalid JSON: a number is too long to read") from None


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _value in pairs:
            if key in seen:
                raise SchemaError(
                    "facts", f"invalid JSON: key {key[:40]!r} appears twice in an object"
                )
            seen.add(key)
    return obj


def _refuse_constant(name: str) -> object:
    # NaN and Infinity are not JSON; Python's parser accepts them unless told otherwise.
    raise SchemaError("facts", f"invalid JSON: {name} is not a JSON value")


def _refuse(line: str) -> NoReturn:
    # Written directly so that Django adds no traceback or "CommandError:" prefix; ASCII on
    # one line whatever the input held.
    text = line.encode("ascii", "backslashreplace").decode("ascii")
    sys.stderr.write(" ".join(text.split()) + "\n")
    sys.stderr.flush()
    raise SystemExit(EXIT_BAD_INPUT)
