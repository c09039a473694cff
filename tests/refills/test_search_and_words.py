"""Patient search ignores accents and case; pages show MRNs once and fields by their labels;
the database's refusals are read as sentences."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import models
from django.urls import reverse

from config.search import fold
from refills import selectors, services
from refills.models import Patient
from refills.selectors import AuditChange
from tests.admin_forms import assert_refused_in_words
from tests.factories import BLIND_OK, PatientFactory, billing_reference, encounter_data


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("García", "garcia"),
        ("  MÜLLER   Zoë ", "muller zoe"),
        ("Łukasz Øster", "lukasz oster"),
        ("O'Brien-Núñez", "o'brien-nunez"),
    ],
)
def test_fold_drops_accents_case_and_extra_spaces(text, folded):
    assert fold(text) == folded


@pytest.fixture
def garcia(db):
    return PatientFactory(last_name="García", first_name="María José", mrn="MRN10004")


@pytest.mark.parametrize("query", ["garcia", "GARCIA", "García", "garcía maria", "jose", "Jos"])
def test_search_ignores_accents_and_case(nurse, garcia, patient, query):
    assert list(selectors.patient_search(nurse, query)) == [garcia]


@pytest.mark.parametrize("query", ["mrn10004", "MRN10004"])
def test_search_finds_the_exact_mrn_in_any_case(nurse, garcia, patient, query):
    assert list(selectors.patient_search(nurse, query)) == [garcia]


def test_search_needs_every_word(nurse, garcia, patient):
    assert list(selectors.patient_search(nurse, "garcia eleanor")) == []
    assert list(selectors.patient_search(nurse, "% _")) == []


def test_the_search_name_follows_a_renamed_patient(nurse, garcia):
    services.patient_update(
        by=nurse, patient=garcia, data={"last_name": "Pérez"}, diagnoses=["C18.9"]
    )
    assert Patient.objects.get(pk=garcia.pk).search_name == "perez maria jose"
    assert list(selectors.patient_search(nurse, "perez")) == [garcia]
    assert list(selectors.patient_search(nurse, "garcia")) == []


def test_a_name_saved_with_update_fields_is_searchable(nurse, garcia):
    garcia.last_name = "Gómez"
    garcia.save(update_fields=["last_name"])
    assert Patient.objects.get(pk=garcia.pk).search_name == "gomez maria jose"


def test_the_search_page_finds_garcia_without_the_accent(client, nurse, garcia, patient):
    client.force_login(nurse)
    page = client.post(reverse("refills:patient_list"), {"q": "garcia"}, follow=True)
    assert [p.pk for p in page.context["page"]] == [garcia.pk]
    assert "García, María José" in page.content.decode()


@pytest.mark.parametrize(
    ("mrn", "label"), [("MRN10004", "MRN10004"), ("mrn7", "mrn7"), ("004512", "MRN 004512")]
)
def test_the_mrn_is_shown_once(mrn, label):
    assert Patient(mrn=mrn).mrn_label == label


def test_the_encounter_form_shows_the_mrn_once(client, nurse, garcia):
    client.force_login(nurse)
    content = client.get(reverse("refills:encounter_create", args=[garcia.pk])).content.decode()
    assert "MRN10004" in content
    assert "MRN MRN" not in content


def test_the_audit_names_blind_check_values_and_corrections_by_their_labels(
    client, admin_user, nurse, nurse2, patient
):
    encounter = services.encounter_create(by=nurse, patient=patient, data=encounter_data())
    services.encounter_verify(
        verifier=nurse2, encounter=encounter, entered={**BLIND_OK, "rate_ml_h": Decimal("3")}
    )
    services.encounter_verify(verifier=nurse2, encounter=encounter, entered=BLIND_OK)
    services.encounter_sign(by=nurse, encounter=encounter)
    services.addendum_create(
        by=nurse,
        encounter=encounter,
        text="Teach-back was not done.",
        corrections={"teach_back_done": False, "cbc_collected_on": dt.date(2026, 1, 2)},
    )
    client.force_login(admin_user)

    response = client.get(reverse("refills:encounter_audit", args=[encounter.pk]))

    entries = response.context["entries"]
    mismatch = next(e for e in entries if e.why == "mismatch")
    assert AuditChange("programmed rate (mL/h)", "\u2013", "3.00") in mismatch.changes
    assert (
        AuditChange("values that did not match", "\u2013", "programmed rate (mL/h)")
        in mismatch.changes
    )
    addendum = next(e for e in entries if e.subject.startswith("Addendum"))
    assert (
        AuditChange("corrections", "\u2013", "CBC collected on: 2026-01-02; teach-back done: no")
        in addendum.changes
    )
    content = response.content.decode()
    for column in ("rate_ml_h", "rate ml h", "mismatched_fields", "teach_back_done"):
        assert column not in content


def test_the_encounter_page_names_a_mismatch_by_its_label(client, nurse, nurse2, patient):
    encounter = services.encounter_create(by=nurse, patient=patient, data=encounter_data())
    services.encounter_verify(
        verifier=nurse2, encounter=encounter, entered={**BLIND_OK, "rate_ml_h": Decimal("3")}
    )
    client.force_login(nurse)
    content = client.get(reverse("refills:encounter_detail", args=[encounter.pk])).content
    assert "rate_ml_h" not in content.decode()


def named_constraints():
    for model in apps.get_models():
        if model._meta.app_label not in {"refills", "billing", "accounts"}:
            continue
        for constraint in model._meta.constraints:
            yield pytest.param(model, constraint, id=constraint.name)


@pytest.mark.parametrize(("model", "constraint"), list(named_constraints()))
def test_every_named_constraint_explains_itself_in_words(model, constraint):
    message = constraint.violation_error_message
    default = models.BaseConstraint.default_violation_error_message
    assert message != default
    assert constraint.name not in message
    assert message.endswith(".") and message[0].isupper()


def test_a_refused_admin_value_says_what_is_wrong_in_words(client, admin_user):
    payer = billing_reference(program="commercial", code="AETNA")
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:billing_coverage_add"),
        {
            "patient": PatientFactory().pk,
            "payer": payer.pk,
            "priority": "1",
            "member_id": "W123456789",
            "effective_from": "2026-03-01",
            "effective_to": "2026-02-01",
        },
    )
    assert_refused_in_words(
        response, "The coverage cannot end before it starts.", "coverage_dates_ordered"
    )
