"""The one error the inbound readers raise: what is wrong, and where in the file."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file.

    ``position`` is the segment's number in the file (the ISA is 1); ``segment_id`` and
    ``element`` (for example ``"CLP04"`` or ``"SVC01-2"``) name what is at fault. Any of
    them is None where the problem has no such place (bytes that are not text, a file
    that ends before its trailer). Messages name codes and amounts, never element
    values that could identify a patient.
    """

    message: str
    segment_id: str | None = None
    position: int | None = None
    element: str | None = None

    def __str__(self) -> str:
        where = []
        if self.position is not None:
            where.append(f"segment {self.position}")
        if self.segment_id is not None:
            where.append(f"({self.segment_id})" if where else self.segment_id)
        if self.element is not None:
            where.append(f"element {self.element}")
        return f"{' '.join(where)}: {self.message}" if where else self.message


class X12ReadError(ValueError):
    """A file the readers refuse. The first problem is the one to show; all are kept."""

    def __init__(self, problems: Problem | Iterable[Problem]) -> None:
        found = (problems,) if isinstance(problems, Problem) else tuple(problems)
        if not found:
            found = (Problem("the file could not be read"),)
        self.problems: tuple[Problem, ...] = found
        first = found[0]
        self.message = first.message
        self.segment_id = first.segment_id
        self.position = first.position
        self.element = first.element
        super().__init__(str(first))
