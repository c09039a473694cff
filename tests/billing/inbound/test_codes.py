"""The code lists are data: each CSV reads, holds the codes the app meets, in their words."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

import billing.inbound
from billing.inbound import CODE_LISTS, describe, read_277ca, read_835, read_999, read_code_list
from tests.x12fixtures import EXAMPLE_VALUES, TEMPLATES, fill

DATA = Path(billing.inbound.__file__).parent / "data"

ONCOLOGY_DENIALS = ["4", "16", "18", "22", "27", "29", "45", "50", "96", "97", "109", "151"]
ONCOLOGY_DENIALS += ["167", "197", "204", "236", "1", "2", "3"]
REMARKS = ["N130", "N362", "M15", "M80", "MA130", "N20", "N290"]


def test_every_list_is_a_file_and_every_file_a_list():
    assert {path.stem for path in DATA.glob("*.csv")} == set(CODE_LISTS)


@pytest.mark.parametrize("name", sorted(CODE_LISTS))
def test_each_list_has_unique_codes_and_words(name):
    with (DATA / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["code", "description"]
    codes = [row[0] for row in rows[1:]]
    assert len(codes) == len(set(codes)) > 0
    assert all(len(row) == 2 and row[0].strip() == row[0] and row[1].strip() for row in rows[1:])
    assert read_code_list(name) == dict(rows[1:])


def test_the_common_oncology_denials_are_listed():
    carc = read_code_list("carc")
    assert set(ONCOLOGY_DENIALS) <= carc.keys()
    assert carc["4"].startswith(
        "The procedure code is inconsistent with the modifier used or a required modifier is "
        "missing."
    )
    assert carc["97"].startswith(
        "The benefit for this service is included in the payment/allowance for another "
        "service/procedure that has already been adjudicated."
    )
    assert carc["1"] == "Deductible Amount"
    assert carc["2"] == "Coinsurance Amount"
    assert carc["3"] == "Co-payment Amount"
    assert carc["29"] == "The time limit for filing has expired."
    assert carc["204"] == (
        "This service/equipment/drug is not covered under the patient's current benefit plan"
    )


def test_the_common_remarks_are_listed():
    rarc = read_code_list("rarc")
    assert set(REMARKS) <= rarc.keys()
    assert rarc["N20"] == "Service not payable with other service rendered on the same date."
    assert rarc["N290"] == "Missing/incomplete/invalid rendering provider primary identifier."
    assert rarc["M15"] == (
        "Separately billed services/tests have been bundled as they are considered components "
        "of the same procedure. Separate payment is not allowed."
    )


def _codes_in_fixtures() -> dict[str, set[str]]:
    used: dict[str, set[str]] = {name: set() for name in CODE_LISTS}
    for name in TEMPLATES:
        raw = fill(name, EXAMPLE_VALUES)
        if name.startswith("835"):
            for remittance in read_835(raw).remittances:
                for adjustment in remittance.provider_adjustments:
                    used["provider_adjustment_reason"].add(adjustment.reason)
                for claim in remittance.claims:
                    used["claim_payment_status"].add(claim.status)
                    used["rarc"] |= set(claim.remarks)
                    for adjustment in claim.all_adjustments:
                        used["carc"].add(adjustment.reason)
                        used["adjustment_group"].add(adjustment.group)
                    for line in claim.lines:
                        used["rarc"] |= set(line.remarks)
        elif name.startswith("277"):
            for ack in read_277ca(raw).acknowledgments:
                statuses = list(ack.receiver_statuses)
                for provider in ack.providers:
                    statuses += provider.statuses
                for claim in ack.claims:
                    statuses += claim.statuses
                for code in (code for status in statuses for code in status.codes):
                    used["claim_status_category"].add(code.category)
                    used["claim_status"].add(code.code)
                    used["entity_identifier"].add(code.entity or "PR")
        else:
            for response in read_999(raw).responses:
                used["acknowledgment_code"].add(response.code)
                used["group_error"] |= set(response.errors)
                for answer in response.transaction_sets:
                    used["acknowledgment_code"].add(answer.code)
                    used["transaction_set_error"] |= set(answer.errors)
                    for error in answer.segment_errors:
                        used["segment_error"].add(error.code or "8")
                        used["element_error"] |= {e.code for e in error.elements}
    return used


def test_every_code_the_fixtures_use_has_words():
    used = _codes_in_fixtures()
    assert used["carc"] == {"1", "2", "4", "16", "45", "97"}
    assert used["rarc"] == {"MA01", "MA130", "N290", "N20", "M15"}
    assert used["claim_status"] == {"19", "20", "21", "164", "562"}
    for name, codes in used.items():
        assert codes <= read_code_list(name).keys(), name


def test_describe_takes_any_mapping():
    edited_by_an_admin = {"CO-45": "Contractual write-off", "45": "Over the fee schedule"}
    assert describe("45", edited_by_an_admin) == "Over the fee schedule"
    assert describe("45", read_code_list("carc")).startswith("Charge exceeds fee schedule")
    assert describe("B7", {}) == "code B7 is not in the code list"
    assert describe("45", {"45": ""}) == "code 45 is not in the code list"


def test_an_unknown_list_is_an_error():
    with pytest.raises(KeyError, match="no code list named 'icd10'"):
        read_code_list("icd10")
