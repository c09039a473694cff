"""The error every billing operation raises when it refuses."""

from __future__ import annotations

from config.errors import ApplicationError


class BillingError(ApplicationError):
    """A billing operation was refused; ``field`` names the form field it belongs to."""
