"""Rows kept as written: saved once, then never saved again or deleted, whatever path tries."""

from __future__ import annotations

import pytest
from django.apps import apps

from billing.models import ClaimExport, X12Import
from config.records import WrittenOnce
from refills.models import Addendum, ProviderOverride, SignedRecordError, VerificationAttempt

KEPT = {
    ClaimExport: ValueError,
    X12Import: ValueError,
    VerificationAttempt: SignedRecordError,
    ProviderOverride: SignedRecordError,
    Addendum: SignedRecordError,
}


def test_the_models_kept_as_written():
    assert {m for m in apps.get_models() if issubclass(m, WrittenOnce)} == set(KEPT)


@pytest.mark.parametrize("model", KEPT)
def test_a_stored_row_is_not_saved_again_or_deleted(model):
    row = model(pk=7)
    with pytest.raises(KEPT[model], match=r"\b7\b"):
        row.save()
    with pytest.raises(KEPT[model], match=r"\b7 .*is kept\.$"):
        row.delete()
