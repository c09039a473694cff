"""The 277CA reader: claims accepted and rejected, and rejections of a whole level."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

from billing.inbound import (
    ClaimStatus,
    Patient,
    Status,
    StatusCode,
    describe,
    describe_status,
    read_277ca,
    read_code_list,
)
from tests.x12fixtures import EXAMPLE_VALUES, fill

DAY = dt.date(2026, 3, 6)
SERVICE_DAY = dt.date(2026, 3, 4)
SMITH = Patient("SMITH", "JANE", "MI", "1EG4TE5MK73")
JONES = Patient("JONES", "ROBERT", "MI", "2FH5UF6NL84")
BROWN = Patient("BROWN", "MARIA", "MI", "3GJ6VG7PM95")
ACCEPTED = StatusCode("A2", "20", "PR")


def acknowledgment(name: str):
    (found,) = read_277ca(fill(name, EXAMPLE_VALUES)).acknowledgments
    return found


def claim_status(
    position: int,
    number: str,
    payer_number: str | None,
    patient: Patient,
    code: StatusCode,
    action: str,
    amount: str,
    message: str | None = None,
) -> ClaimStatus:
    """A claim of the fixtures: its one status in the segment after its trace, one day of
    service, no service lines."""
    return ClaimStatus(
        claim_number=number,
        payer_claim_control_number=payer_number,
        clearinghouse_trace=None,
        patient=patient,
        statuses=(Status((code,), DAY, action, Decimal(amount), message, position + 1),),
        service_from=SERVICE_DAY,
        service_to=SERVICE_DAY,
        lines=(),
        position=position,
    )


def test_two_claims_accepted_and_one_rejected():
    found = acknowledgment("277ca_accepted_and_rejected")
    assert (found.control_number, found.group_control_number, found.reference) == (
        "0001",
        "201",
        "277CA260306201",
    )
    assert (found.created, found.received, found.processed) == (DAY, dt.date(2026, 3, 5), DAY)
    assert (found.source_name, found.source_id, found.source_trace) == (
        "MEDICARE PART B",
        "12345",
        "277CA260306201",
    )
    assert (found.receiver_name, found.receiver_id, found.receiver_trace) == (
        "PUMP CLINIC",
        "SUB123",
        "000000042",
    )
    received = Status((StatusCode("A1", "19", "PR"),), DAY, "WQ", Decimal("645.00"), None, 13)
    assert found.receiver_statuses == (received,)
    assert (found.accepted_quantity, found.rejected_quantity) == (2, 1)
    assert (found.accepted_amount, found.rejected_amount) == (Decimal("470.00"), Decimal("175.00"))
    assert found.accepted
    (provider,) = found.providers
    assert (provider.name, provider.id_qualifier, provider.id, provider.trace) == (
        "PUMP CLINIC LLC",
        "XX",
        "1234567893",
        "0",
    )
    # The provider level repeats the receiver's status, undated.
    assert provider.statuses == (replace(received, effective=None, position=21),)
    assert (provider.accepted_quantity, provider.rejected_quantity) == (2, 1)
    assert provider.accepted
    assert found.claims == (
        claim_status(28, "C00000011", "2226065000101", SMITH, ACCEPTED, "WQ", "175.00"),
        claim_status(34, "C00000012", "2226065000102", JONES, ACCEPTED, "WQ", "295.00"),
        claim_status(
            40,
            "C00000013",
            None,
            BROWN,
            StatusCode("A7", "164", "IL"),
            "U",
            "175.00",
            "SUBSCRIBER ID NOT ON FILE",
        ),
    )
    assert [(c.claim_number, c.accepted, c.amount) for c in found.claims] == [
        ("C00000011", True, Decimal("175.00")),
        ("C00000012", True, Decimal("295.00")),
        ("C00000013", False, Decimal("175.00")),
    ]
    outcomes = found.outcomes()
    assert [(o.claim.claim_number, o.accepted, o.reasons) for o in outcomes] == [
        ("C00000011", True, ()),
        ("C00000012", True, ()),
        ("C00000013", False, found.claims[2].statuses),
    ]


def test_the_rejection_in_words():
    rejected = acknowledgment("277ca_accepted_and_rejected").claims[2]
    (code,) = rejected.statuses[0].codes
    assert describe(code.category, read_code_list("claim_status_category")) == (
        "Acknowledgement/Rejected for Invalid Information - The claim/encounter has invalid "
        "information as specified in the Status details and has been rejected."
    )
    assert describe(code.code, read_code_list("claim_status")) == (
        "Entity's contract/member number. Usage: This code requires use of an Entity Code."
    )
    assert describe(code.entity, read_code_list("entity_identifier")) == "Insured or Subscriber"


def test_a_rejected_billing_provider_rejects_its_claims():
    found = acknowledgment("277ca_provider_rejected")
    assert found.accepted
    (provider,) = found.providers
    assert not provider.accepted
    assert provider.statuses == (
        Status((StatusCode("A3", "562", "85"),), None, "U", Decimal("175.00"), None, 21),
    )
    (claim,) = found.claims
    assert claim.statuses == (
        Status(
            (StatusCode("A3", "21", "85"), StatusCode("A3", "562", "85")),
            DAY,
            "U",
            Decimal("175.00"),
            None,
            29,
        ),
    )
    (outcome,) = found.outcomes()
    assert not outcome.accepted
    assert outcome.reasons == provider.statuses + claim.statuses


def test_a_rejected_batch_rejects_every_claim_even_one_accepted_on_its_own():
    text = (
        fill("277ca_accepted_and_rejected", EXAMPLE_VALUES)
        .decode()
        .replace("STC*A1:19:PR*20260306*WQ*645~", "STC*A3:24:41*20260306*U*645~")
    )
    (found,) = read_277ca(text.encode()).acknowledgments
    assert not found.accepted
    assert [(o.claim.claim_number, o.accepted) for o in found.outcomes()] == [
        ("C00000011", False),
        ("C00000012", False),
        ("C00000013", False),
    ]
    assert found.outcomes()[0].reasons == found.receiver_statuses


def test_service_lines_and_a_clearinghouse_trace():
    text = (
        fill("277ca_accepted_and_rejected", EXAMPLE_VALUES)
        .decode()
        .replace(
            "REF*1K*2226065000102~\nDTP*472*D8*20260304~",
            "REF*1K*2226065000102~\nREF*D9*CH0000042~\nDTP*472*RD8*20260303-20260304~\n"
            "SVC*HC:99213:25*120*****1~\nSTC*A7:454*20260306*U~\nREF*FJ*2~\n"
            "DTP*472*D8*20260304~",
        )
        .replace("SE*41*0001~", "SE*46*0001~")
    )
    claim = read_277ca(text.encode()).claims[1]
    assert claim.clearinghouse_trace == "CH0000042"
    assert (claim.service_from, claim.service_to) == (dt.date(2026, 3, 3), SERVICE_DAY)
    (service,) = claim.lines
    assert (service.procedure, service.modifiers, service.charge, service.units) == (
        "99213",
        ("25",),
        Decimal("120.00"),
        Decimal(1),
    )
    assert service.statuses == (Status((StatusCode("A7", "454", None),), DAY, "U", None, None, 40),)
    assert (service.line_control_number, service.service_from, service.accepted) == (
        "2",
        SERVICE_DAY,
        False,
    )


def test_a_status_in_one_sentence():
    (code,) = acknowledgment("277ca_accepted_and_rejected").claims[2].statuses[0].codes
    words = describe_status(
        code,
        categories=read_code_list("claim_status_category"),
        statuses=read_code_list("claim_status"),
        entities=read_code_list("entity_identifier"),
    )
    assert words == (
        "Acknowledgement/Rejected for Invalid Information - The claim/encounter has invalid "
        "information as specified in the Status details and has been rejected. "
        "Entity's contract/member number. Usage: This code requires use of an Entity Code. "
        "Entity: Insured or Subscriber."
    )
    assert (
        describe_status(
            StatusCode("A2", "20", None),
            categories={"A2": "Accepted into adjudication."},
            statuses={},
            entities={},
        )
        == "Accepted into adjudication. code 20 is not in the code list"
    )
