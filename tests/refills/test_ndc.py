"""NDCs as typed from the label or scanned, stored as 11 digits."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from refills import ndc

# "63323011710" in fullwidth digits: str.isdigit() accepts them, the NDC does not.
FULLWIDTH = "".join(chr(0xFF10 + int(d)) for d in "63323011710")


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("63323-117-10", "63323011710"),  # 5-3-2: the product code gets the zero
        ("0409-4888-02", "00409488802"),  # 4-4-2: the labeler code gets the zero
        ("50242-0040-6", "50242004006"),  # 5-4-1: the package code gets the zero
        ("63323-0117-10", "63323011710"),  # 5-4-2 with hyphens
        ("63323011710", "63323011710"),  # 11 digits as on a claim
        ("  63323-117-10 ", "63323011710"),
    ],
)
def test_label_forms_are_stored_as_eleven_digits(typed, stored):
    assert ndc.normalize(typed) == stored


def test_ten_digits_without_hyphens_are_refused_as_ambiguous():
    with pytest.raises(ndc.NDCError) as caught:
        ndc.normalize("6332311710")
    assert caught.value.code == "ndc_ambiguous"
    assert caught.value.message == (
        "Ten digits without hyphens can be read three ways: type the NDC with its hyphens as "
        "printed on the label (for example 63323-117-10)."
    )


def test_ten_digits_are_accepted_when_exactly_one_reading_is_stocked():
    assert ndc.readings_of_ten("6332311710") == ["06332311710", "63323011710", "63323117100"]
    assert ndc.normalize("6332311710", stocked={"63323011710", "00409488802"}) == "63323011710"


def test_ten_digits_stay_ambiguous_when_two_readings_are_stocked():
    with pytest.raises(ndc.NDCError) as caught:
        ndc.normalize("6332311710", stocked={"63323011710", "06332311710"})
    assert caught.value.code == "ndc_ambiguous"


def test_a_scanned_upc_barcode_carries_the_ten_digits():
    # UPC-A: "3", the ten NDC digits, a check digit (3*odd + even + check = 0 mod 10).
    assert ndc.normalize("363323117108", stocked={"63323011710"}) == "63323011710"
    with pytest.raises(ndc.NDCError) as caught:
        ndc.normalize("363323117109", stocked={"63323011710"})
    assert caught.value.code == "ndc_barcode"


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("63323-11-710", "ndc_layout"),
        ("633-23117-10", "ndc_layout"),
        ("6332301171", "ndc_ambiguous"),
        ("633230117", "ndc_format"),
        ("633230117100", "ndc_format"),
        ("63323 117 10", "ndc_format"),
        (FULLWIDTH, "ndc_format"),  # fullwidth digits are not ASCII
        ("63323-117-1O", "ndc_format"),
        ("", "ndc_format"),
    ],
)
def test_other_input_is_refused_with_what_to_type(typed, code):
    with pytest.raises(ndc.NDCError) as caught:
        ndc.normalize(typed)
    assert caught.value.code == code


def test_the_model_validator_takes_eleven_ascii_digits_only():
    ndc.validate_ndc11("63323011710")
    for bad in ("63323-117-10", "6332301171", FULLWIDTH, "633230117100"):
        with pytest.raises(ValidationError):
            ndc.validate_ndc11(bad)


def test_formatted_shows_five_four_two():
    assert ndc.formatted("63323011710") == "63323-0117-10"
