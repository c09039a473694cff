"""Form drafts: what a person typed and has not saved, kept on the server for them alone."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from refills.errors import RefillError
from refills.models import FormDraft

# Far more than any form here holds; a bigger body is not a form someone typed.
MAX_DRAFT_FIELDS = 200
MAX_DRAFT_BYTES = 64 * 1024


def draft_save(
    *,
    user: User,
    key: str,
    data: Mapping[str, str | list[str]],
    now: dt.datetime | None = None,
) -> FormDraft:
    """Keep ``data`` (field name to typed value) as the user's draft of the form at ``key``,
    replacing the one before. The caller has checked that the user may use that form."""
    now = now or timezone.now()
    values = dict(data)
    if len(values) > MAX_DRAFT_FIELDS or len(json.dumps(values)) > MAX_DRAFT_BYTES:
        raise RefillError("This draft is too large to keep.", code="too_large")
    with transaction.atomic():
        draft, _ = FormDraft.objects.select_for_update().update_or_create(
            user=user, key=key, defaults={"data": values, "updated_at": now}
        )
    return draft


def draft_discard(*, user: User, key: str) -> None:
    """Forget the user's draft of the form at ``key`` (saved or cancelled); there may be none."""
    FormDraft.objects.filter(user=user, key=key).delete()
