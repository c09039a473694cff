"""Write `icd10cm/codes.tsv`, the ICD-10-CM table the app ships, from simple-icd-10-cm.

Run it after upgrading simple-icd-10-cm (a dev dependency) to take a new code set:

    python tools/build_icd10_table.py

One line per ICD-10-CM code (category or subcategory), sorted, after a header comment naming
the source:

    C18             a code that is not billable (it has more specific codes under it)
    C18.9<TAB>Malignant neoplasm of colon, unspecified
                    a billable code and its description (the rest of the line, which may
                    itself hold a tab)

Chapters and blocks (code ranges such as A00-A09) are not codes and are left out.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from importlib.metadata import version
from pathlib import Path

TABLE = Path(__file__).resolve().parents[1] / "icd10cm" / "codes.tsv"


def library():
    with warnings.catch_warnings():
        # The library warns about its own deprecated API on import.
        warnings.simplefilter("ignore", DeprecationWarning)
        from simple_icd_10_cm import simple_icd_10_cm

    return simple_icd_10_cm


def is_code(cm, code: str) -> bool:
    """A category or subcategory (not a chapter or a block of categories)."""
    return bool(cm.is_valid_item(code)) and bool(cm.is_category_or_subcategory(code))


def is_billable(cm, code: str) -> bool:
    """A code with nothing more specific under it."""
    return is_code(cm, code) and bool(cm.is_leaf(code))


def build_table() -> str:
    cm = library()
    lines = [
        f"# ICD-10-CM from simple-icd-10-cm {version('simple-icd-10-cm')} "
        f"({cm._classification_data_package_file_name}); built by tools/build_icd10_table.py"
    ]
    rows = set()
    for code in cm.get_all_codes(with_dots=True):
        if not is_code(cm, code):
            continue
        rows.add(f"{code}\t{cm.get_description(code)}" if is_billable(cm, code) else code)
    # Sorted lines are sorted codes (a tab sorts before any character of a code): icd10cm
    # finds a code by bisection instead of building a dictionary of 98,000 entries.
    return "\n".join([*lines, *sorted(rows)]) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if the shipped table is out of date"
    )
    args = parser.parse_args(argv)
    table = build_table()
    if args.check:
        current = TABLE.read_text(encoding="utf-8") if TABLE.exists() else ""
        if current != table:
            sys.stderr.write(f"{TABLE} is out of date: run tools/build_icd10_table.py\n")
            return 1
        return 0
    TABLE.write_text(table, encoding="utf-8", newline="\n")
    rows = table.split("\n")[1:-1]
    billable = sum("\t" in row for row in rows)
    sys.stdout.write(f"Wrote {TABLE}: {len(rows)} codes, {billable} billable.\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
