"""The hand-written response files: pyx12 finds each one valid, and `fill` fills them."""

from __future__ import annotations

import pytest

from tests.x12check import pyx12_problems
from tests.x12fixtures import EXAMPLE_VALUES, MEANINGS, TEMPLATES, fill, placeholders

OTHER_VALUES = {
    "gs_control": "123456789",
    "st_control": "987654321",
    "bht_reference": "000000001",
    "claim_1": "C00004711",
    "claim_2": "C00004712",
    "claim_3": "C12345678",
}


@pytest.mark.parametrize("name", TEMPLATES)
@pytest.mark.parametrize("values", [EXAMPLE_VALUES, OTHER_VALUES], ids=["example", "other"])
def test_every_template_is_valid_for_pyx12(name, values):
    text = fill(name, values).decode("ascii")
    # pyx12 writes a 999 for the 277CA; it writes none for a 999 or an 835.
    assert pyx12_problems(text, acknowledge=name.startswith("277")) == []


def test_pyx12_would_notice_a_broken_template():
    text = fill("835_full_payment", EXAMPLE_VALUES).decode("ascii")
    assert pyx12_problems(
        text.replace("*12*ACME26040900001*", "*CI*ACME26040900001*"), acknowledge=False
    )
    assert pyx12_problems(
        fill("277ca_accepted_and_rejected", EXAMPLE_VALUES)
        .decode("ascii")
        .replace("*WQ*175~", "*XX*175~")
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("999_accepted", {"gs_control", "st_control"}),
        ("999_rejected", {"gs_control", "st_control", "claim_1"}),
        ("277ca_accepted_and_rejected", {"bht_reference", "claim_1", "claim_2", "claim_3"}),
        ("277ca_provider_rejected", {"bht_reference", "claim_1"}),
        ("835_full_payment", {"claim_1", "claim_2"}),
        ("835_partial_pr1_pr2", {"claim_1"}),
        ("835_denial_co4", {"claim_1", "claim_2"}),
        ("835_bundling_co97", {"claim_1"}),
        ("835_reversal_correction", {"claim_1"}),
        ("835_plb_adjustment", {"claim_1"}),
    ],
)
def test_placeholders_of_each_template(name, expected):
    assert placeholders(name) == expected
    assert expected <= MEANINGS.keys()


def test_fill_puts_the_values_in_place():
    data = fill("835_plb_adjustment", {"claim_1": "C00000099"})
    assert b"CLP*C00000099*1*175*123.83*" in data
    assert b"L6:C00000099*-1.27" in data
    assert b"{" not in data


def test_fill_needs_every_placeholder():
    with pytest.raises(KeyError, match="999_rejected needs values for claim_1, st_control"):
        fill("999_rejected", {"gs_control": "7"})


@pytest.mark.parametrize("bad", ["C0001*1", "C0001~", "C0001:2", "C0001^", "", "A\nB", "{claim_2}"])
def test_fill_refuses_a_value_that_would_change_the_file(bad):
    with pytest.raises(ValueError, match="is not a plain X12 identifier"):
        fill("835_partial_pr1_pr2", {"claim_1": bad})


def test_fill_reads_only_fixtures():
    with pytest.raises(ValueError, match="no fixture named"):
        fill("../../x12check", {})
