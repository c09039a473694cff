"""The 835 health care claim payment/advice (005010X221A1).

Each transaction set is one payment (BPR, TRN) from one payer to one payee. Each CLP
answers a claim by the claim number sent in CLM01, with its adjustments (CAS: group
code, reason code, amount, quantity), remarks (MOA, MIA, LQ) and service lines (SVC).
PLB adjustments change the payment without belonging to a claim.

A file is read only if it balances (the guide's section 1.10.2.1): BPR02 is the sum of
CLP04 less the sum of the PLB amounts, and at the claim and at each line the charge less
the payment equals the adjustments. The ``carc``, ``rarc``, ``adjustment_group``,
``claim_payment_status`` and ``provider_adjustment_reason`` code lists put the codes in
words.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from billing.inbound import reading
from billing.inbound.errors import Problem, X12ReadError

ZERO = Decimal("0.00")
REVERSAL = "22"
DENIED = "4"
MAX_ADJUSTMENTS_PER_CAS = 6
MAX_ADJUSTMENTS_PER_PLB = 6


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


@dataclass(frozen=True)
class Adjustment:
    """One CAS triplet: why part of the charge was not paid."""

    group: str  # CAS01: CO, PR, OA, PI (list "adjustment_group")
    reason: str  # CARC (list "carc")
    amount: Decimal
    quantity: Decimal | None
    position: int  # the CAS segment's number in the file

    @property
    def label(self) -> str:
        """The usual short form, ``CO-45``."""
        return f"{self.group}-{self.reason}"


@dataclass(frozen=True)
class ServicePayment:
    """Loop 2110: one service line of the claim."""

    qualifier: str  # SVC01-1, "HC" for CPT/HCPCS
    procedure: str  # SVC01-2
    modifiers: tuple[str, ...]  # SVC01-3 to -6
    charge: Decimal  # SVC02
    paid: Decimal  # SVC03
    units: Decimal  # SVC05, one when absent
    original_procedure: str | None  # SVC06-2: the code billed, when the payer changed it
    original_units: Decimal | None  # SVC07
    service_from: date | None  # DTM*472, or DTM*150
    service_to: date | None  # DTM*472, or DTM*151
    adjustments: tuple[Adjustment, ...]
    remarks: tuple[str, ...]  # LQ*HE: RARC (list "rarc")
    allowed: Decimal | None  # AMT*B6
    line_control_number: str | None  # REF*6R: REF*6R of the 837P line
    position: int

    @property
    def adjusted(self) -> Decimal:
        return sum((a.amount for a in self.adjustments), ZERO)


@dataclass(frozen=True)
class ClaimPayment:
    """Loop 2100: the payer's answer to one claim."""

    claim_number: str  # CLP01: our CLM01
    status: str  # CLP02 (list "claim_payment_status"): 1, 2, 3, 4, 19-23, 25
    charge: Decimal  # CLP03
    paid: Decimal  # CLP04
    patient_responsibility: Decimal | None  # CLP05
    filing_indicator: str  # CLP06
    payer_claim_control_number: str  # CLP07
    facility_type: str | None  # CLP08
    frequency: str | None  # CLP09
    adjustments: tuple[Adjustment, ...]  # claim-level CAS
    remarks: tuple[str, ...]  # MOA03-07, MIA05 and MIA20-23 (list "rarc")
    patient: reading.Patient
    received: date | None  # DTM*050
    lines: tuple[ServicePayment, ...]
    position: int

    @property
    def is_reversal(self) -> bool:
        return self.status == REVERSAL

    @property
    def is_denied(self) -> bool:
        return self.status == DENIED

    @property
    def all_adjustments(self) -> tuple[Adjustment, ...]:
        """Claim-level adjustments, then each line's, in file order."""
        return self.adjustments + tuple(a for line in self.lines for a in line.adjustments)

    @property
    def adjusted(self) -> Decimal:
        return sum((a.amount for a in self.all_adjustments), ZERO)

    @property
    def allowed(self) -> Decimal | None:
        """The lines' allowed amounts (AMT*B6) added up, if every line has one."""
        if not self.lines or any(line.allowed is None for line in self.lines):
            return None
        return sum((line.allowed for line in self.lines if line.allowed is not None), ZERO)


@dataclass(frozen=True)
class ProviderAdjustment:
    """One PLB reason and amount: a change to the payment that is not a claim's."""

    provider_id: str  # PLB01
    fiscal_period_end: date  # PLB02
    reason: str  # PLB03-1 (list "provider_adjustment_reason"): WO, L6, FB, ...
    reference: str | None  # PLB03-2
    amount: Decimal  # positive reduces the payment, negative adds to it
    position: int


@dataclass(frozen=True)
class Party:
    name: str
    id_qualifier: str | None
    id: str | None


@dataclass(frozen=True)
class Remittance:
    """One 835 transaction set: one payment and the claims it pays."""

    control_number: str  # ST02
    group_control_number: str  # GS06
    handling: str  # BPR01: I remittance with payment, H notification only, ...
    amount: Decimal  # BPR02
    credit_debit: str  # BPR03: C credit, D debit
    method: str  # BPR04: ACH, CHK, NON, BOP, FWT
    payment_date: date  # BPR16
    trace_number: str  # TRN02: the check or EFT trace number
    trace_originator: str  # TRN03
    production_date: date | None  # DTM*405
    payer: Party  # N1*PR; its id is N104 or else REF*2U
    payee: Party  # N1*PE
    claims: tuple[ClaimPayment, ...]
    provider_adjustments: tuple[ProviderAdjustment, ...]
    position: int  # the ST's number in the file

    @property
    def signed_amount(self) -> Decimal:
        return self.amount if self.credit_debit == "C" else -self.amount


@dataclass(frozen=True)
class RemittanceFile:
    interchange: reading.Interchange
    remittances: tuple[Remittance, ...]


def _adjustments(segment: reading.Segment) -> list[Adjustment]:
    found = []
    for index in range(MAX_ADJUSTMENTS_PER_CAS):
        reason_ref = f"CAS{2 + 3 * index:02d}"
        amount_ref = f"CAS{3 + 3 * index:02d}"
        quantity_ref = f"CAS{4 + 3 * index:02d}"
        if not segment.value(reason_ref):
            continue
        found.append(
            Adjustment(
                group=segment.value("CAS01"),
                reason=segment.value(reason_ref),
                amount=segment.money(amount_ref),
                quantity=segment.optional_number(quantity_ref),
                position=segment.position,
            )
        )
    return found


def _all_adjustments(segments: Iterable[reading.Segment]) -> tuple[Adjustment, ...]:
    return tuple(a for segment in segments if segment.id == "CAS" for a in _adjustments(segment))


def _line(segments: Sequence[reading.Segment]) -> ServicePayment:
    svc = segments[0]
    service_from = service_to = None
    for dtm in (s for s in segments if s.id == "DTM"):
        day = dtm.date("DTM02")
        qualifier = dtm.value("DTM01")
        if qualifier in ("472", "150"):
            service_from = day
        if qualifier in ("472", "151"):
            service_to = day
    allowed = [s.money("AMT02") for s in segments if s.id == "AMT" and s.value("AMT01") == "B6"]
    control = [s.text("REF02") for s in segments if s.id == "REF" and s.value("REF01") == "6R"]
    units = svc.optional_number("SVC05")
    return ServicePayment(
        **reading.service(svc),
        paid=svc.money("SVC03"),
        units=Decimal(1) if units is None else units,
        original_procedure=svc.text("SVC06-2"),
        original_units=svc.optional_number("SVC07"),
        service_from=service_from,
        service_to=service_to,
        adjustments=_all_adjustments(segments),
        remarks=tuple(
            s.value("LQ02") for s in segments if s.id == "LQ" and s.value("LQ01") == "HE"
        ),
        allowed=allowed[0] if allowed else None,
        line_control_number=control[0] if control else None,
        position=svc.position,
    )


def _claim_remarks(segments: Iterable[reading.Segment]) -> tuple[str, ...]:
    refs = {
        "MOA": [f"MOA{i:02d}" for i in range(3, 8)],
        "MIA": ["MIA05", *(f"MIA{i:02d}" for i in range(20, 24))],
    }
    return tuple(
        code
        for segment in segments
        if segment.id in refs
        for code in segment.values(refs[segment.id])
    )


def _claim(segments: Sequence[reading.Segment]) -> ClaimPayment:
    clp = segments[0]
    own = [s for s in segments if s.loop == "2100"]
    lines = reading.runs([s for s in segments if s.loop == "2110"], "SVC")
    patient = reading.find(own, "NM1", "QC")
    received = reading.find(own, "DTM", "050")
    return ClaimPayment(
        claim_number=clp.value("CLP01"),
        status=clp.value("CLP02"),
        charge=clp.money("CLP03"),
        paid=clp.money("CLP04"),
        patient_responsibility=clp.optional_money("CLP05"),
        filing_indicator=clp.value("CLP06"),
        payer_claim_control_number=clp.value("CLP07"),
        facility_type=clp.text("CLP08"),
        frequency=clp.text("CLP09"),
        adjustments=_all_adjustments(own),
        remarks=_claim_remarks(own),
        patient=reading.Patient.from_nm1(patient),
        received=received.date("DTM02") if received else None,
        lines=tuple(_line(run) for run in lines),
        position=clp.position,
    )


def _provider_adjustments(segment: reading.Segment) -> list[ProviderAdjustment]:
    found = []
    for index in range(MAX_ADJUSTMENTS_PER_PLB):
        reason_ref = f"PLB{3 + 2 * index:02d}"
        if not segment.value(f"{reason_ref}-1"):
            continue
        found.append(
            ProviderAdjustment(
                provider_id=segment.value("PLB01"),
                fiscal_period_end=segment.date("PLB02"),
                reason=segment.value(f"{reason_ref}-1"),
                reference=segment.text(f"{reason_ref}-2"),
                amount=segment.money(f"PLB{4 + 2 * index:02d}"),
                position=segment.position,
            )
        )
    return found


def _party(segments: Sequence[reading.Segment], loop: str) -> Party:
    own = [s for s in segments if s.loop == loop]
    n1 = reading.first(own, "N1")
    id_qualifier, party_id = n1.text("N103"), n1.text("N104")
    payer_id = reading.find(own, "REF", "2U")
    if party_id is None and payer_id is not None:
        id_qualifier, party_id = "2U", payer_id.text("REF02")
    return Party(name=n1.value("N102"), id_qualifier=id_qualifier, id=party_id)


def _remittance(group: reading.Segment, segments: Sequence[reading.Segment]) -> Remittance:
    st = segments[0]
    header = [s for s in segments if s.loop == "HEADER"]
    bpr = reading.first(header, "BPR")
    trn = reading.first(header, "TRN")
    dtm = reading.find(header, "DTM", "405")
    claims = reading.runs([s for s in segments if s.loop in ("2100", "2110")], "CLP")
    return Remittance(
        control_number=st.value("ST02"),
        group_control_number=group.value("GS06"),
        handling=bpr.value("BPR01"),
        amount=bpr.money("BPR02"),
        credit_debit=bpr.value("BPR03"),
        method=bpr.value("BPR04"),
        payment_date=bpr.date("BPR16"),
        trace_number=trn.value("TRN02"),
        trace_originator=trn.value("TRN03"),
        production_date=dtm.date("DTM02") if dtm else None,
        payer=_party(segments, "1000A"),
        payee=_party(segments, "1000B"),
        claims=tuple(_claim(run) for run in claims),
        provider_adjustments=tuple(
            a for s in segments if s.id == "PLB" for a in _provider_adjustments(s)
        ),
        position=st.position,
    )


# What a claim's (CLP) and a line's (SVC) balance reads: its charge and payment elements,
# and where its adjustments stand.
_BALANCED = {"CLP": ("CLP03", "CLP04", "CAS, claim and lines"), "SVC": ("SVC02", "SVC03", "CAS")}


def _unbalanced(
    name: str, segment_id: str, position: int, charge: Decimal, paid: Decimal, adjusted: Decimal
) -> list[Problem]:
    """The problem of a charge less its payment that its adjustments do not add up to."""
    charge_element, paid_element, adjustments = _BALANCED[segment_id]
    expected = charge - paid
    if expected == adjusted:
        return []
    return [
        Problem(
            f"{name}: the charge {_money(charge)} ({charge_element}) less the payment "
            f"{_money(paid)} ({paid_element}) is {_money(expected)}, but its adjustments "
            f"({adjustments}) add up to {_money(adjusted)}",
            segment_id=segment_id,
            position=position,
            element=paid_element,
        )
    ]


def _balance_problems(remittance: Remittance) -> list[Problem]:
    """Every amount of ``remittance`` that does not add up: the BPR first, then in file order."""
    problems: list[Problem] = []
    for claim in remittance.claims:
        name = f"claim {claim.claim_number}"
        problems += _unbalanced(
            name, "CLP", claim.position, claim.charge, claim.paid, claim.adjusted
        )
        for line in claim.lines:
            problems += _unbalanced(
                f"{name}, line {line.procedure}",
                "SVC",
                line.position,
                line.charge,
                line.paid,
                line.adjusted,
            )
    paid = sum((claim.paid for claim in remittance.claims), ZERO)
    adjusted = sum((a.amount for a in remittance.provider_adjustments), ZERO)
    if remittance.signed_amount != paid - adjusted:
        problems.insert(
            0,
            Problem(
                f"the total payment {_money(remittance.amount)} (BPR02"
                f"{', a debit' if remittance.credit_debit == 'D' else ''}) does not equal the "
                f"claim payments {_money(paid)} (CLP04) less the provider adjustments "
                f"{_money(adjusted)} (PLB), which is {_money(paid - adjusted)}",
                segment_id="BPR",
                position=remittance.position + 1,  # the guide puts the BPR right after the ST
                element="BPR02",
            ),
        )
    return problems


def read_835(data: bytes) -> RemittanceFile:
    """Every payment in an 835 file; `X12ReadError` if it is refused or does not balance."""
    document = reading.read_document(data, reading.TransactionSet.REMITTANCE_835)
    remittances = []
    problems: list[Problem] = []
    for group, segments in document.transaction_sets():
        remittance = _remittance(group, segments)
        problems += _balance_problems(remittance)
        remittances.append(remittance)
    if problems:
        raise X12ReadError(problems)
    return RemittanceFile(interchange=document.interchange, remittances=tuple(remittances))
