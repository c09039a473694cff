"""X12 837P (005010X222A1) professional claim writer.

Pure Python: it knows nothing of Django, takes frozen dataclasses and streams segments
to a text file. Every value object checks itself when it is built; what depends on the
separators in use (a name that cleans to nothing, an identifier holding a separator) is
checked while writing.

If `write_837p` raises `X12Error`, what was already written to `out` is not a valid
interchange and must be discarded.
"""

from __future__ import annotations

from billing.x12.elements import (
    CLAIM_FILING_INDICATORS,
    IMPLEMENTATION_GUIDE,
    MAX_CLAIM_ID_LENGTH,
    MAX_CLAIMS,
    MAX_DIAGNOSES,
    MAX_LINES,
    MAX_MODIFIERS,
    MAX_POINTERS,
    NDC_UNITS,
    PATIENT_RELATIONSHIPS,
    TRANSACTION_SET_CONTROL_NUMBER,
    US_STATE_CODES,
    X12Error,
    clean_element,
    format_decimal,
    is_po_box,
)
from billing.x12.values import (
    Address,
    BillingProvider,
    Claim,
    Frequency,
    Interchange,
    Patient,
    PayerRef,
    Provider,
    Receiver,
    Responsibility,
    Separators,
    ServiceLine,
    Sex,
    Submitter,
    Subscriber,
    Usage,
    WriteResult,
)
from billing.x12.writer import check_claim, render_837p, write_837p

__all__ = [
    "CLAIM_FILING_INDICATORS",
    "IMPLEMENTATION_GUIDE",
    "MAX_CLAIMS",
    "MAX_CLAIM_ID_LENGTH",
    "MAX_DIAGNOSES",
    "MAX_LINES",
    "MAX_MODIFIERS",
    "MAX_POINTERS",
    "NDC_UNITS",
    "PATIENT_RELATIONSHIPS",
    "TRANSACTION_SET_CONTROL_NUMBER",
    "US_STATE_CODES",
    "Address",
    "BillingProvider",
    "Claim",
    "Frequency",
    "Interchange",
    "Patient",
    "PayerRef",
    "Provider",
    "Receiver",
    "Responsibility",
    "Separators",
    "ServiceLine",
    "Sex",
    "Submitter",
    "Subscriber",
    "Usage",
    "WriteResult",
    "X12Error",
    "check_claim",
    "clean_element",
    "format_decimal",
    "is_po_box",
    "render_837p",
    "write_837p",
]
