"""The errors refill operations raise when they refuse.

``field`` names the form field an error belongs to, so a view can show the message next
to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from config.errors import ApplicationError

if TYPE_CHECKING:
    from refills.models import Encounter


class RefillError(ApplicationError):
    """A refill operation was refused; ``field`` names the form field it belongs to."""


class DuplicateSubmissionError(RefillError):
    """The encounter form was submitted again; ``encounter`` is the draft it already made."""

    def __init__(self, encounter: Encounter):
        self.encounter = encounter
        super().__init__("This refill was already saved.", code="duplicate")


class HardStopError(RefillError):
    """Documentation that must not be saved at all; ``errors`` maps field to message."""

    def __init__(self, errors: Mapping[str, str]):
        self.errors = dict(errors)
        field, message = next(iter(self.errors.items()))
        super().__init__(message, field=field, code="hard_stop")
