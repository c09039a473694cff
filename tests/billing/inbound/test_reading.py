"""Reading the envelope and refusing what is not a whole, valid file of the right kind."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.inbound import (
    Interchange,
    Problem,
    TransactionSet,
    X12ReadError,
    read_277ca,
    read_835,
    read_999,
    sniff,
)
from tests.x12fixtures import EXAMPLE_VALUES, FIXTURES, TEMPLATES, fill, template

READERS = {"999": read_999, "277": read_277ca, "835": read_835}


def data(name: str) -> bytes:
    return fill(name, EXAMPLE_VALUES)


def refusal(reader, raw: bytes) -> X12ReadError:
    with pytest.raises(X12ReadError) as caught:
        reader(raw)
    return caught.value


def where(error: X12ReadError) -> tuple[str | None, int | None, str | None]:
    return error.segment_id, error.position, error.element


# --- routing -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("999_accepted", TransactionSet.ACK_999),
        ("999_rejected", TransactionSet.ACK_999),
        ("277ca_accepted_and_rejected", TransactionSet.CLAIM_ACK_277),
        ("277ca_provider_rejected", TransactionSet.CLAIM_ACK_277),
        ("835_full_payment", TransactionSet.REMITTANCE_835),
        ("835_plb_adjustment", TransactionSet.REMITTANCE_835),
    ],
)
def test_sniff_names_the_transaction_set(name, kind):
    assert sniff(data(name)) is kind


def test_sniff_refuses_a_claim_file():
    error = refusal(sniff, template("broken/837p_claim").encode())
    assert where(error) == ("ST", 3, "ST01")
    assert error.message == (
        "this file holds an 837 (health care claim); only 999, 277CA and 835 files are read"
    )


def test_sniff_refuses_a_file_that_mixes_transaction_sets():
    text = data("835_partial_pr1_pr2").decode()
    second = text.replace("ST*835*0001~", "ST*999*0002~")
    body_start, body_end = second.index("ST*999"), second.index("GE*")
    mixed = text.replace("GE*1*302~", second[body_start:body_end] + "GE*2*302~")
    error = refusal(sniff, mixed.encode())
    assert where(error) == ("ST", 25, "ST01")
    assert "mixes an 835 (remittance advice) and a 999" in error.message


# --- the envelope ------------------------------------------------------------------------


def test_the_interchange_envelope_is_read():
    assert read_835(data("835_full_payment")).interchange == Interchange(
        sender_qualifier="ZZ",
        sender_id="CLEARHOUSE",
        receiver_qualifier="ZZ",
        receiver_id="PUMPCLINIC",
        control_number="000000301",
        date=dt.date(2026, 4, 10),
        time=dt.time(9, 30),
        usage="T",
    )
    assert not read_835(data("835_full_payment")).interchange.is_production


def test_a_file_on_one_line_with_other_separators_reads_the_same():
    text = data("835_reversal_correction").decode().replace("\n", "")
    other = text.replace("*", "|").replace("~", "\r\n").replace(":", ">")
    assert read_835(other.encode()) == read_835(data("835_reversal_correction"))


def test_a_byte_order_mark_and_leading_blank_lines_are_accepted():
    raw = data("999_accepted")
    assert read_999(b"\xef\xbb\xbf\r\n" + raw) == read_999(raw)


# --- refusals ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reader", "name", "st01_message"),
    [
        (
            read_835,
            "broken/837p_claim",
            "an 837 (health care claim), not an 835 (remittance advice)",
        ),
        (read_999, "broken/837p_claim", "an 837 (health care claim), not a 999"),
        (read_277ca, "broken/837p_claim", "an 837 (health care claim), not a 277CA"),
    ],
)
def test_a_claim_file_is_not_read_as_a_response(reader, name, st01_message):
    error = refusal(reader, template(name).encode())
    assert where(error) == ("ST", 3, "ST01")
    assert st01_message in error.message


@pytest.mark.parametrize(
    ("reader", "name"),
    [
        (read_835, "999_accepted"),
        (read_835, "277ca_accepted_and_rejected"),
        (read_999, "835_full_payment"),
        (read_999, "277ca_provider_rejected"),
        (read_277ca, "999_rejected"),
        (read_277ca, "835_denial_co4"),
    ],
)
def test_each_reader_refuses_the_other_transaction_sets(reader, name):
    error = refusal(reader, data(name))
    assert where(error) == ("ST", 3, "ST01")
    assert error.message.startswith(f"this file holds a{'n' if name[0] == '8' else ''} {name[:3]}")


def test_a_277_that_is_not_a_claim_acknowledgment_is_refused():
    raw = data("277ca_accepted_and_rejected").replace(b"005010X214", b"005010X212")
    error = refusal(read_277ca, raw)
    assert where(error) == ("GS", 2, "GS08")
    assert error.message == (
        "the functional group follows implementation guide '005010X212'; "
        "a 277CA (claim acknowledgment) is read under 005010X214"
    )


# The hand-broken fixtures: each is refused with one message, at its segment.
@pytest.mark.parametrize(
    ("name", "expected", "message"),
    [
        (
            "835_truncated",
            ("CLP", 26, None),
            "the file ends in the middle of a segment: it is truncated",
        ),
        (
            "835_no_trailers",
            ("SE", 33, None),
            "the file ends before the transaction set trailer (SE): it is truncated",
        ),
        (
            "835_segment_count",
            ("SE", 33, "SE01"),
            "SE01 does not match the number of segments in the transaction set",
        ),
        (
            "835_invalid_code",
            ("CLP", 26, "CLP06"),
            "Invalid code value (Claim Filing Indicator Code)",
        ),
        (
            "835_missing_payer_contact",
            ("PER", 11, None),
            'Mandatory segment "Payer Technical Contact Information" (PER) missing',
        ),
    ],
)
def test_a_broken_file_is_refused_at_its_segment(name, expected, message):
    error = refusal(read_835, template(f"broken/{name}").encode())
    assert where(error) == expected
    assert error.message == message


@pytest.mark.parametrize(
    ("cut", "expected"),
    [
        ("GE*1*301~\nIEA*1*000000301~\n", ("GE", 34, None)),
        ("IEA*1*000000301~\n", ("IEA", 35, None)),
    ],
)
def test_a_file_without_its_outer_trailers_is_refused(cut, expected):
    raw = data("835_full_payment").decode().replace(cut, "").encode()
    assert where(refusal(read_835, raw)) == expected


def test_every_cut_of_a_file_is_refused():
    raw = data("999_rejected")
    for length in range(len(raw.rstrip())):
        with pytest.raises(X12ReadError):
            read_999(raw[:length])
    assert read_999(raw.rstrip()) == read_999(raw)


# An edit of the full-payment 835 that leaves its envelope wrong.
COUNTS_AND_CONTROL_NUMBERS_THAT_DISAGREE = [
    ("GE*1*301~", "GE*2*301~", ("GE", 34, "GE01"), "GE01 does not match the number"),
    ("GE*1*301~", "GE*1*302~", ("GE", 34, "GE02"), "group control numbers in GS06 and GE02"),
    ("IEA*1*000000301~", "IEA*2*000000301~", ("IEA", 35, "IEA01"), "IEA01 does not match"),
    ("IEA*1*000000301~", "IEA*1*000000399~", ("IEA", 35, "IEA02"), "ISA13 and IEA02 differ"),
    ("SE*31*0001~", "SE*31*0002~", ("SE", 33, "SE02"), "ST02 and SE02 differ"),
    ("GE*1*301~", "GE*X*301~", ("GE", 34, "GE01"), "GE01 must be a count"),
    ("GE*1*301~", "GE*\u0661*301~", ("GE", 34, "GE01"), "GE01 must be a count"),
]
ENVELOPES_OUT_OF_ORDER = [
    ("SE*31*0001~", "SE*31*0001~\nSE*1*0001~", ("SE", 34, None), "closes a ST that is not open"),
    ("GS*HP", "GE*0*1~\nGS*HP", ("GE", 2, None), "closes a GS that is not open"),
    ("LX*1~", "LX*1~\nST*835*0002~", ("ST", 15, None), "must come inside a GS"),
    ("GE*1*301~", "GE*1*301~\nCLP*X~", ("CLP", 35, None), "outside a transaction set"),
    (
        "ST*835*0001~",
        "ISA*00*          *00*~\nST*835*0001~",
        ("ISA", 3, None),
        "must come first in the file",
    ),
]
BAD_INTERCHANGE_HEADERS = [
    ("*00501*", "*00401*", ("ISA", 1, "ISA12"), "the interchange version is not 00501"),
    ("*260410*0930*", "*261310*0930*", ("ISA", 1, "ISA09"), "not YYMMDD and HHMM"),
    ("*T*:~", "*T*~~", ("ISA", 1, "ISA16"), "three distinct separators"),
]


@pytest.mark.parametrize(
    ("old", "new", "expected", "message"),
    [
        *COUNTS_AND_CONTROL_NUMBERS_THAT_DISAGREE,
        *ENVELOPES_OUT_OF_ORDER,
        *BAD_INTERCHANGE_HEADERS,
    ],
)
def test_an_envelope_edited_wrong_is_refused(old, new, expected, message):
    raw = data("835_full_payment").replace(old.encode(), new.encode(), 1)
    error = refusal(read_835, raw)
    assert where(error) == expected
    assert message in error.message


def test_a_second_interchange_is_refused():
    raw = data("999_accepted")
    error = refusal(read_999, raw + raw)
    assert where(error) == ("ISA", 11, None)
    assert "more than one interchange" in error.message


def test_an_empty_segment_is_refused():
    raw = data("835_full_payment").replace(b"LX*1~", b"LX*1~~")
    error = refusal(read_835, raw)
    assert where(error) == (None, 15, None)
    assert error.message == "the file has an empty segment (two segment terminators in a row)"


@pytest.mark.parametrize(
    ("raw", "expected", "message"),
    [
        (b"", (None, None, None), "the file is empty"),
        (b" \r\n ", (None, None, None), "the file is empty"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3", (None, None, None), "byte 11 (0xE2) is not text"),
        (b"claim,paid\nC00000011,215.83\n", ("ISA", 1, None), "does not begin with an ISA"),
        (b"ISA*00*  *00*", ("ISA", 1, None), "cut short: it must be 106 characters"),
    ],
)
def test_garbage_is_refused(raw, expected, message):
    for reader in (read_835, read_999, read_277ca, sniff):
        error = refusal(reader, raw)
        assert where(error) == expected
        assert message in error.message


def test_the_garbage_fixtures_are_refused():
    error = refusal(read_835, (FIXTURES / "broken" / "garbage.bin").read_bytes())
    assert error.message.startswith("byte 1 (0x89) is not text")
    error = refusal(read_835, (FIXTURES / "broken" / "not_x12.csv").read_bytes())
    assert where(error) == ("ISA", 1, None)


def test_every_problem_is_kept_and_the_first_is_shown():
    raw = (
        data("835_full_payment")
        .replace(b"*12*ACME26040900001*", b"*CI*ACME26040900001*")
        .replace(b"DTM*472*20260304~\nCAS*CO*45*28~", b"DTM*472*20261304~\nCAS*CO*45*28~")
    )
    error = refusal(read_835, raw)
    assert [(p.segment_id, p.position, p.element) for p in error.problems] == [
        ("CLP", 15, "CLP06"),
        ("DTM", 23, "DTM02"),
    ]
    assert error.problems[1].message == "Invalid date (Service Date)"
    assert str(error) == (
        "segment 15 (CLP) element CLP06: Invalid code value (Claim Filing Indicator Code)"
    )


def test_problem_messages_carry_no_element_values():
    raw = data("835_full_payment").replace(b"NM1*QC*1*SMITH*JANE", b"NM1*QC*9*SMITH*JANE")
    error = refusal(read_835, raw)
    assert where(error) == ("NM1", 16, "NM102")
    assert all("SMITH" not in str(problem) for problem in error.problems)


def test_problem_reads_as_a_sentence():
    assert str(Problem("msg", "CLP", 15, "CLP04")) == "segment 15 (CLP) element CLP04: msg"
    assert str(Problem("msg", "SE")) == "SE: msg"
    assert str(Problem("msg", position=9)) == "segment 9: msg"
    assert str(Problem("msg")) == "msg"
    assert str(X12ReadError([])) == "the file could not be read"


# --- arbitrary input ---------------------------------------------------------------------


def _mutations():
    base = st.sampled_from([data(name) for name in TEMPLATES])
    edit = st.tuples(
        st.integers(min_value=0, max_value=3),
        st.floats(min_value=0, max_value=1),
        st.binary(min_size=1, max_size=12),
    )
    return st.tuples(base, st.lists(edit, min_size=1, max_size=4))


def _apply(raw: bytes, edits) -> bytes:
    out = bytearray(raw)
    for kind, where_at, chunk in edits:
        at = int(where_at * len(out)) if out else 0
        if kind == 0:
            del out[at : at + len(chunk)]
        elif kind == 1:
            out[at:at] = chunk
        elif kind == 2:
            out[at : at + len(chunk)] = chunk
        else:
            out[at:at] = out[: len(chunk) * 4]
    return bytes(out)


def assert_read_or_refused(raw: bytes) -> None:
    """Every reader either reads the bytes or refuses them with its own error, saying why."""
    for reader in (read_835, read_999, read_277ca, sniff):
        try:
            reader(raw)
        except X12ReadError as error:
            assert error.problems and error.message


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_arbitrary_bytes_raise_only_the_read_error(raw):
    assert_read_or_refused(raw)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutations())
def test_damaged_fixtures_raise_only_the_read_error(case):
    assert_read_or_refused(_apply(*case))


def test_a_segment_pyx12_cannot_check_is_refused_at_that_segment():
    # pyx12's validator fails with an IndexError on a composite with too many components.
    raw = data("999_rejected").replace(
        b"CTX*CLM01:C00000011~\nIK4*5:3", b"CTX*CLM01:C00:CLM01:C00000011~\nIK4*5:3"
    )
    error = refusal(read_999, raw)
    assert where(error) == ("CTX", 10, None)
    assert error.message == (
        "the segment is malformed: it cannot be checked against the implementation guide"
    )


def test_the_readers_import_no_django():
    code = (
        "import sys, billing.inbound; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'refills')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[3],
        env={k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
    )
    assert done.stdout.strip() == "[]"
