"""Reading what comes back for exported claims: 999, 277CA and 835 files.

Pure Python on top of pyx12 (no database): each reader takes a file's bytes and returns
frozen dataclasses, or raises `X12ReadError` naming the segment, its number in the file
and the element. Codes are returned as codes; `describe` puts them in words with a
code list (`read_code_list`, or a table with the same codes).

    kind = sniff(data)                 # TransactionSet.REMITTANCE_835, ...
    remittances = read_835(data)       # RemittanceFile, balanced
    acks = read_999(data)              # AcknowledgmentFile
    claim_acks = read_277ca(data)      # ClaimAcknowledgmentFile
"""

from __future__ import annotations

from billing.inbound.ack277 import (
    ClaimAcknowledgment,
    ClaimAcknowledgmentFile,
    ClaimOutcome,
    ClaimStatus,
    ProviderStatus,
    ServiceLineStatus,
    Status,
    StatusCode,
    describe_status,
    read_277ca,
)
from billing.inbound.ack999 import (
    AcknowledgmentFile,
    ElementError,
    FunctionalGroupResponse,
    Outcome,
    SegmentError,
    TransactionSetResponse,
    read_999,
)
from billing.inbound.codes import CODE_LISTS, describe, read_code_list
from billing.inbound.errors import Problem, X12ReadError
from billing.inbound.reading import Interchange, Patient, TransactionSet, sniff
from billing.inbound.remit835 import (
    Adjustment,
    ClaimPayment,
    Party,
    ProviderAdjustment,
    Remittance,
    RemittanceFile,
    ServicePayment,
    read_835,
)

__all__ = [
    "CODE_LISTS",
    "AcknowledgmentFile",
    "Adjustment",
    "ClaimAcknowledgment",
    "ClaimAcknowledgmentFile",
    "ClaimOutcome",
    "ClaimPayment",
    "ClaimStatus",
    "ElementError",
    "FunctionalGroupResponse",
    "Interchange",
    "Outcome",
    "Party",
    "Patient",
    "Problem",
    "ProviderAdjustment",
    "ProviderStatus",
    "Remittance",
    "RemittanceFile",
    "SegmentError",
    "ServiceLineStatus",
    "ServicePayment",
    "Status",
    "StatusCode",
    "TransactionSet",
    "TransactionSetResponse",
    "X12ReadError",
    "describe",
    "describe_status",
    "read_277ca",
    "read_835",
    "read_999",
    "read_code_list",
    "sniff",
]
