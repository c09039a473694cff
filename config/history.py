"""Who and why on the history row that django-simple-history writes at the next save."""

from __future__ import annotations

from typing import Any


def record_change(instance: Any, *, by: Any, reason: str) -> None:
    """Stamp ``instance`` so its next save or delete records ``by`` and ``reason``."""
    instance._history_user = by
    instance._change_reason = reason
