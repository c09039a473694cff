"""The 837P writer, checked structurally and by pyx12's 005010X222A1 map (no database)."""

from __future__ import annotations

import io
import re
import string
import unicodedata
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from anyascii import anyascii
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from billing.x12 import (
    US_STATE_CODES,
    Address,
    BillingProvider,
    Claim,
    Interchange,
    Patient,
    PayerRef,
    Provider,
    Receiver,
    Separators,
    ServiceLine,
    Submitter,
    Subscriber,
    WriteResult,
    X12Error,
    clean_element,
    format_decimal,
    render_837p,
    write_837p,
)
from tests.x12check import pyx12_problems

BASIC_CHARACTERS = frozenset(string.ascii_uppercase + string.digits + "!\"&'()*+,-./:;?= ")
CLINIC_NPI = "1234567893"
RENDERING_NPI = "1987654328"
SUPERVISING_NPI = "1765432103"
SERVICE_DATE = date(2026, 3, 4)


# --- builders --------------------------------------------------------------------------


def make_address(**overrides: Any) -> Address:
    fields: dict[str, Any] = {
        "line1": "100 Main St",
        "line2": None,
        "city": "Springfield",
        "state": "IL",
        "postal_code": "62701-1234",
    }
    return Address(**(fields | overrides))


def make_interchange(**overrides: Any) -> Interchange:
    fields: dict[str, Any] = {
        "sender_id": "PUMPCLINIC",
        "receiver_id": "CLEARHOUSE",
        "interchange_control_number": 42,
        "group_control_number": 7,
        "created_at": datetime(2026, 3, 4, 15, 30, tzinfo=UTC),
        "usage": "T",
    }
    return Interchange(**(fields | overrides))


SUBMITTER = Submitter(
    name="Pump Clinic", id="SUB123", contact_name="Ana Alvarez", contact_phone="555-123-4567"
)
RECEIVER = Receiver(name="Clearing House", id="CH01")
BILLING_PROVIDER = BillingProvider(
    name="Pump Clinic LLC",
    npi=CLINIC_NPI,
    tax_id="123456789",
    taxonomy="207RH0003X",
    address=make_address(),
    contact_name="Billing Office",
    contact_phone="(555) 123-9999",
)
MEDICARE = PayerRef(name="Medicare Part B", payer_id="12345", claim_filing_indicator="MB")
SUBSCRIBER = Subscriber(
    member_id="1EG4TE5MK73",
    last_name="Smith",
    first_name="Jane",
    birth_date=date(1958, 7, 9),
    sex="F",
    address=make_address(line1="22 Oak Ave", postal_code="62704"),
)
RENDERING = Provider(last_name="Okafor", first_name="Ada", npi=RENDERING_NPI, taxonomy="207RH0003X")
SUPERVISING = Provider(last_name="Chen", first_name="Li", npi=SUPERVISING_NPI)


def make_line(**overrides: Any) -> ServiceLine:
    fields: dict[str, Any] = {
        "code": "96521",
        "charge": Decimal("175.00"),
        "units": 1,
        "place_of_service": "11",
        "pointers": (1, 2),
        "service_date": SERVICE_DATE,
    }
    return ServiceLine(**(fields | overrides))


def make_patient(relationship: str, **overrides: Any) -> Patient:
    """The patient when not the subscriber: the subscriber's name, birth date, sex and address
    unless overridden."""
    person = ("last_name", "first_name", "birth_date", "sex", "address")
    return Patient(
        relationship=relationship,
        **({name: getattr(SUBSCRIBER, name) for name in person} | overrides),
    )


def make_claim(**overrides: Any) -> Claim:
    fields: dict[str, Any] = {
        "claim_id": "ENC-1001",
        "place_of_service": "11",
        "diagnoses": ("Z51.11", "C18.9"),
        "lines": (make_line(),),
        "subscriber": SUBSCRIBER,
        "payer": MEDICARE,
    }
    return Claim(**(fields | overrides))


def render(*claims: Claim, interchange: Interchange | None = None) -> str:
    return render_837p(
        interchange or make_interchange(), SUBMITTER, RECEIVER, BILLING_PROVIDER, claims
    )


# --- reading the output back ------------------------------------------------------------


DEFAULT_SEPARATORS = Separators()


def parse(text: str, separators: Separators = DEFAULT_SEPARATORS) -> list[list[str]]:
    assert text.endswith(separators.segment)
    return [segment.split(separators.element) for segment in text[:-1].split(separators.segment)]


# Element counts of every segment this writer produces; a separator leaking into data
# would change them.
ELEMENT_COUNTS = {
    "ISA": {16},
    "GS": {8},
    "ST": {3},
    "BHT": {6},
    "NM1": {4, 9},
    "PER": {4},
    "HL": {4},
    "PRV": {3},
    "N3": {1, 2},
    "N4": {3},
    "REF": {2},
    "SBR": {9},
    "DMG": {3},
    "PAT": {1},
    "CLM": {9},
    "HI": set(range(1, 13)),
    "LX": {1},
    "SV1": {7},
    "DTP": {3},
    "LIN": {3},
    "CTP": {5},
    "SE": {2},
    "GE": {2},
    "IEA": {2},
}
COMPOSITES = {("CLM", 5), ("SV1", 1), ("SV1", 7), ("CTP", 5)}


def assert_well_formed(
    text: str,
    claims: tuple[Claim, ...],
    interchange: Interchange,
    result: WriteResult | None = None,
) -> None:
    """Check what pyx12 does not: structure, data characters, sums, pointers, counts."""
    separators = interchange.separators
    segments = parse(text, separators)
    ids = [segment[0] for segment in segments]

    isa = segments[0]
    assert len(separators.element.join(isa)) + 1 == 106
    assert isa[11] == separators.repetition
    assert isa[16] == separators.sub_element
    assert isa[13] == f"{interchange.interchange_control_number:09d}"
    assert segments[-1] == ["IEA", "1", isa[13]]
    group = str(interchange.group_control_number)
    assert segments[1][6] == group
    assert segments[-2] == ["GE", "1", group]
    assert ids.count("ISA") == ids.count("GS") == ids.count("ST") == 1

    st_index, se_index = ids.index("ST"), ids.index("SE")
    assert int(segments[se_index][1]) == se_index - st_index + 1
    assert segments[se_index][2] == segments[st_index][2]

    for segment in segments:
        assert len(segment) - 1 in ELEMENT_COUNTS[segment[0]], segment
        if segment[0] == "ISA":
            continue
        for position, element in enumerate(segment[1:], start=1):
            assert separators.segment not in element
            assert separators.repetition not in element
            components = element.split(separators.sub_element)
            if segment[0] != "HI" and (segment[0], position) not in COMPOSITES:
                assert len(components) == 1, segment
            for component in components:
                assert set(component) <= BASIC_CHARACTERS, segment
                assert component == component.strip(), segment
                assert "  " not in component, segment

    claim_starts = [i for i, seg_id in enumerate(ids) if seg_id == "CLM"]
    assert len(claim_starts) == len(claims)
    for start, end, claim in zip(claim_starts, [*claim_starts[1:], se_index], claims, strict=True):
        body = segments[start:end]
        clm = body[0]
        assert clm[1] == claim.claim_id
        sv1s = [segment for segment in body if segment[0] == "SV1"]
        assert len(sv1s) == len(claim.lines)
        assert Decimal(clm[2]) == sum(Decimal(sv1[2]) for sv1 in sv1s)
        assert Decimal(clm[2]) == claim.total_charge
        hi = next(segment for segment in body if segment[0] == "HI")
        assert len(hi) - 1 == len(claim.diagnoses)
        for sv1 in sv1s:
            pointers = [int(p) for p in sv1[7].split(separators.sub_element)]
            assert max(pointers) <= len(hi) - 1

    if result is not None:
        assert result.segment_count == int(segments[se_index][1])
        assert result.transaction_set_control_number == segments[st_index][2]
        assert result.claim_count == len(claims)
        assert result.line_count == sum(len(claim.lines) for claim in claims)
        assert result.total_charge == sum(claim.total_charge for claim in claims)


def assert_valid(text: str, claims: tuple[Claim, ...], interchange: Interchange) -> None:
    assert_well_formed(text, claims, interchange)
    assert pyx12_problems(text) == []


# --- the validator itself ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("original", "tampered"),
    [
        ("SE*25*0001", "SE*24*0001"),
        ("IEA*1*000000042", "IEA*1*000000043"),
        ("DTP*472*D8*20260304~", ""),
        ("HI*ABK:Z5111*ABF:C189~", "HI*ABK:Z5111*ABF:C1*89~"),
    ],
)
def test_validator_reports_a_broken_file(original: str, tampered: str) -> None:
    text = render(make_claim())
    assert original in text
    assert pyx12_problems(text) == []
    assert pyx12_problems(text.replace(original, tampered)) != []


# --- scenarios --------------------------------------------------------------------------


def test_single_refill_claim() -> None:
    claim = make_claim(rendering=RENDERING, supervising=SUPERVISING)
    text = render(claim)

    assert text.split("~") == [
        "ISA*00*          *00*          *ZZ*PUMPCLINIC     *ZZ*CLEARHOUSE     "
        "*260304*1530*^*00501*000000042*0*T*:",
        "GS*HC*PUMPCLINIC*CLEARHOUSE*20260304*1530*7*X*005010X222A1",
        "ST*837*0001*005010X222A1",
        "BHT*0019*00*000000042*20260304*1530*CH",
        "NM1*41*2*PUMP CLINIC*****46*SUB123",
        "PER*IC*ANA ALVAREZ*TE*5551234567",
        "NM1*40*2*CLEARING HOUSE*****46*CH01",
        "HL*1**20*1",
        "PRV*BI*PXC*207RH0003X",
        "NM1*85*2*PUMP CLINIC LLC*****XX*1234567893",
        "N3*100 MAIN ST",
        "N4*SPRINGFIELD*IL*627011234",
        "REF*EI*123456789",
        "PER*IC*BILLING OFFICE*TE*5551239999",
        "HL*2*1*22*0",
        "SBR*P*18*******MB",
        "NM1*IL*1*SMITH*JANE****MI*1EG4TE5MK73",
        "N3*22 OAK AVE",
        "N4*SPRINGFIELD*IL*62704",
        "DMG*D8*19580709*F",
        "NM1*PR*2*MEDICARE PART B*****PI*12345",
        "CLM*ENC-1001*175***11:B:1*Y*A*Y*Y",
        "HI*ABK:Z5111*ABF:C189",
        "NM1*82*1*OKAFOR*ADA****XX*1987654328",
        "PRV*PE*PXC*207RH0003X",
        "NM1*DQ*1*CHEN*LI****XX*1765432103",
        "LX*1",
        "SV1*HC:96521*175*UN*1***1:2",
        "DTP*472*D8*20260304",
        "SE*28*0001",
        "GE*1*7",
        "IEA*1*000000042",
        "",
    ]
    assert_valid(text, (claim,), make_interchange())


def test_refill_and_em_with_modifier_25_and_three_diagnoses() -> None:
    claim = make_claim(
        diagnoses=("Z51.11", "C18.9", "R11.0"),
        lines=(
            make_line(),
            make_line(code="99213", modifiers=("25",), charge=Decimal("120.00"), pointers=(3, 2)),
        ),
        rendering=RENDERING,
    )
    text = render(claim)
    segments = parse(text)

    assert ["CLM", "ENC-1001", "295", "", "", "11:B:1", "Y", "A", "Y", "Y"] in segments
    assert ["HI", "ABK:Z5111", "ABF:C189", "ABF:R110"] in segments
    assert [s for s in segments if s[0] in ("LX", "SV1", "DTP")] == [
        ["LX", "1"],
        ["SV1", "HC:96521", "175", "UN", "1", "", "", "1:2"],
        ["DTP", "472", "D8", "20260304"],
        ["LX", "2"],
        ["SV1", "HC:99213:25", "120", "UN", "1", "", "", "3:2"],
        ["DTP", "472", "D8", "20260304"],
    ]
    assert_valid(text, (claim,), make_interchange())


def test_line_place_of_service_is_sent_only_when_it_differs_from_the_claim() -> None:
    claim = make_claim(lines=(make_line(), make_line(code="99213", place_of_service="22")))
    sv1s = [s for s in parse(render(claim)) if s[0] == "SV1"]

    assert sv1s == [
        ["SV1", "HC:96521", "175", "UN", "1", "", "", "1:2"],
        ["SV1", "HC:99213", "175", "UN", "1", "22", "", "1:2"],
    ]
    assert_valid(render(claim), (claim,), make_interchange())


def test_line_with_ndc_carries_lin_and_ctp() -> None:
    line = make_line(ndc="63323011710", ndc_quantity=Decimal("46.500"), ndc_unit="ML")
    claim = make_claim(lines=(line, make_line(code="99213", modifiers=("25",))))
    text = render(claim)
    segments = parse(text)
    first_line = segments[segments.index(["LX", "1"]) : segments.index(["LX", "2"])]

    assert first_line == [
        ["LX", "1"],
        ["SV1", "HC:96521", "175", "UN", "1", "", "", "1:2"],
        ["DTP", "472", "D8", "20260304"],
        ["LIN", "", "N4", "63323011710"],
        ["CTP", "", "", "", "46.5", "ML"],
    ]
    assert [s[0] for s in segments].count("LIN") == 1
    assert_valid(text, (claim,), make_interchange())


def test_patient_who_is_not_the_subscriber_gets_a_2000c_loop() -> None:
    child = make_patient(
        "19", first_name="Tom", birth_date=date(2012, 1, 31), sex="M", address=make_address()
    )
    claims = (make_claim(patient=child), make_claim(claim_id="ENC-1002"))
    text = render(*claims)
    segments = parse(text)
    hierarchy = [s for s in segments if s[0] in ("HL", "SBR", "PAT", "DMG", "CLM")]

    assert [s[:5] for s in hierarchy] == [
        ["HL", "1", "", "20", "1"],
        ["HL", "2", "1", "22", "1"],
        ["SBR", "P", "", "", ""],
        ["HL", "3", "2", "23", "0"],
        ["PAT", "19"],
        ["DMG", "D8", "20120131", "M"],
        ["CLM", "ENC-1001", "175", "", ""],
        ["HL", "4", "1", "22", "0"],
        ["SBR", "P", "18", "", ""],
        ["DMG", "D8", "19580709", "F"],
        ["CLM", "ENC-1002", "175", "", ""],
    ]
    assert ["NM1", "QC", "1", "SMITH", "TOM"] in segments
    assert_valid(text, claims, make_interchange())


def test_apostrophes_are_kept_and_accents_stripped() -> None:
    subscriber = replace(SUBSCRIBER, last_name="Núñez", first_name="Zoë")
    patient = make_patient(
        "01",
        last_name="O'Brien",
        first_name="Siobhán",
        birth_date=date(1961, 2, 3),
        sex="M",
        address=make_address(city="Coeur d'Alene", state="ID", line2="Bâtiment 2"),
    )
    claim = make_claim(subscriber=subscriber, patient=patient)
    text = render(claim)
    segments = parse(text)

    assert ["NM1", "IL", "1", "NUNEZ", "ZOE", "", "", "", "MI", "1EG4TE5MK73"] in segments
    assert ["NM1", "QC", "1", "O'BRIEN", "SIOBHAN"] in segments
    assert ["N3", "100 MAIN ST", "BATIMENT 2"] in segments
    assert ["N4", "COEUR D'ALENE", "ID", "627011234"] in segments
    assert_valid(text, (claim,), make_interchange())


@pytest.mark.parametrize(
    "separators",
    [
        Separators(),
        Separators(element="|", sub_element=">", segment="'", repetition="!"),
    ],
    ids=["default", "pipe"],
)
def test_separators_inside_data_never_reach_the_file(separators: Separators) -> None:
    nasty = "A*B~C:D^E|F>G'H!I"
    subscriber = replace(SUBSCRIBER, last_name=nasty, first_name="~Jo:")
    claim = make_claim(
        subscriber=subscriber,
        rendering=replace(RENDERING, first_name="Ada*", last_name="O'Kafor^"),
        payer=replace(MEDICARE, name="Payer*~:^"),
    )
    interchange = make_interchange(separators=separators)
    text = render(claim, interchange=interchange)
    names = {s[1]: s[3:5] for s in parse(text, separators) if s[0] == "NM1"}

    assert names["IL"] == [
        clean_element(nasty, separators.reserved),
        clean_element("~Jo:", separators.reserved),
    ]
    for name in [*names["IL"], *names["82"], *names["PR"]]:
        assert not set(name) & set(separators.reserved)
    assert_valid(text, (claim,), interchange)


def test_result_matches_the_file_and_claims_are_streamed_one_by_one() -> None:
    out = io.StringIO()
    claims = [
        make_claim(claim_id=f"ENC-{n}", lines=(make_line(charge=Decimal("175.25")),) * n)
        for n in (1, 2, 3)
    ]
    written_before: list[str] = []

    def feed() -> Iterator[Claim]:
        for claim in claims:
            written_before.append(out.getvalue())
            yield claim

    result = write_837p(make_interchange(), SUBMITTER, RECEIVER, BILLING_PROVIDER, feed(), out)

    assert result == WriteResult(
        segment_count=int(parse(out.getvalue())[-3][1]),
        transaction_set_control_number="0001",
        claim_count=3,
        line_count=6,
        total_charge=Decimal("1051.50"),
    )
    assert "ENC-1*" in written_before[1] and "ENC-2*" not in written_before[1]
    assert "ENC-2*" in written_before[2] and "ENC-3*" not in written_before[2]
    assert_well_formed(out.getvalue(), tuple(claims), make_interchange(), result)


def test_a_claim_the_writer_refuses_is_handed_to_refused_and_the_others_are_written() -> None:
    good = [make_claim(claim_id="ENC-1"), make_claim(claim_id="ENC-3", patient=make_patient("19"))]
    bad = make_claim(claim_id="ENC-2", subscriber=replace(SUBSCRIBER, member_id="M*2"))
    refusals: list[tuple[str, str | None]] = []
    out = io.StringIO()

    result = write_837p(
        make_interchange(),
        SUBMITTER,
        RECEIVER,
        BILLING_PROVIDER,
        [good[0], bad, good[1]],
        out,
        lambda claim, error: refusals.append((claim.claim_id, error.what)),
    )

    assert refusals == [("ENC-2", "subscriber member id")]
    assert (result.claim_count, result.line_count) == (2, 2)
    assert out.getvalue() == render(*good)
    assert_valid(out.getvalue(), tuple(good), make_interchange())


def test_without_refused_the_first_claim_refused_stops_the_file() -> None:
    bad = make_claim(claim_id="ENC-2", subscriber=replace(SUBSCRIBER, member_id="M*2"))

    with pytest.raises(X12Error, match="member id 'M\\*2' holds a character"):
        render(make_claim(claim_id="ENC-1"), bad)


def test_a_file_whose_every_claim_is_refused_is_refused() -> None:
    bad = make_claim(subscriber=replace(SUBSCRIBER, member_id="M*2"))
    refusals: list[Claim] = []

    with pytest.raises(X12Error, match="at least one claim"):
        write_837p(
            make_interchange(),
            SUBMITTER,
            RECEIVER,
            BILLING_PROVIDER,
            [bad],
            io.StringIO(),
            lambda claim, error: refusals.append(claim),
        )
    assert refusals == [bad]


def test_control_numbers_are_exactly_those_given() -> None:
    interchange = make_interchange(
        interchange_control_number=999_999_999,
        group_control_number=123456,
        created_at=datetime(2026, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-5))),
    )
    segments = parse(render(make_claim(), interchange=interchange))

    assert segments[0][9:11] == ["261231", "2359"]
    assert segments[0][13] == "999999999"
    assert segments[1][4:7] == ["20261231", "2359", "123456"]
    assert segments[3][3] == "999999999"
    assert segments[-2:] == [["GE", "1", "123456"], ["IEA", "1", "999999999"]]


# --- cleaning and formatting ------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "reserved", "expected"),
    [
        ("O'Brien", "*:~^", "O'BRIEN"),
        ("Zoë Núñez", "*:~^", "ZOE NUNEZ"),
        ("Straße", "*:~^", "STRASSE"),
        ("a*b:c~d^e", "*:~^", "A B C D E"),
        ("  tab\tand\nnewline  ", "*:~^", "TAB AND NEWLINE"),
        ("Apt #4 @home", "", "APT 4 HOME"),
        ("李小龙", "*:~^", "LIXIAOLONG"),
        ("Østergaard Łucja", "*:~^", "OSTERGAARD LUCJA"),
        ("ﬁne ½", "", "FINE 1/2"),
        ("Zoe\u0308 😀", "", "ZOE"),
    ],
)
def test_clean_element(raw: str, reserved: str, expected: str) -> None:
    assert clean_element(raw, reserved) == expected


@settings(max_examples=100)
@given(st.text(), st.sampled_from(["*:~^", "|>'!", ""]))
def test_clean_element_keeps_only_basic_characters(raw: str, reserved: str) -> None:
    cleaned = clean_element(raw, reserved)

    assert set(cleaned) <= BASIC_CHARACTERS - set(reserved)
    assert cleaned == cleaned.strip()
    assert "  " not in cleaned
    assert clean_element(cleaned, reserved) == cleaned


def _clean_by_definition(value: str, reserved: str) -> str:
    """The definition: letters and digits outside ASCII transliterated by anyascii,
    combining marks dropped, other characters outside ASCII spaced; then upper case, the
    basic characters kept and the rest spaced."""
    text = ""
    for char in value:
        kind = unicodedata.category(char)[0]
        if char.isascii():
            text += char
        elif kind in "LN":
            text += anyascii(char)
        elif kind != "M":
            text += " "
    kept = [
        char.upper() if char.upper() in BASIC_CHARACTERS and char.upper() not in reserved else " "
        for char in text
    ]
    return " ".join("".join(kept).split())


@settings(max_examples=100)
@given(
    st.one_of(st.text(), st.text(alphabet=st.characters(max_codepoint=127))),
    st.sampled_from(["*:~^", "|>'!", ""]),
)
@example("mixed ascii and ü*", "*:~^")
def test_clean_element_ascii_fast_path_matches_the_definition(raw: str, reserved: str) -> None:
    assert clean_element(raw, reserved) == _clean_by_definition(raw, reserved)


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (Decimal("175.00"), "175"),
        (Decimal("175.50"), "175.5"),
        (Decimal("175.25"), "175.25"),
        (Decimal("1000"), "1000"),
        (Decimal("1E+3"), "1000"),
        (Decimal("0.00"), "0"),
        (Decimal("-0.00"), "0"),
        (Decimal("0.05"), "0.05"),
    ],
)
def test_format_decimal(amount: Decimal, expected: str) -> None:
    assert format_decimal(amount) == expected


def test_charge_written_without_trailing_zeros() -> None:
    claim = make_claim(
        lines=(make_line(charge=Decimal("175.000")), make_line(charge=Decimal("0.5")))
    )
    segments = parse(render(claim))

    assert [s[2] for s in segments if s[0] in ("CLM", "SV1")] == ["175.5", "175", "0.5"]


# --- refusals ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: make_claim(lines=()), "1 to 50 service lines"),
        (lambda: make_claim(lines=(make_line(),) * 51), "1 to 50 service lines"),
        (
            lambda: make_claim(diagnoses=tuple(f"C{n:02d}.9" for n in range(13))),
            "1 to 12 diagnoses",
        ),
        (lambda: make_claim(diagnoses=()), "1 to 12 diagnoses"),
        (lambda: make_claim(diagnoses=("Z51.11", "Z5111")), "repeated diagnosis"),
        (lambda: make_claim(diagnoses=("Z51.11", "not-a-code")), "ICD-10 code is not valid"),
        (lambda: make_claim(lines=(make_line(pointers=(1, 3)),)), "pointer 3 is beyond"),
        (lambda: make_claim(claim_id="X" * 21), "claim id must be 1 to 20"),
        (lambda: make_claim(claim_id="enc-1"), "claim id 'enc-1' may hold only"),
        (lambda: make_line(modifiers=("25", "59", "XU", "GA", "GY")), "at most 4 modifiers"),
        (lambda: make_line(modifiers=("2",)), "modifier is not valid"),
        (lambda: make_line(pointers=()), "1 to 4 diagnosis pointers"),
        (lambda: make_line(pointers=(1, 2, 3, 4, 5)), "1 to 4 diagnosis pointers"),
        (lambda: make_line(pointers=(1, 1)), "repeated diagnosis pointer"),
        (lambda: make_line(pointers=(13,)), "diagnosis pointers must be 1 to 12"),
        (lambda: make_line(charge=175.0), "charge must be a finite Decimal"),
        (lambda: make_line(charge=Decimal("175.001")), "at most 2 decimal places"),
        (lambda: make_line(charge=Decimal("1E+10")), "charge is too large"),
        (lambda: make_line(charge=Decimal("NaN")), "charge must be a finite Decimal"),
        (lambda: make_line(charge=Decimal("-1")), "charge must not be negative"),
        (lambda: make_line(units=0), "units must be 1 to 9999"),
        (lambda: make_line(units=True), "units must be an int"),
        (lambda: make_line(code="9652"), "procedure code is not valid"),
        (lambda: make_line(service_date=datetime(2026, 3, 4, tzinfo=UTC)), "must be a date"),
        (lambda: make_line(ndc="63323011710"), "go together"),
        (
            lambda: make_line(ndc="6332-3011-710", ndc_quantity=Decimal(1), ndc_unit="ML"),
            "NDC (11 digits",
        ),
        (
            lambda: make_line(ndc="63323011710", ndc_quantity=Decimal(1), ndc_unit="LB"),
            "NDC unit must be one of",
        ),
        (
            lambda: make_line(ndc="63323011710", ndc_quantity=Decimal(0), ndc_unit="ML"),
            "NDC quantity must be positive",
        ),
        (lambda: Separators(element=":"), "separators must differ"),
        (lambda: Separators(segment="."), "other than '.'"),
        (lambda: Separators(segment="A"), "ASCII punctuation"),
        (lambda: Separators(segment="~\n"), "one character"),
        (lambda: make_interchange(created_at=datetime(2026, 3, 4, 15, 30)), "aware datetime"),
        (lambda: make_interchange(interchange_control_number=0), "1 to 999999999"),
        (lambda: make_interchange(group_control_number=10**9), "1 to 999999999"),
        (lambda: make_interchange(sender_id="S" * 16), "2 to 15 characters"),
        (lambda: make_interchange(usage="X"), "usage must be"),
        (lambda: replace(RENDERING, npi="1234567890"), "not a valid NPI"),
        (lambda: replace(BILLING_PROVIDER, tax_id="12-3456789"), "valid EIN"),
        (lambda: replace(BILLING_PROVIDER, tax_id="000000000"), "valid EIN"),
        (lambda: replace(BILLING_PROVIDER, address=make_address(postal_code="62701")), "ZIP+4"),
        (lambda: replace(BILLING_PROVIDER, taxonomy="207RH0003"), "taxonomy is not valid"),
        (lambda: replace(SUBMITTER, contact_phone="555-1234"), "10-digit phone"),
        (lambda: replace(SUBSCRIBER, sex="X"), "'M', 'F' or 'U'"),
        (lambda: replace(SUBSCRIBER, last_name="  "), "last name must be a non-empty"),
        (lambda: make_address(state="Ill"), "state code must be a USPS"),
        (lambda: make_address(state="ON"), "state code must be a USPS"),
        (lambda: replace(MEDICARE, claim_filing_indicator="XX"), "claim filing indicator"),
    ],
)
def test_invalid_input_is_refused(build: Any, message: str) -> None:
    with pytest.raises(X12Error, match=re.escape(message)):
        build()


def test_no_claims_is_refused() -> None:
    with pytest.raises(X12Error, match="at least one claim"):
        render()


@pytest.mark.parametrize(
    ("claim", "interchange", "message"),
    [
        (make_claim(claim_id="ENC*1"), make_interchange(), "claim id 'ENC\\*1' holds a character"),
        (
            make_claim(subscriber=replace(SUBSCRIBER, member_id="M-1")),
            make_interchange(separators=Separators(sub_element="-")),
            "member id 'M-1' holds a character",
        ),
        (
            make_claim(subscriber=replace(SUBSCRIBER, first_name="😀")),
            make_interchange(),
            "first name '😀' has no character X12 can carry",
        ),
        (
            make_claim(subscriber=replace(SUBSCRIBER, last_name="*~")),
            make_interchange(),
            "last name '\\*~' has no character",
        ),
        (
            make_claim(subscriber=replace(SUBSCRIBER, address=make_address(city="Ö"))),
            make_interchange(),
            "city 'Ö' is shorter than 2 characters",
        ),
    ],
)
def test_data_that_collides_with_the_separators_is_refused(
    claim: Claim, interchange: Interchange, message: str
) -> None:
    with pytest.raises(X12Error, match=message):
        render(claim, interchange=interchange)


# --- generated claims -------------------------------------------------------------------

PUNCTUATION = [char for char in string.punctuation if char != "."]
SEEDS = ["Ann", "Zoë", "O'Brien", "Núñez", "Li", "Ōta", "Smith-Jones"]

# Random unicode around a seed that survives cleaning, so the name is never empty.
names = st.builds(
    lambda before, seed, after: before + seed + after,
    st.text(max_size=8),
    st.sampled_from(SEEDS),
    st.text(max_size=70),
)
addresses = st.builds(
    Address,
    line1=names,
    line2=st.none() | names,
    city=st.builds(lambda city, after: city + after, st.sampled_from(["Boise", "Åre"]), st.text()),
    # pyx12's code list of states lacks Palau (PW).
    state=st.sampled_from(sorted(US_STATE_CODES - {"PW"})),
    postal_code=st.from_regex(r"[0-9]{5}(-?[0-9]{4})?", fullmatch=True),
)
dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31))
sexes = st.sampled_from(["M", "F", "U"])
places = st.sampled_from(["02", "10", "11", "12", "19", "22", "49", "99"])
identifiers = st.from_regex(r"[A-Z0-9]{2,20}", fullmatch=True)
icd10_codes = st.from_regex(r"[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?", fullmatch=True)
providers = st.builds(
    Provider,
    last_name=names,
    first_name=names,
    npi=st.sampled_from([CLINIC_NPI, RENDERING_NPI, SUPERVISING_NPI]),
    taxonomy=st.none() | st.just("207RH0003X"),
)
patients = st.builds(
    Patient,
    relationship=st.sampled_from(["01", "19", "20", "21", "39", "40", "53", "G8"]),
    last_name=names,
    first_name=names,
    birth_date=dates,
    sex=sexes,
    address=addresses,
)
subscribers = st.builds(
    Subscriber,
    member_id=identifiers,
    last_name=names,
    first_name=names,
    birth_date=dates,
    sex=sexes,
    address=addresses,
    group_number=st.none() | identifiers,
)
payers = st.builds(
    PayerRef,
    name=names,
    payer_id=identifiers,
    claim_filing_indicator=st.sampled_from(["CI", "MB", "MC", "BL"]),
)


@st.composite
def service_lines(draw: st.DrawFn, diagnosis_count: int) -> ServiceLine:
    drug = draw(st.booleans())
    return ServiceLine(
        code=draw(st.from_regex(r"[0-9]{5}|[A-Z][0-9]{4}", fullmatch=True)),
        modifiers=tuple(draw(st.lists(st.from_regex(r"[A-Z0-9]{2}", fullmatch=True), max_size=4))),
        charge=draw(st.decimals(min_value=0, max_value=Decimal("99999.99"), places=2)),
        units=draw(st.integers(min_value=1, max_value=9999)),
        place_of_service=draw(places),
        pointers=tuple(
            draw(
                st.lists(
                    st.integers(min_value=1, max_value=diagnosis_count),
                    min_size=1,
                    max_size=4,
                    unique=True,
                )
            )
        ),
        service_date=draw(dates),
        ndc=draw(st.from_regex(r"[0-9]{11}", fullmatch=True)) if drug else None,
        ndc_quantity=(
            draw(st.decimals(min_value=Decimal("0.001"), max_value=Decimal(9999), places=3))
            if drug
            else None
        ),
        ndc_unit=draw(st.sampled_from(sorted(["F2", "GR", "ME", "ML", "UN"]))) if drug else None,
    )


@st.composite
def claims(draw: st.DrawFn) -> Claim:
    diagnoses = draw(
        st.lists(icd10_codes, min_size=1, max_size=12, unique_by=lambda c: c.replace(".", ""))
    )
    return Claim(
        claim_id=draw(st.from_regex(r"[A-Z0-9]{1,20}", fullmatch=True)),
        place_of_service=draw(places),
        diagnoses=tuple(diagnoses),
        lines=tuple(draw(st.lists(service_lines(len(diagnoses)), min_size=1, max_size=50))),
        subscriber=draw(subscribers),
        payer=draw(payers),
        rendering=draw(st.none() | providers),
        supervising=draw(st.none() | providers),
        patient=draw(st.none() | patients),
    )


separator_sets = st.lists(st.sampled_from(PUNCTUATION), min_size=4, max_size=4, unique=True).map(
    lambda chars: Separators(
        element=chars[0], sub_element=chars[1], segment=chars[2], repetition=chars[3]
    )
)
interchanges = st.builds(
    Interchange,
    sender_id=identifiers.filter(lambda value: len(value) <= 15),
    receiver_id=identifiers.filter(lambda value: len(value) <= 15),
    interchange_control_number=st.integers(min_value=1, max_value=999_999_999),
    group_control_number=st.integers(min_value=1, max_value=999_999_999),
    created_at=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC)
    ),
    usage=st.sampled_from(["P", "T"]),
    separators=st.just(Separators()) | separator_sets,
)


FULL_CLAIM = make_claim(
    diagnoses=("Z51.11", *(f"C{n:02d}.{n % 10}" for n in range(11))),
    lines=tuple(
        make_line(
            modifiers=("25", "59", "XU", "GA"),
            pointers=(12, 11, 10, 1 + n % 9),
            charge=Decimal(n) + Decimal("0.99"),
        )
        for n in range(50)
    ),
    rendering=RENDERING,
    supervising=SUPERVISING,
)


# Each example runs pyx12 (about a quarter of a second); shrinking would run it hundreds of
# times, so a failure is reported as generated.
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(st.lists(claims(), min_size=1, max_size=2).map(tuple), interchanges)
@example((FULL_CLAIM, replace(FULL_CLAIM, claim_id="ENC-1002")), make_interchange())
def test_generated_claims_are_valid_837p(
    generated: tuple[Claim, ...], interchange: Interchange
) -> None:
    out = io.StringIO()
    result = write_837p(interchange, SUBMITTER, RECEIVER, BILLING_PROVIDER, generated, out)
    text = out.getvalue()

    assert_well_formed(text, generated, interchange, result)
    assert pyx12_problems(text) == []
