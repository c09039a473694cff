"""`Patient.objects.matching`: the one name and MRN search (patient list, claim queue)."""

from __future__ import annotations

import pytest

from refills.models import Patient
from tests.factories import PatientFactory


@pytest.fixture
def patients(db):
    return {
        "brooks": PatientFactory(last_name="Brooks", first_name="Eleanor", mrn="MRN10001"),
        "brookes": PatientFactory(last_name="Brookes", first_name="Sam", mrn="MRN10002"),
        "eleanor": PatientFactory(last_name="Vance", first_name="Eleanor", mrn="X77"),
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("brook", ["brookes", "brooks"]),
        ("Brooks, Eleanor", ["brooks"]),
        ("eleanor", ["brooks", "eleanor"]),
        ("mrn10002", ["brookes"]),
        ("MRN1000", []),
        ("  ", ["brookes", "brooks", "eleanor"]),
        ("Nobody", []),
    ],
)
def test_every_word_must_match_a_name_or_the_whole_mrn(patients, text, expected):
    found = set(Patient.objects.matching(text).values_list("pk", flat=True))

    assert found == {patients[key].pk for key in expected}
