"""Any input at all ends in a decision or a schema error: never a traceback.

Arbitrary JSON values, valid facts with parts replaced by arbitrary values, and arbitrary
bytes through `decide_claim`'s own reading path, in process. The command must answer either
exit 0 with the decision JSON and nothing on stderr, or exit 2 with exactly one line on stderr
and nothing on stdout.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import sys
from typing import Any

from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.engine import SchemaError, decide, parse_facts
from tests.billing.facts_example import BASE, BASE_V2, NP_VISIT

# Hypothesis runs this many examples of each test below, on every run (CI included).
EXAMPLES = 2000
DECISION_SCHEMAS = {"refill-decision/1", "refill-decision/2"}

# Values that have broken parsers: huge, tiny and non-finite numbers, other scripts' digits,
# a trailing newline, blank and dotted-empty codes, and valid values in the wrong place.
AWKWARD = st.sampled_from(
    [
        10**309,
        -(10**309),
        10**4000,
        1e308,
        -1e308,
        5e-324,
        float("nan"),
        float("inf"),
        -0.0,
        0,
        -1,
        "",
        " ",
        ".",
        "11\n",
        "\u0661\u0661",
        "\ud800",
        "2026-03-04",
        "2026-03-04T10:15:00-05:00",
        "99211",
        "99204",
        "J9190",
        "C18.9",
        "dr.okafor",
        "registered_nurse",
        "single_dose",
    ]
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=4)
    | AWKWARD
    | AWKWARD
)
KEYS = st.text(max_size=4) | st.sampled_from(["schema", "code", "npi", "role", "", " "])
# Any JSON value; nested a few levels only, since nesting deeper reaches no field the engine
# reads (deep nesting is refused while reading JSON, and tested as bytes below).
JSON_VALUES = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(KEYS, children, max_size=3),
    max_leaves=6,
)
# What replaces a value inside facts: mostly a scalar or a small list or object of scalars.
REPLACEMENTS = (
    SCALARS | SCALARS | st.lists(SCALARS, max_size=3) | st.dictionaries(KEYS, SCALARS, max_size=3)
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON document where a value sits (keys and list positions)."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


V2_WITH_VISIT = {**BASE_V2, "same_day_services": [NP_VISIT, {"code": "96523"}]}
DOCUMENTS = [BASE, BASE_V2, V2_WITH_VISIT]
PATHS = {id(document): _paths(document) for document in DOCUMENTS}


@st.composite
def corrupted_facts(draw: st.DrawFn) -> Any:
    """Valid facts with one to three values replaced by arbitrary JSON, or removed."""
    document = draw(st.sampled_from(DOCUMENTS))
    data = copy.deepcopy(document)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(PATHS[id(document)]))
        target = data
        try:
            for step in path[:-1]:
                target = target[step]
            if draw(st.integers(0, 5)) == 0 and isinstance(target, dict):
                target.pop(path[-1], None)
            else:
                target[path[-1]] = draw(REPLACEMENTS)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed or replaced this path
    return data


ANY_FACTS = JSON_VALUES | corrupted_facts() | corrupted_facts()


def decided_or_refused(data: Any) -> dict[str, Any] | None:
    """The decision as JSON data, or None for a SchemaError; nothing else may happen."""
    try:
        facts = parse_facts(data)
    except SchemaError as error:
        assert isinstance(error.field, str)
        assert error.message
        return None
    payload = decide(facts).to_dict()
    assert payload["schema"] == data["schema"].replace("facts", "decision")
    assert json.loads(json.dumps(payload, allow_nan=False)) == payload
    return payload


def run_command(raw: bytes) -> tuple[int, str, str]:
    """`decide_claim -` on these bytes, in this process: (exit status, stdout, stderr)."""
    stdin = io.TextIOWrapper(io.BytesIO(raw))
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdin
    sys.stdin = stdin
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                call_command("decide_claim", "-")
                status = 0
            except SystemExit as exit_:
                status = exit_.code  # type: ignore[assignment]
    finally:
        sys.stdin = saved
    return status, out.getvalue(), err.getvalue()


def command_outcome(raw: bytes) -> dict[str, Any] | None:
    """The command's decision, or None when it refused the input exactly as promised: exit 2,
    one ASCII line on stderr, nothing on stdout."""
    status, out, err = run_command(raw)
    if status == 0:
        assert err == ""
        return json.loads(out)
    assert status == 2
    assert out == ""
    assert err.endswith("\n")
    assert err.count("\n") == 1
    assert len(err.splitlines()) == 1
    assert err.isascii()
    return None


# How the bytes given to the command differ from the JSON text of the facts: not at all, a
# few bytes inserted, changed or cut, arbitrary bytes instead, or the facts nested deeply.
EDIT = st.tuples(
    st.sampled_from(["insert", "replace", "cut"]),
    st.floats(0, 1),
    st.binary(min_size=1, max_size=4)
    | st.sampled_from([b"\xff", b"\xc3", b"NaN", b"-Infinity", b"[[[[", b'"x":1,"x":2', b"\\u"]),
)
BYTE_CHANGES = (
    st.just(())
    | st.just(())
    | st.lists(EDIT, min_size=1, max_size=3).map(tuple)
    | st.binary(max_size=48)
    | st.integers(1, 5000)
)


def as_bytes(data: Any, changes: Any) -> bytes:
    raw = json.dumps(data).encode()
    if isinstance(changes, bytes):
        return changes
    if isinstance(changes, int):
        return b"[" * changes + raw + b"]" * changes
    edited = bytearray(raw)
    for edit, where, piece in changes:
        at = int(where * len(edited))
        if edit == "insert":
            edited[at:at] = piece
        elif edit == "replace":
            edited[at : at + len(piece)] = piece
        else:
            del edited[at : at + len(piece)]
    return bytes(edited)


def _plain_json(data: Any) -> bool:
    try:
        json.dumps(data, allow_nan=False)
    except ValueError:
        return False
    return True


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ANY_FACTS, BYTE_CHANGES)
def test_any_input_ends_in_a_decision_or_a_schema_error(data, changes):
    """Arbitrary JSON values to the engine, and their bytes (as given, edited or replaced by
    arbitrary bytes) to `decide_claim`: a decision, or a schema error and exit 2."""
    decision = decided_or_refused(data)

    answered = command_outcome(as_bytes(data, changes))

    if changes == () and _plain_json(data):
        # The same facts as JSON text: the command answers exactly as the engine does.
        assert answered == decision


def test_valid_facts_through_the_reading_path_are_decided():
    for facts in DOCUMENTS:
        status, out, _err = run_command(json.dumps(facts).encode())

        assert status == 0
        assert json.loads(out) == decide(parse_facts(facts)).to_dict()


def test_duplicate_keys_are_refused_even_with_equal_values():
    raw = b'{"schema": "refill-facts/1", "schema": "refill-facts/1"}'

    status, out, err = run_command(raw)

    assert (status, out) == (2, "")
    assert err == "facts: invalid JSON: key 'schema' appears twice in an object\n"


def test_a_duplicate_key_deep_inside_is_refused():
    text = json.dumps(BASE).replace('"lot": "F5U2291"', '"lot": "F5U2291", "lot": "X1"')

    status, _out, err = run_command(text.encode())

    assert status == 2
    assert err == "facts: invalid JSON: key 'lot' appears twice in an object\n"


def test_a_number_too_long_to_read_is_refused():
    text = json.dumps(BASE).replace('"claim_type"', '"x": ' + "9" * 5000 + ', "claim_type"')

    assert run_command(text.encode())[2] == "facts: invalid JSON: a number is too long to read\n"


def test_a_non_ascii_field_name_is_shown_in_ascii_on_one_line():
    data = copy.deepcopy(BASE)
    data["charges"] = {"\u2028é": 5}

    status, _out, err = run_command(json.dumps(data).encode())

    assert status == 2
    assert err.startswith("charges.\\u2028\\xe9: must be a decimal string")
