"""The 835 reader: every field of the hand-written remittances, and the balance checks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from billing.inbound import (
    Adjustment,
    ClaimPayment,
    Party,
    Patient,
    ProviderAdjustment,
    Remittance,
    ServicePayment,
    X12ReadError,
    read_835,
)
from tests.x12fixtures import EXAMPLE_VALUES, fill, template

CLAIM_1 = EXAMPLE_VALUES["claim_1"]
CLAIM_2 = EXAMPLE_VALUES["claim_2"]
SERVICE_DAY = dt.date(2026, 3, 4)
RECEIVED = dt.date(2026, 3, 5)
ACME = Party(name="ACME HEALTH PLAN", id_qualifier="2U", id="ACME1")
MEDICARE = Party(name="MEDICARE PART B", id_qualifier="2U", id="12345")
CLINIC = Party(name="PUMP CLINIC LLC", id_qualifier="XX", id="1234567893")
SMITH = Patient(last_name="SMITH", first_name="JANE", id_qualifier="MI", id="1EG4TE5MK73")
JONES = Patient(last_name="JONES", first_name="ROBERT", id_qualifier="MI", id="2FH5UF6NL84")


def remittance(name: str) -> Remittance:
    (found,) = read_835(fill(name, EXAMPLE_VALUES)).remittances
    return found


def line(procedure: str, position: int, **fields) -> ServicePayment:
    defaults = {
        "qualifier": "HC",
        "procedure": procedure,
        "modifiers": (),
        "units": Decimal(1),
        "original_procedure": None,
        "original_units": None,
        "service_from": SERVICE_DAY,
        "service_to": SERVICE_DAY,
        "remarks": (),
        "line_control_number": None,
        "position": position,
    }
    return ServicePayment(**(defaults | fields))


def refill(
    position: int, *adjustments: Adjustment, paid: str = "123.83", **fields
) -> ServicePayment:
    """The fixtures' 96521 line: 175.00 charged, 123.83 allowed; the adjustments account for
    what was not paid."""
    return line(
        "96521",
        position,
        charge=Decimal("175.00"),
        paid=Decimal(paid),
        adjustments=adjustments,
        allowed=Decimal("123.83"),
        **fields,
    )


def visit(position: int, *adjustments: Adjustment, paid: str, **fields) -> ServicePayment:
    """The fixtures' 99213-25 line: 120.00 charged."""
    return line(
        "99213",
        position,
        modifiers=("25",),
        charge=Decimal("120.00"),
        paid=Decimal(paid),
        adjustments=adjustments,
        **fields,
    )


def claim(number: str, position: int, *lines: ServicePayment, **fields) -> ClaimPayment:
    defaults = {
        "claim_number": number,
        "lines": lines,
        "status": "1",
        "patient_responsibility": Decimal("0"),
        "filing_indicator": "12",
        "facility_type": "11",
        "frequency": "1",
        "adjustments": (),
        "remarks": (),
        "patient": SMITH,
        "received": RECEIVED,
        "position": position,
    }
    return ClaimPayment(**(defaults | fields))


def co45(amount: str, position: int) -> Adjustment:
    return Adjustment("CO", "45", Decimal(amount), None, position)


def test_full_payment():
    found = remittance("835_full_payment")
    assert found == Remittance(
        control_number="0001",
        group_control_number="301",
        handling="I",
        amount=Decimal("339.66"),
        credit_debit="C",
        method="ACH",
        payment_date=dt.date(2026, 4, 10),
        trace_number="EFT260410301",
        trace_originator="1512345678",
        production_date=dt.date(2026, 4, 9),
        payer=ACME,
        payee=CLINIC,
        claims=(
            claim(
                CLAIM_1,
                15,
                refill(18, co45("51.17", 20)),
                visit(22, co45("28.00", 24), paid="92.00", allowed=Decimal("92.00")),
                charge=Decimal("295.00"),
                paid=Decimal("215.83"),
                payer_claim_control_number="ACME26040900001",
            ),
            claim(
                CLAIM_2,
                26,
                refill(29, co45("51.17", 31)),
                charge=Decimal("175.00"),
                paid=Decimal("123.83"),
                payer_claim_control_number="ACME26040900002",
                patient=JONES,
            ),
        ),
        provider_adjustments=(),
        position=3,
    )
    first = found.claims[0]
    assert first.allowed == Decimal("215.83")
    assert first.adjusted == Decimal("79.17")
    assert not first.is_denied and not first.is_reversal
    assert found.signed_amount == Decimal("339.66")


def test_partial_payment_with_deductible_and_coinsurance():
    found = remittance("835_partial_pr1_pr2")
    assert (found.amount, found.payer, found.payee) == (Decimal("59.06"), MEDICARE, CLINIC)
    assert found.trace_number == "EFT260410302"
    assert found.claims == (
        claim(
            CLAIM_1,
            15,
            refill(
                19,
                Adjustment("PR", "1", Decimal("50.00"), None, 21),
                Adjustment("PR", "2", Decimal("14.77"), None, 21),
                co45("51.17", 22),
                paid="59.06",
            ),
            charge=Decimal("175.00"),
            paid=Decimal("59.06"),
            patient_responsibility=Decimal("64.77"),
            filing_indicator="MB",
            payer_claim_control_number="2226099000101",
            remarks=("MA01",),
        ),
    )
    labels = [(a.label, a.amount) for a in found.claims[0].all_adjustments]
    assert labels == [
        ("PR-1", Decimal("50.00")),
        ("PR-2", Decimal("14.77")),
        ("CO-45", Decimal("51.17")),
    ]
    patient_share = sum(a.amount for a in found.claims[0].all_adjustments if a.group == "PR")
    assert patient_share == found.claims[0].patient_responsibility


def test_co4_denial_of_the_modifier_25_line_and_a_denied_claim():
    found = remittance("835_denial_co4")
    assert found.amount == Decimal("123.83")
    first, second = found.claims
    assert first.status == "1"
    assert [(ln.procedure, ln.modifiers, ln.paid) for ln in first.lines] == [
        ("96521", (), Decimal("123.83")),
        ("99213", ("25",), Decimal("0.00")),
    ]
    denied_line = first.lines[1]
    assert denied_line.adjustments == (Adjustment("CO", "4", Decimal("120.00"), None, 24),)
    assert denied_line.remarks == ("N20",)
    assert denied_line.allowed is None
    assert first.allowed is None
    assert second == claim(
        CLAIM_2,
        26,
        status="4",
        charge=Decimal("175.00"),
        paid=Decimal("0.00"),
        payer_claim_control_number="ACME26040900004",
        adjustments=(Adjustment("CO", "16", Decimal("175.00"), None, 27),),
        remarks=("MA130", "N290"),
        patient=JONES,
    )
    assert second.is_denied


def test_co97_bundling_denial():
    found = remittance("835_bundling_co97")
    (only,) = found.claims
    assert (only.charge, only.paid, only.patient_responsibility) == (
        Decimal("295.00"),
        Decimal("99.06"),
        Decimal("24.77"),
    )
    refill_line, visit_line = only.lines
    assert refill_line.adjustments == (
        co45("51.17", 21),
        Adjustment("PR", "2", Decimal("24.77"), None, 22),
    )
    assert visit_line == visit(
        24,
        Adjustment("CO", "97", Decimal("120.00"), None, 26),
        paid="0.00",
        remarks=("M15",),
        allowed=None,
    )


def test_reversal_and_correction():
    found = remittance("835_reversal_correction")
    assert (found.amount, found.method, found.payment_date) == (
        Decimal("25.00"),
        "CHK",
        dt.date(2026, 4, 15),
    )
    assert found.trace_number == "CHK0012345"
    reversal, correction = found.claims
    assert reversal.claim_number == correction.claim_number == CLAIM_1
    assert reversal.is_reversal and not correction.is_reversal
    assert (reversal.status, reversal.charge, reversal.paid) == (
        "22",
        Decimal("-295.00"),
        Decimal("-215.83"),
    )
    assert reversal.payer_claim_control_number == "ACME26040900001"
    assert [(ln.charge, ln.paid, ln.units, ln.allowed) for ln in reversal.lines] == [
        (Decimal("-175.00"), Decimal("-123.83"), Decimal(-1), Decimal("-123.83")),
        (Decimal("-120.00"), Decimal("-92.00"), Decimal(-1), Decimal("-92.00")),
    ]
    assert [a.amount for a in reversal.all_adjustments] == [Decimal("-51.17"), Decimal("-28.00")]
    assert (correction.status, correction.charge, correction.paid) == (
        "1",
        Decimal("295.00"),
        Decimal("240.83"),
    )
    assert correction.payer_claim_control_number == "ACME26041400007"
    assert [(ln.procedure, ln.paid, ln.allowed) for ln in correction.lines] == [
        ("96521", Decimal("123.83"), Decimal("123.83")),
        ("99213", Decimal("117.00"), Decimal("117.00")),
    ]
    assert reversal.paid + correction.paid == found.amount


def test_provider_adjustments():
    found = remittance("835_plb_adjustment")
    assert found.amount == Decimal("90.10")
    assert found.provider_adjustments == (
        ProviderAdjustment(
            "1234567893", dt.date(2026, 12, 31), "L6", CLAIM_1, Decimal("-1.27"), 22
        ),
        ProviderAdjustment(
            "1234567893", dt.date(2026, 12, 31), "WO", "ACME26030100099", Decimal("25.00"), 22
        ),
        ProviderAdjustment(
            "1234567893", dt.date(2026, 12, 31), "FB", "ACME26030100100", Decimal("10.00"), 22
        ),
    )
    assert found.claims[0].paid - sum(a.amount for a in found.provider_adjustments) == Decimal(
        "90.10"
    )


# --- the fields the fixtures do not carry ------------------------------------------------


def edited(name: str, *pairs: tuple[str, str]) -> bytes:
    text = fill(name, EXAMPLE_VALUES).decode()
    for old, new in pairs:
        assert old in text
        text = text.replace(old, new, 1)
    return text.encode()


def test_six_adjustments_in_one_cas_with_quantities():
    raw = edited(
        "835_partial_pr1_pr2",
        (
            "CAS*PR*1*50**2*14.77~",
            "CAS*PR*1*20*1*2*4.77*1*3*10**1*10**2*10**3*10~",
        ),
    )
    (found,) = read_835(raw).remittances
    assert [(a.reason, a.amount, a.quantity) for a in found.claims[0].lines[0].adjustments] == [
        ("1", Decimal("20.00"), Decimal(1)),
        ("2", Decimal("4.77"), Decimal(1)),
        ("3", Decimal("10.00"), None),
        ("1", Decimal("10.00"), None),
        ("2", Decimal("10.00"), None),
        ("3", Decimal("10.00"), None),
        ("45", Decimal("51.17"), None),
    ]


def test_line_fields_a_payer_may_add():
    raw = edited(
        "835_partial_pr1_pr2",
        ("SVC*HC:96521*175*59.06**1~", "SVC*HC:96521:JW:59*175*59.06**2*HC:96522*1~"),
        ("DTM*472*20260304~", "DTM*150*20260302~\nDTM*151*20260304~"),
        ("AMT*B6*123.83~", "REF*6R*LINE0001~\nAMT*B6*123.83~\nLQ*HE*N130~\nLQ*HE*N362~"),
        ("SE*22*0001~", "SE*26*0001~"),
    )
    (found,) = read_835(raw).remittances
    assert found.claims[0].lines[0] == refill(
        19,
        Adjustment("PR", "1", Decimal("50.00"), None, 22),
        Adjustment("PR", "2", Decimal("14.77"), None, 22),
        co45("51.17", 23),
        paid="59.06",
        modifiers=("JW", "59"),
        units=Decimal(2),
        original_procedure="96522",
        original_units=Decimal(1),
        service_from=dt.date(2026, 3, 2),
        service_to=SERVICE_DAY,
        remarks=("N130", "N362"),
        line_control_number="LINE0001",
    )


def test_inpatient_remarks_and_a_payer_with_a_national_plan_id():
    raw = edited(
        "835_partial_pr1_pr2",
        ("N1*PR*MEDICARE PART B~", "N1*PR*MEDICARE PART B*XV*PLAN12345~"),
        ("MOA***MA01~", "MIA*0***0*M80***************MA130*N20~"),
    )
    (found,) = read_835(raw).remittances
    assert found.payer == Party(name="MEDICARE PART B", id_qualifier="XV", id="PLAN12345")
    assert found.claims[0].remarks == ("M80", "MA130", "N20")


def test_no_payment_notification():
    raw = edited(
        "835_denial_co4",
        (
            "BPR*I*123.83*C*ACH*CCP*01*999999992*DA*123456789*1512345678**01*999999992*DA*987654321*20260410~",
            "BPR*H*0*C*NON************20260410~",
        ),
        ("CLP*C00000011*1*295*123.83*", "CLP*C00000011*4*295*0*"),
        ("SVC*HC:96521*175*123.83**1~", "SVC*HC:96521*175*0**1~"),
        ("CAS*CO*45*51.17~", "CAS*CO*45*175~"),
    )
    (found,) = read_835(raw).remittances
    assert (found.handling, found.amount, found.method) == ("H", Decimal("0.00"), "NON")
    assert [c.status for c in found.claims] == ["4", "4"]


def test_two_payments_in_one_file():
    text = fill("835_partial_pr1_pr2", EXAMPLE_VALUES).decode()
    st, ge = text.index("ST*835"), text.index("GE*")
    second = text[st:ge].replace("*0001~", "*0002~")
    raw = text.replace("GE*1*302~", second + "GE*2*302~").encode()
    first, other = read_835(raw).remittances
    assert (first.control_number, first.position) == ("0001", 3)
    assert (other.control_number, other.position) == ("0002", 25)
    assert [(c.claim_number, c.paid, c.position) for c in first.claims] == [
        (CLAIM_1, Decimal("59.06"), 15)
    ]
    assert [(c.claim_number, c.paid, c.position) for c in other.claims] == [
        (CLAIM_1, Decimal("59.06"), 37)
    ]


# --- balance -----------------------------------------------------------------------------


def refusal(raw: bytes) -> X12ReadError:
    with pytest.raises(X12ReadError) as caught:
        read_835(raw)
    return caught.value


@pytest.mark.parametrize(
    ("raw", "where", "message"),
    [
        (
            template("broken/835_unbalanced_total").encode(),
            ("BPR", 4, "BPR02"),
            "the total payment 339.06 (BPR02) does not equal the claim payments 339.66 (CLP04) "
            "less the provider adjustments 0.00 (PLB), which is 339.66",
        ),
        (
            template("broken/835_unbalanced_claim").encode(),
            ("CLP", 26, "CLP04"),
            "claim C00000012: the charge 175.00 (CLP03) less the payment 0.00 (CLP04) is 175.00, "
            "but its adjustments (CAS, claim and lines) add up to 170.00",
        ),
        (
            edited("835_plb_adjustment", ("*FB:ACME26030100100*10~", "*FB:ACME26030100100*11~")),
            ("BPR", 4, "BPR02"),
            "the total payment 90.10 (BPR02) does not equal the claim payments 123.83 (CLP04) "
            "less the provider adjustments 34.73 (PLB), which is 89.10",
        ),
        (
            edited("835_full_payment", ("CAS*CO*45*28~", "CAS*CO*45*28.001~")),
            ("CAS", 24, "CAS03"),
            "has more than two decimal places",
        ),
    ],
    ids=[
        "a total that does not balance",
        "a claim that does not balance",
        "the provider adjustments count in the balance",
        "an amount with fractions of a cent",
    ],
)
def test_one_problem_is_refused_where_it_is(raw, where, message):
    error = refusal(raw)
    assert (error.segment_id, error.position, error.element) == where
    assert error.message == message
    assert len(error.problems) == 1


def test_a_debit_balances_as_a_negative_total():
    raw = edited(
        "835_plb_adjustment",
        ("BPR*I*90.1*C*", "BPR*I*90.1*D*"),
    )
    error = refusal(raw)
    assert "90.10 (BPR02, a debit)" in error.message


def test_a_line_that_does_not_balance_is_refused_with_its_claim():
    error = refusal(template("broken/835_unbalanced_line").encode())
    assert [(p.segment_id, p.position, p.element) for p in error.problems] == [
        ("CLP", 26, "CLP04"),
        ("SVC", 29, "SVC03"),
    ]
    assert error.problems[1].message == (
        "claim C00000012, line 96521: the charge 175.00 (SVC02) less the payment 123.83 (SVC03) "
        "is 51.17, but its adjustments (CAS) add up to 50.17"
    )


def test_lines_that_cancel_out_are_each_refused():
    raw = edited(
        "835_full_payment",
        ("CAS*CO*45*51.17~", "CAS*CO*45*52.17~"),
        ("CAS*CO*45*28~", "CAS*CO*45*27~"),
    )
    error = refusal(raw)
    assert [(p.segment_id, p.position, p.element) for p in error.problems] == [
        ("SVC", 18, "SVC03"),
        ("SVC", 22, "SVC03"),
    ]


def test_six_provider_adjustments_in_one_plb_and_a_second_plb():
    raw = edited(
        "835_plb_adjustment",
        ("BPR*I*90.1*", "BPR*I*80.10*"),
        (
            "*WO:ACME26030100099*25*FB:ACME26030100100*10~",
            "*WO:ACME26030100099*25*FB:ACME26030100100*10*CS:ADJ1*1*72:RET1*2*L3:PEN1*3~\n"
            "PLB*1234567893*20261231*WO:ACME26030100101*4~",
        ),
        ("SE*21*0001~", "SE*22*0001~"),
    )
    (found,) = read_835(raw).remittances
    assert [(a.reason, a.reference, a.amount, a.position) for a in found.provider_adjustments] == [
        ("L6", CLAIM_1, Decimal("-1.27"), 22),
        ("WO", "ACME26030100099", Decimal("25.00"), 22),
        ("FB", "ACME26030100100", Decimal("10.00"), 22),
        ("CS", "ADJ1", Decimal("1.00"), 22),
        ("72", "RET1", Decimal("2.00"), 22),
        ("L3", "PEN1", Decimal("3.00"), 22),
        ("WO", "ACME26030100101", Decimal("4.00"), 23),
    ]
    assert found.amount == Decimal("80.10")


@pytest.mark.parametrize("status", ["1", "2", "3", "4", "19", "20", "21", "22", "23"])
def test_each_claim_status(status):
    raw = edited("835_partial_pr1_pr2", ("CLP*C00000011*1*", f"CLP*C00000011*{status}*"))
    (found,) = read_835(raw).remittances
    assert found.claims[0].status == status
    assert found.claims[0].is_denied is (status == "4")
    assert found.claims[0].is_reversal is (status == "22")
