"""pyx12, the independent validator every generated 837P must satisfy with zero errors."""

from __future__ import annotations

import contextlib
import functools
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pyx12.map_if
import pyx12.params
import pyx12.x12n_document

_load_map_file = pyx12.map_if.load_map_file


@functools.cache
def _map(map_file: str, map_path: str | None) -> Any:
    return _load_map_file(map_file, pyx12.params.params(), map_path)


@contextlib.contextmanager
def _each_map_parsed_once() -> Iterator[None]:
    """pyx12 parses its guide's XML maps on every call: about 0.4 s of CPU, nine tenths of
    checking one claim. It only reads a map while it walks the file (the counts are the
    walker's), so one copy of each serves every check in this process."""

    def load(map_file: str, param: Any, map_path: str | None = None) -> Any:
        return _map(map_file, map_path)

    pyx12.map_if.load_map_file = load
    try:
        yield
    finally:
        pyx12.map_if.load_map_file = _load_map_file


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _json_errors(node: Any) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        found += [str(error) for error in node.get("errors", [])]
        for value in node.values():
            found += _json_errors(value)
    elif isinstance(node, list):
        for item in node:
            found += _json_errors(item)
    return found


def pyx12_problems(text: str, *, acknowledge: bool = True) -> list[str]:
    """Everything pyx12 objects to: logged errors, its JSON error tree and its 999.

    ``acknowledge=False`` leaves out pyx12's own 999, which it writes for neither a 999
    nor an 835 (its 835 map does not use ST03, from which pyx12 takes the guide's name).
    """
    logger = logging.getLogger("pyx12")
    handler = _Collect()
    previous_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING)
    ack, report = io.StringIO(), io.StringIO()
    try:
        with _each_map_parsed_once():
            valid = pyx12.x12n_document.x12n_document(
                param=pyx12.params.params(),
                src_file=io.StringIO(text),
                fd_997=ack if acknowledge else None,
                fd_html=None,
                fd_json=report,
            )
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous_level)
    problems = list(handler.messages)
    problems += _json_errors(json.loads(report.getvalue()))
    # pyx12 writes its 999 with the default separators and a line break after each segment.
    ack_segments = [segment.split("*") for segment in ack.getvalue().split("~\n") if segment]
    problems += ["*".join(s) for s in ack_segments if s[0] in ("IK3", "IK4")]
    ack_codes = [(s[0], s[1]) for s in ack_segments if s[0] in ("IK5", "AK9")]
    if acknowledge and ack_codes != [("IK5", "A"), ("AK9", "A")]:
        problems.append(f"999 does not accept the file: {ack_codes}")
    if not valid:
        problems.append("x12n_document returned False")
    return problems
