"""The one error an application operation raises when it refuses.

Each app subclasses it (``RefillError``, ``BillingError``) so a view catches its own app's
refusals only; the message is for the user, ``field`` names the form field it belongs to and
``code`` says which refusal it is.
"""

from __future__ import annotations


class ApplicationError(Exception):
    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code
