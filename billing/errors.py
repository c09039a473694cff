"""The error every billing operation raises when it refuses."""

from __future__ import annotations


class BillingError(Exception):
    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code
