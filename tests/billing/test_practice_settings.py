from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from billing.forms import QueueFilterForm
from billing.models import PracticeSettings
from tests.factories import PRACTICE

VALID = PRACTICE


def test_valid_practice_settings_pass(db):
    PracticeSettings(**VALID).full_clean()


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("npi", "1811111116", "npi"),  # Luhn check digit off by one
        ("npi", "181111111", "npi"),
        ("tax_id", "12345678", "ein"),
        ("tax_id", "000000000", "ein"),
        ("contact_phone", "555-0100", "invalid"),
        (
            "contact_phone",
            "\u0662\u0661\u0667\u0665\u0665\u0665\u0660\u0661\u0660\u0660",
            "invalid",
        ),
        ("npi", "\u0661\u0668\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0665", "npi"),
    ],
)
def test_bad_identifiers_are_refused_next_to_the_field(db, field, value, code):
    with pytest.raises(ValidationError) as caught:
        PracticeSettings(**{**VALID, field: value}).full_clean()
    assert caught.value.error_dict[field][0].code == code


def test_separators_must_differ(db):
    with pytest.raises(ValidationError) as caught:
        PracticeSettings(**VALID, segment_terminator="*").full_clean()
    assert "segment_terminator" in caught.value.error_dict


@pytest.mark.parametrize(
    ("rule", "valid"),
    [("R31", True), ("r31", True), ("R3", False), ("R\u0663\u0661", False), ("R31\n", False)],
)
def test_the_queue_rule_filter_takes_ascii_digits_only(rule, valid):
    form = QueueFilterForm(data={"rule": rule})

    assert ("rule" not in form.errors) is valid
