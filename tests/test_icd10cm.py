"""The shipped ICD-10-CM table answers exactly as simple-icd-10-cm does.

The library (a dev dependency) is the reference: every item it knows, and malformed input,
must get the same answers from `icd10cm` as from the library itself.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import icd10cm
from tools import build_icd10_table

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def cm():
    return build_icd10_table.library()


def reference(cm, code: str) -> tuple[bool, bool, str, bool]:
    """(valid, billable, description, malignancy) as the library answers them."""
    return library_answer(cm, icd10cm.normalize(code))


def library_answer(cm, dotted: str) -> tuple[bool, bool, str, bool]:
    valid = build_icd10_table.is_code(cm, dotted)
    billable = build_icd10_table.is_billable(cm, dotted)
    description = cm.get_description(dotted) if billable else ""
    malignancy = billable and _in_malignancy_range(dotted)
    return valid, billable, description, malignancy


def _in_malignancy_range(dotted: str) -> bool:
    # C00-C96 (with C4A, C7A, C7B) and D00-D09, spelled out rather than by the package's regex.
    category = dotted[:3]
    malignant = {f"C{n:02d}" for n in range(97)} | {"C4A", "C7A", "C7B"}
    in_situ = {f"D{n:02d}" for n in range(10)}
    return category in malignant | in_situ


def answers(code: str) -> tuple[bool, bool, str, bool]:
    return (
        icd10cm.is_valid(code),
        icd10cm.is_billable(code),
        icd10cm.describe(code),
        icd10cm.is_malignancy(code),
    )


def test_every_item_the_library_knows_gets_the_library_answer(cm):
    items = cm.get_all_codes(with_dots=True)
    undotted = cm.get_all_codes(with_dots=False)
    spellings = [*items, *undotted, *(f" {code.lower()} " for code in items)]
    # The library's answer depends on the code only as normalized: asked once per code.
    library = {code: library_answer(cm, code) for code in items}

    wrong = [
        code
        for code in spellings
        if answers(code) != (library.get(icd10cm.normalize(code)) or reference(cm, code))
    ]

    assert wrong == []
    assert len(items) == 98505
    assert sum(icd10cm.is_billable(code) for code in set(items)) == 74719


def test_the_shipped_table_is_what_the_build_script_writes(cm):
    shipped = (ROOT / "icd10cm" / icd10cm.TABLE).read_text(encoding="utf-8")

    assert shipped == build_icd10_table.build_table()


@pytest.mark.parametrize(
    "code",
    [
        "",
        "   ",
        ".",
        "C18.",
        "C18..9",
        ".C189",
        "C1.89",
        "C18.9X",
        "C18.90",
        "C18.9 C18.9",
        "C18\t9",
        "C18.9\x00",
        "1",
        "22",
        "A00-A09",
        "C00-C96",
        "a00-a09",
        "Z51.11",
        "z5111",
        "C18",
        "\u042118.9",  # Cyrillic Es
        "\uff2318.9",  # full-width C
        "ß",
        "C" * 10_000,
        "'; DROP TABLE x; --",
    ],
)
def test_malformed_input_gets_the_library_answer(cm, code):
    assert answers(code) == reference(cm, code)


@settings(max_examples=300, deadline=None)
@given(
    code=st.one_of(
        st.text(max_size=12),
        st.from_regex(r"[A-Za-z][0-9][0-9A-Za-z]\.?[0-9A-Za-z]{0,5}", fullmatch=True),
    )
)
def test_generated_input_gets_the_library_answer(cm, code):
    assert answers(code) == reference(cm, code)


@pytest.mark.parametrize(
    ("code", "description"),
    [
        ("c189", "Malignant neoplasm of colon, unspecified"),
        ("Z51.11", "Encounter for antineoplastic chemotherapy"),
        # Categories that are also their own block (a block of one category) and have
        # nothing under them are billable codes.
        ("B20", "Human immunodeficiency virus [HIV] disease"),
        ("Z66", "Do not resuscitate"),
        ("I10", "Essential (primary) hypertension"),
        # A description holding a tab, as the code set spells it.
        (
            "H35.3113",
            "Nonexudative age-related macular degeneration, right eye, advanced atrophic "
            "without subfoveal involvement/\tadvanced dry stage",
        ),
    ],
)
def test_billable_codes_and_their_descriptions(code, description):
    assert (icd10cm.is_billable(code), icd10cm.describe(code)) == (True, description)


@pytest.mark.parametrize("code", ["C18", "C50.91", "A00-A09", "2", "X99.9"])
def test_categories_ranges_and_unknown_codes_are_not_billable(code):
    assert (icd10cm.is_billable(code), icd10cm.describe(code)) == (False, "")


def test_importing_reads_nothing_and_a_lookup_needs_no_library():
    script = (
        "import sys, icd10cm\n"
        "assert icd10cm._lines.cache_info().currsize == 0, 'table read on import'\n"
        "print(icd10cm.is_billable('C18.9'), icd10cm.describe('C18.9'))\n"
        "print(sorted(m for m in sys.modules if m.startswith(('simple_icd', 'django'))))\n"
    )

    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )

    assert done.stdout.splitlines() == ["True Malignant neoplasm of colon, unspecified", "[]"]
