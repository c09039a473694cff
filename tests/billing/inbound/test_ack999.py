"""The 999 reader: accepted, accepted with errors and rejected transaction sets."""

from __future__ import annotations

import pytest

from billing.inbound import (
    ElementError,
    FunctionalGroupResponse,
    Outcome,
    SegmentError,
    TransactionSetResponse,
    describe,
    read_999,
    read_code_list,
)
from tests.x12fixtures import EXAMPLE_VALUES, fill


def response(name: str, values=EXAMPLE_VALUES) -> FunctionalGroupResponse:
    (found,) = read_999(fill(name, values)).responses
    return found


def test_accepted():
    found = response("999_accepted")
    assert found == FunctionalGroupResponse(
        control_number="0001",
        group_control_number="101",
        functional_id="HC",
        acknowledged_group="7",
        version="005010X222A1",
        transaction_sets=(
            TransactionSetResponse(
                transaction_set="837",
                control_number="0001",
                implementation="005010X222A1",
                code="A",
                errors=(),
                segment_errors=(),
            ),
        ),
        code="A",
        included=1,
        received=1,
        accepted_count=1,
        errors=(),
        position=3,
    )
    assert found.outcome is Outcome.ACCEPTED and found.accepted
    assert found.transaction_sets[0].accepted


def test_the_control_numbers_come_from_the_exported_file():
    found = response(
        "999_accepted", EXAMPLE_VALUES | {"gs_control": "918273", "st_control": "000000017"}
    )
    assert found.acknowledged_group == "918273"
    assert found.transaction_sets[0].control_number == "000000017"


def test_rejected_with_segment_and_element_errors():
    found = response("999_rejected")
    assert (found.code, found.outcome, found.accepted) == ("R", Outcome.REJECTED, False)
    assert (found.included, found.received, found.accepted_count) == (1, 1, 0)
    (answer,) = found.transaction_sets
    assert (answer.code, answer.errors, answer.accepted) == ("R", ("5",), False)
    assert answer.segment_errors == (
        SegmentError(
            segment_id="NM1",
            position=15,
            loop="2010",
            code="8",
            claim_number="C00000011",
            elements=(
                ElementError(
                    element="NM109",
                    position=9,
                    component=None,
                    repetition=None,
                    reference_number="67",
                    code="1",
                    bad_value=None,
                ),
            ),
        ),
        SegmentError(
            segment_id="CLM",
            position=20,
            loop="2300",
            code="8",
            claim_number="C00000011",
            elements=(
                ElementError(
                    element="CLM05-3",
                    position=5,
                    component=3,
                    repetition=None,
                    reference_number="1325",
                    code="7",
                    bad_value="9",
                ),
            ),
        ),
    )


def test_the_errors_in_words():
    (answer,) = response("999_rejected").transaction_sets
    segment_words = read_code_list("segment_error")
    element_words = read_code_list("element_error")
    described = [
        (
            error.segment_id,
            describe(error.code, segment_words),
            [(e.element, describe(e.code, element_words)) for e in error.elements],
        )
        for error in answer.segment_errors
    ]
    assert described == [
        ("NM1", "Segment Has Data Element Errors", [("NM109", "Required Data Element Missing")]),
        ("CLM", "Segment Has Data Element Errors", [("CLM05-3", "Invalid Code Value")]),
    ]
    assert describe(answer.code, read_code_list("acknowledgment_code")) == "Rejected"
    assert describe(answer.errors[0], read_code_list("transaction_set_error")) == (
        "One or More Segments in Error"
    )


@pytest.mark.parametrize(
    ("ik5", "ak9", "outcome", "accepted"),
    [
        ("E", "E*1*1*1", Outcome.ACCEPTED_WITH_ERRORS, True),
        ("R*5", "P*2*2*1", Outcome.PARTIALLY_ACCEPTED, False),
        ("R*5", "R*1*1*0*5", Outcome.REJECTED, False),
    ],
)
def test_other_outcomes(ik5, ak9, outcome, accepted):
    text = (
        fill("999_accepted", EXAMPLE_VALUES)
        .decode()
        .replace("IK5*A~", f"IK5*{ik5}~")
        .replace("AK9*A*1*1*1~", f"AK9*{ak9}~")
    )
    (found,) = read_999(text.encode()).responses
    assert (found.outcome, found.accepted) == (outcome, accepted)
    assert found.errors == (("5",) if ak9.endswith("*5") else ())


def test_several_transaction_sets_in_one_answer():
    text = fill("999_accepted", EXAMPLE_VALUES).decode()
    text = text.replace(
        "IK5*A~\nAK9*A*1*1*1~", "IK5*A~\nAK2*837*0002*005010X222A1~\nIK5*R*4~\nAK9*P*2*2*1~"
    ).replace("SE*6*0001~", "SE*8*0001~")
    (found,) = read_999(text.encode()).responses
    assert [(t.control_number, t.outcome, t.errors) for t in found.transaction_sets] == [
        ("0001", Outcome.ACCEPTED, ()),
        ("0002", Outcome.REJECTED, ("4",)),
    ]
    assert found.outcome is Outcome.PARTIALLY_ACCEPTED
