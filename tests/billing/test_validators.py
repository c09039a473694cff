from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from billing.models import ClaimLine, Coverage, Payer, PracticeSettings
from billing.validators import is_po_box, mbi_is_valid
from refills.models import Patient
from tests.factories import PAY_TO, PRACTICE, PatientFactory, billing_reference, patient_post


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("1EG4TE5MK73", True),  # the CMS example
        ("9AA0AA0AA00", True),
        ("1A00A00AA00", True),  # alphanumeric positions 3 and 6 may be digits
        ("0EG4TE5MK73", False),  # position 1 is 1-9
        ("1EG4TE5MK7", False),  # 10 characters
        ("1EG4TE5MK733", False),
        ("1SG4TE5MK73", False),  # S, L, O, I, B, Z are never used
        ("1LG4TE5MK73", False),
        ("1OG4TE5MK73", False),
        ("1IG4TE5MK73", False),
        ("1BG4TE5MK73", False),
        ("1ZG4TE5MK73", False),
        ("1EG4TE5MKZ3", False),  # position 10 is a digit
        ("1E14TE5MK73", True),
        ("1EGATE5MK73", False),  # position 4 is a digit
        ("1eg4te5mk73", False),  # stored upper case; the model normalises first
        ("1EG4-TE5-MK73", False),
        ("\u0661EG4TE5MK73", False),  # an Arabic-Indic digit
    ],
)
def test_mbi_format(value, valid):
    assert mbi_is_valid(value) is valid


@pytest.mark.parametrize(
    ("line", "po_box"),
    [
        ("PO Box 123", True),
        ("P.O. Box 44", True),
        ("p o box 9", True),
        ("POB 12", True),
        ("Post Office Box 7", True),
        ("Box 3", True),
        ("Lockbox 771", True),
        ("100 Main Street", False),
        ("12 Boxwood Lane", False),
        ("1 Post Office Square", False),
        ("", False),
    ],
)
def test_po_box(line, po_box):
    assert is_po_box(line) is po_box


def coverage(payer: Payer, **values) -> Coverage:
    patient = PatientFactory()
    return Coverage(
        patient=patient,
        payer=payer,
        member_id=values.pop("member_id", "M123"),
        effective_from=dt.date(2026, 1, 1),
        **values,
    )


def test_a_medicare_member_id_is_stored_as_an_mbi_in_capitals_without_the_card_dashes(db):
    row = coverage(billing_reference(), member_id=" 1eg4-te5-mk73 ")

    row.full_clean()

    assert row.member_id == "1EG4TE5MK73"


@pytest.mark.parametrize("member_id", ["M123", "1SG4TE5MK73", "1EG4TE5MK7", "123456789A"])
def test_a_medicare_member_id_that_is_not_an_mbi_is_refused_at_the_field(db, member_id):
    row = coverage(billing_reference(), member_id=member_id)

    with pytest.raises(ValidationError) as caught:
        row.full_clean()

    assert [e.code for e in caught.value.error_dict["member_id"]] == ["mbi"]


def test_another_payers_member_id_is_stored_upper_case(db):
    row = coverage(billing_reference(program="commercial", code="AETNA"), member_id="w12 345-678")

    row.full_clean()

    assert row.member_id == "W12345-678"


@pytest.mark.parametrize("member_id", ["W12*345", "W12:345", "W~1", "W^1", "W", "-W1", "W1\u00e9"])
def test_another_payers_member_id_with_a_character_the_837p_cannot_carry_is_refused(db, member_id):
    row = coverage(billing_reference(program="commercial", code="AETNA"), member_id=member_id)

    with pytest.raises(ValidationError) as caught:
        row.full_clean()

    assert [e.code for e in caught.value.error_dict["member_id"]] == ["member_id"]


def test_a_group_number_is_stored_upper_case_and_checked(db):
    aetna = billing_reference(program="commercial", code="AETNA")
    row = coverage(aetna, member_id="W1", group_number="grp 0042")
    row.full_clean()
    assert row.group_number == "GRP0042"

    bad = coverage(aetna, member_id="W1", group_number="G*1")
    with pytest.raises(ValidationError) as caught:
        bad.full_clean()
    assert [e.code for e in caught.value.error_dict["group_number"]] == ["group_number"]


def test_coverage_priority_is_primary_secondary_or_tertiary_in_the_database(db):
    row = coverage(billing_reference(), member_id="1EG4TE5MK73", priority=4)
    with pytest.raises(IntegrityError), transaction.atomic():
        row.save()


# The claim filing indicators that fit each program, and some that do not.
FITS = {"medicare": ["MB"], "commercial": ["CI", "BL", "MC", "12", "HM"]}
DOES_NOT_FIT = {"medicare": ["MA", "CI"], "commercial": ["MB", "MA", "", "XX"]}


def each(indicators: dict[str, list[str]]) -> list[tuple[str, str]]:
    return [(program, code) for program, codes in indicators.items() for code in codes]


def plan(program: str, indicator: str) -> Payer:
    return Payer(
        code="P1", name="Plan", program=program, x12_payer_id="P1", claim_filing_indicator=indicator
    )


@pytest.mark.parametrize(("program", "indicator"), each(FITS))
def test_a_claim_filing_indicator_that_fits_the_program_is_saved(db, program, indicator):
    payer = plan(program, indicator)
    payer.full_clean()
    payer.save()
    assert Payer.objects.get(code="P1").claim_filing_indicator == indicator


@pytest.mark.parametrize(("program", "indicator"), each(DOES_NOT_FIT))
def test_a_claim_filing_indicator_that_does_not_fit_the_program_is_refused(db, program, indicator):
    payer = plan(program, indicator)
    with pytest.raises(ValidationError) as caught:
        payer.full_clean()
    assert "claim_filing_indicator" in caught.value.error_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        payer.save()


def test_the_claim_filing_indicator_list_is_the_5010_code_list():
    codes = "11 12 13 14 15 16 17 AM BL CH CI DS FI HM LM MA MB MC OF TV VA WC ZZ"
    assert sorted(Payer.ClaimFiling.values) == sorted(codes.split(" "))


def test_a_po_box_billing_address_is_refused_and_the_pay_to_address_offered(db):
    with pytest.raises(ValidationError) as caught:
        PracticeSettings(**{**PRACTICE, "address_line1": "PO Box 12"}).full_clean()

    (error,) = caught.value.error_dict["address_line1"]
    assert error.code == "po_box"
    assert "pay-to address" in error.message


def test_a_po_box_pay_to_address_is_accepted_beside_a_street_billing_address(db):
    practice = PracticeSettings(**PRACTICE, **PAY_TO)

    practice.full_clean()

    assert practice.has_pay_to_address is True


def test_a_pay_to_address_needs_every_part(db):
    with pytest.raises(ValidationError) as caught:
        PracticeSettings(**PRACTICE, pay_to_address_line1="PO Box 12").full_clean()

    assert sorted(caught.value.error_dict) == ["pay_to_city", "pay_to_postal_code", "pay_to_state"]


@pytest.mark.parametrize(
    ("field", "value"),
    [("state", "ZZ"), ("state", "il"), ("postal_code", "62701"), ("pay_to_state", "XX")],
)
def test_the_billing_address_takes_a_real_state_and_zip_plus_4(db, field, value):
    values = {**PRACTICE, field: value}
    if field.startswith("pay_to"):
        values.update(pay_to_address_line1="PO Box 1", pay_to_city="Springfield")
        values.setdefault("pay_to_postal_code", "62705")
    with pytest.raises(ValidationError) as caught:
        PracticeSettings(**values).full_clean()

    assert field in caught.value.error_dict


@pytest.mark.parametrize(
    ("state", "postal_code", "errors"),
    [
        ("IL", "62704", []),
        ("il", "62704-1234", []),
        ("PR", "00901", []),
        ("ZZ", "62704", ["state"]),
        ("XX", "62704", ["state"]),
        ("IL", "6270", ["postal_code"]),
        ("IL", "627041234", ["postal_code"]),
        ("IL", "62704-12", ["postal_code"]),
    ],
)
def test_the_patient_form_takes_real_states_and_zip_codes(
    client, nurse, state, postal_code, errors
):
    client.force_login(nurse)
    data = patient_post(
        mrn="MRN777",
        last_name="Østergaard",
        first_name="Łucja",
        date_of_birth="1950-02-03",
        state=state,
        postal_code=postal_code,
    )

    response = client.post(reverse("refills:patient_create"), data)

    if errors:
        assert response.status_code == 200
        assert sorted(response.context["form"].errors) == errors
        assert not Patient.objects.filter(mrn="MRN777").exists()
    else:
        assert response.status_code == 302
        saved = Patient.objects.get(mrn="MRN777")
        assert (saved.state, saved.postal_code) == (state.upper(), postal_code)


def test_a_drug_and_its_jw_line_share_a_code_but_not_their_modifiers(db):
    from tests.factories import claim_row

    claim = claim_row()

    def j9190(position: int, modifiers: list[str], units: int) -> ClaimLine:
        return ClaimLine.objects.create(
            claim=claim,
            position=position,
            code="J9190",
            modifiers=modifiers,
            units=units,
            place_of_service="11",
            diagnosis_pointers=[1],
            drug=True,
        )

    j9190(1, [], 5)
    j9190(2, ["JW"], 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        j9190(3, ["JW"], 1)


@pytest.mark.parametrize(
    "values",
    [
        {"drug": False, "ndc": "63323011710", "ndc_quantity": "50", "ndc_unit": "ML"},
        {"drug": True, "ndc": "6332301171", "ndc_quantity": "50", "ndc_unit": "ML"},
        {"drug": True, "ndc": "63323011710", "ndc_quantity": None, "ndc_unit": "ML"},
        {"drug": True, "ndc": "63323011710", "ndc_quantity": "0", "ndc_unit": "ML"},
        {"drug": True, "ndc": "63323011710", "ndc_quantity": "50", "ndc_unit": "XX"},
        {"rendering_npi": "123"},
    ],
)
def test_claim_line_drug_and_rendering_fields_are_checked_by_the_database(db, values):
    from tests.factories import claim_row

    with pytest.raises(IntegrityError), transaction.atomic():
        ClaimLine.objects.create(
            claim=claim_row(),
            position=1,
            code="J9190",
            units=1,
            place_of_service="11",
            diagnosis_pointers=[1],
            **values,
        )
