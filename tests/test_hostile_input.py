"""Hostile submissions to every form, through the real views.

Each example starts from a valid submission and corrupts some fields: wrong types, huge
values, unicode, control characters (NUL included), markup, SQL-looking text, a field left
out or sent twice, fields the form does not have. Whatever arrives: never a 500, nothing
written unless the whole submission was accepted, every error next to its field, and
markup rendered escaped.
"""

from __future__ import annotations

import datetime as dt
import uuid
from copy import copy

import django.test.client
import pytest
from axes.utils import reset as axes_reset
from django.apps import apps
from django.contrib.messages import get_messages
from django.db import connection
from django.forms.models import model_to_dict
from django.test.utils import ContextList
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.models import Claim, ClaimEvent
from refills import services
from refills.models import Addendum, Encounter, Patient, ProviderVisit, VerificationAttempt
from tests.factories import (
    PASSWORD,
    UserFactory,
    assert_one_em_billed_and_the_other_denied,
    billing_reference,
    cover,
    encounter_data,
    encounter_post,
    patient_post,
    signed_refill,
    verified_refill,
    verify_post,
    visit_post,
)

# As many examples as the database's profile says (tests/conftest.py): 500 on PostgreSQL.
HOSTILE = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Tags the app's own pages never contain: found raw in a page, they came from the input.
MARKUP = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "</textarea><svg onload=alert(1)>",
    "<b onmouseover=alert(1)>x</b>",
]
RAW_TAGS = ("<script>alert", "<img src=x", "<svg onload", "<b onmouseover")
SQL = [
    "' OR '1'='1",
    "1; DROP TABLE refills_patient;--",
    '" OR 1=1 --',
    "%",
    "_%_",
    "\\",
    "' UNION SELECT password FROM auth_user--",
]
ODD = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\r\n",
    "\t",
    "\x1b[31m",
    "\u202eevil",
    "\ufeff",
    "\U0001d54f\U0001d550",
    "ﷺ",
    "NaN",
    "Infinity",
    "-Infinity",
    "-0",
    "1e999999999",
    "-1",
    "0",
    "0.0000001",
    "9" * 40,
    "2024-02-30",
    "0000-00-00",
    "0001-01-01",
    "9999-12-31",
    "9999-12-31T23:59",
    "2026-03-08T02:30",
    "on",
    "true",
    "None",
    "null",
    "[]",
    "{}",
]

text = st.text(max_size=30)
hostile_value = st.one_of(
    st.sampled_from(ODD + SQL + MARKUP),
    text,
    st.builds(lambda a, m, b: a + m + b, text, st.sampled_from(MARKUP), text),
    st.integers().map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    st.dates().map(str),
    st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M")),
    st.integers(min_value=200, max_value=20_000).map(lambda n: "x" * n),
    st.integers(min_value=50, max_value=5_000).map(lambda n: "9" * n),
)
# Fields no form offers: a request may still carry them (mass assignment).
SMUGGLED = [
    "status",
    "signed_by",
    "signed_at",
    "verified_by",
    "verified_at",
    "performing_nurse",
    "created_by",
    "patient",
    "id",
    "pk",
    "provider",
    "author",
    "encounter",
    "is_superuser",
]


@st.composite
def submissions(draw, valid: dict, fields: list[str]):
    """A valid submission with some fields corrupted, dropped, sent twice or smuggled in."""
    data: dict = dict(valid)
    names = sorted(set(fields) | set(valid))
    for name in draw(st.lists(st.sampled_from(names), unique=True, max_size=len(names))):
        action = draw(st.sampled_from(["hostile", "hostile", "missing", "twice"]))
        if action == "missing":
            data.pop(name, None)
        elif action == "twice":
            data[name] = [draw(hostile_value), draw(hostile_value)]
        else:
            data[name] = draw(hostile_value)
    for name in draw(st.lists(st.sampled_from(SMUGGLED), unique=True, max_size=3)):
        data[name] = draw(hostile_value)
    return data


def sent(value):
    """What a view reads from a field sent once or several times (the last value)."""
    return value[-1] if isinstance(value, list) else value


def counts() -> dict[str, int]:
    """Rows in every table of the clinical and billing apps, history included (one query:
    it runs twice per example)."""
    models = [
        *apps.get_app_config("refills").get_models(),
        *apps.get_app_config("billing").get_models(),
    ]
    quote = connection.ops.quote_name
    tables = ", ".join(f"(SELECT COUNT(*) FROM {quote(m._meta.db_table)})" for m in models)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {tables}")
        row = cursor.fetchone()
    return {m._meta.label: n for m, n in zip(models, row, strict=True)}


def assert_escaped(response) -> None:
    content = response.content.decode().lower()
    for tag in RAW_TAGS:
        assert tag not in content


def follow_if_markup(client, response, data: dict) -> None:
    """Markup that was saved must come out escaped on the page the user is sent to."""
    if any(payload in str(data) for payload in MARKUP):
        assert_escaped(client.get(response["Location"]))


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def assert_errors_next_to_fields(response, form_key: str = "form") -> None:
    form = response.context[form_key]
    content = response.content.decode()
    assert form.errors, "a form answered with 200 must say what is wrong"
    assert "__all__" not in form.errors, form.errors
    for name in form.errors:
        assert f'id="error_1_{form[name].auto_id}"' in content, (name, form.errors)


def assert_no_change(before: dict[str, int]) -> None:
    assert counts() == before


def one_more(before: dict[str, int], label: str) -> None:
    assert counts()[label] == before[label] + 1


def refused(response, before: dict[str, int]) -> bool:
    """What every form answers: a redirect when it accepted the submission, or the form
    again with each error at its field and nothing written; never a 500, never raw markup.
    True when it refused."""
    assert response.status_code in (200, 302)
    assert_escaped(response)
    if response.status_code == 302:
        return False
    assert_errors_next_to_fields(response)
    assert_no_change(before)
    return True


SEARCH = {"q": "brooks"}


def assert_search_answered(client, url: str, data: dict, form_key: str) -> None:
    """A search is POSTed and kept in the session: the form again with its errors, or back
    to the list, which then shows. Either way, no raw markup and nothing written."""
    before = counts()

    response = client.post(url, data)

    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert_errors_next_to_fields(response, form_key)
    else:
        assert response["Location"] == url
        response = client.get(url)
        assert response.status_code == 200
    assert_escaped(response)
    assert_no_change(before)


@pytest.fixture(autouse=True)
def _page_context_only(monkeypatch):
    """The test client keeps a copy of the context of every template rendered: hundreds per
    crispy form. These tests read only the page's own context, the first one rendered."""

    def store(data, signal, sender, template, context, **kwargs):
        if "context" not in data:
            data["templates"] = [template]
            data["context"] = ContextList([copy(context)])

    monkeypatch.setattr(django.test.client, "store_rendered_templates", store)


@pytest.fixture
def as_nurse(client, nurse):
    client.force_login(nurse)


@pytest.fixture
def as_provider(client, provider):
    client.force_login(provider)


@pytest.fixture
def as_biller(client, biller):
    client.force_login(biller)


# Login


@HOSTILE
@given(data=submissions({"username": "rn.alvarez", "password": PASSWORD, "next": "/refills/"}, []))
def test_login(client, nurse, data):
    client.logout()
    axes_reset()
    response = client.post(reverse("login"), data)

    assert response.status_code in (200, 302)
    if response.status_code == 302:
        assert url_has_allowed_host_and_scheme(response["Location"], {"testserver"})
    else:
        assert "did not match" in response.content.decode()
    assert_escaped(response)


# Patients

PATIENT = patient_post(mrn="MRN-H1", address_line2="")


@HOSTILE
@given(data=submissions(PATIENT, list(PATIENT)))
@pytest.mark.usefixtures("as_nurse")
def test_patient_create(client, data):
    before = counts()

    response = client.post(reverse("refills:patient_create"), data)

    if refused(response, before):
        return
    one_more(before, "refills.Patient")
    patient = Patient.objects.order_by("-pk").first()
    follow_if_markup(client, response, data)
    patient.delete()  # keep the MRN free for the next example


@HOSTILE
@given(data=submissions(PATIENT, list(PATIENT)))
@pytest.mark.usefixtures("as_nurse")
def test_patient_edit(client, patient, data):
    before, row = counts(), model_to_dict(Patient.objects.get(pk=patient.pk))

    response = client.post(reverse("refills:patient_edit", args=[patient.pk]), data)

    if refused(response, before):
        assert model_to_dict(Patient.objects.get(pk=patient.pk)) == row
    else:
        follow_if_markup(client, response, data)


@HOSTILE
@given(data=submissions(SEARCH, ["q", "page"]))
@pytest.mark.usefixtures("as_nurse")
def test_patient_search(client, patient, data):
    assert_search_answered(client, reverse("refills:patient_list"), data, "form")


# Encounters


def encounter_form(day: dt.date) -> dict:
    return encounter_post(encounter_data(day=day))


ENCOUNTER_FIELDS = [
    *encounter_form(dt.date(2026, 1, 5)),
    "submission_id",
    "supervising_practitioner",
]


@HOSTILE
@given(token=st.uuids(), mutate=st.data())
@pytest.mark.usefixtures("as_nurse")
def test_encounter_create(client, nurse, patient, token, mutate):
    valid = {**encounter_form(timezone.localdate()), "submission_id": str(token)}
    data = mutate.draw(submissions(valid, ENCOUNTER_FIELDS))
    before = counts()

    response = client.post(reverse("refills:encounter_create", args=[patient.pk]), data)

    if refused(response, before):
        return
    if counts()["refills.Encounter"] == before["refills.Encounter"]:
        # The same token twice: the existing draft, nothing new.
        existing = Encounter.objects.get(submission_id=sent(data["submission_id"]))
        assert response["Location"] == reverse("refills:encounter_detail", args=[existing.pk])
        return
    one_more(before, "refills.Encounter")
    encounter = Encounter.objects.order_by("-pk").first()
    assert response["Location"] == reverse("refills:encounter_detail", args=[encounter.pk])
    assert (encounter.status, encounter.performing_nurse, encounter.created_by) == (
        "draft",
        nurse,
        nurse,
    )
    assert (encounter.verified_by, encounter.signed_by, encounter.patient) == (None, None, patient)
    follow_if_markup(client, response, data)


@HOSTILE
@given(mutate=st.data())
@pytest.mark.usefixtures("as_nurse")
def test_encounter_edit(client, nurse, patient, mutate):
    draft = Encounter.objects.filter(patient=patient).first() or services.encounter_create(
        by=nurse, patient=patient, data=encounter_data()
    )
    valid = encounter_form(timezone.localdate())
    data = mutate.draw(submissions(valid, ENCOUNTER_FIELDS))
    before, row = counts(), model_to_dict(Encounter.objects.get(pk=draft.pk))

    response = client.post(reverse("refills:encounter_edit", args=[draft.pk]), data)

    if refused(response, before):
        assert model_to_dict(Encounter.objects.get(pk=draft.pk)) == row
        return
    stored = Encounter.objects.get(pk=draft.pk)
    assert (stored.status, stored.performing_nurse, stored.patient) == ("draft", nurse, patient)
    follow_if_markup(client, response, data)


VERIFY = verify_post()


@HOSTILE
@given(data=submissions(VERIFY, list(VERIFY)))
@pytest.mark.usefixtures("as_nurse")
def test_verification(client, nurse, nurse2, patient, data):
    axes_reset()
    draft = Encounter.objects.filter(status="draft").first() or services.encounter_create(
        by=nurse, patient=patient, data=encounter_data()
    )
    before = counts()

    response = client.post(reverse("refills:encounter_verify", args=[draft.pk]), data)

    assert response.status_code in (200, 302)
    assert_escaped(response)
    stored = Encounter.objects.get(pk=draft.pk)
    if response.status_code == 302:
        assert (stored.status, stored.verified_by) == ("verified", nurse2)
        one_more(before, "refills.VerificationAttempt")
        return
    assert stored.status == "draft"
    if response.context["mismatch"]:
        # A mismatch is part of the record: exactly one attempt, nothing else. The page says
        # that the entries differ and, the check being blind, names no field.
        assert "The entries do not match." in response.content.decode()
        assert not response.context["form"].errors
        one_more(before, "refills.VerificationAttempt")
        assert VerificationAttempt.objects.filter(encounter=draft).latest("pk").verifier == nurse2
    else:
        assert_errors_next_to_fields(response)
        assert_no_change(before)


@HOSTILE
@given(data=submissions({"attest": "on"}, ["attest"]))
@pytest.mark.usefixtures("as_nurse")
def test_sign(client, nurse, nurse2, patient, data):
    # One encounter: the first accepted attestation signs it, later ones find it signed.
    encounter = Encounter.objects.first() or verified_refill(patient, nurse, nurse2)
    before = counts()

    response = client.post(reverse("refills:encounter_sign", args=[encounter.pk]), data)

    assert response.status_code == 302
    assert response["Location"] == reverse("refills:encounter_detail", args=[encounter.pk])
    stored = Encounter.objects.get(pk=encounter.pk)
    message = messages_of(response)[-1]
    if stored.status != encounter.status:
        assert (encounter.status, stored.status, message) == (
            "verified",
            "signed",
            "Signed and locked.",
        )
        assert Claim.objects.filter(encounter=stored).count() == 1
    else:
        assert message in ("Confirm the attestation to sign.", "This encounter is already signed.")
        assert_no_change(before)


# One correction (site care was taught); every other correctable field blank or unchanged.
ADDENDUM = {
    "text": "Teaching repeated at the chair.",
    "teaching_site_care": "true",
    **dict.fromkeys(["cbc_collected_on", "cmp_collected_on", "adverse_reaction"], ""),
    **dict.fromkeys(
        [
            "pump_programmed",
            "pump_primed",
            "pump_function_verified",
            "teaching_alarms",
            "teach_back_done",
        ],
        "unknown",
    ),
}


@HOSTILE
@given(data=submissions(ADDENDUM, list(ADDENDUM)))
@pytest.mark.usefixtures("as_nurse")
def test_addendum(client, nurse, nurse2, patient, data):
    signed = Encounter.objects.filter(status="signed").first() or signed_refill(
        patient, nurse, nurse2
    )
    before = counts()

    response = client.post(reverse("refills:addendum_create", args=[signed.pk]), data)

    if refused(response, before):
        return
    one_more(before, "refills.Addendum")
    assert Addendum.objects.order_by("-pk").first().author == nurse
    assert Encounter.objects.get(pk=signed.pk).status == "signed"
    follow_if_markup(client, response, data)


@HOSTILE
@given(mutate=st.data())
@pytest.mark.usefixtures("as_provider")
def test_provider_visit(client, provider, patient, mutate):
    valid = visit_post()
    data = mutate.draw(submissions(valid, list(valid)))
    before = counts()

    response = client.post(reverse("refills:provider_visit_create", args=[patient.pk]), data)

    if refused(response, before):
        return
    one_more(before, "refills.ProviderVisit")
    visit = ProviderVisit.objects.order_by("-pk").first()
    assert (visit.provider, visit.patient) == (provider, patient)
    follow_if_markup(client, response, data)


# Billing


@pytest.fixture
def ready_claim(nurse, nurse2, patient):
    cover(patient, billing_reference(program="commercial", code="AETNA"))
    signed = signed_refill(patient, nurse, nurse2)
    claim = Claim.objects.get(encounter=signed)
    assert claim.status == "ready"
    return claim


@HOSTILE
@given(data=submissions(SEARCH, ["q", "page"]))
@pytest.mark.usefixtures("as_biller")
def test_claim_search(client, ready_claim, data):
    assert_search_answered(client, reverse("billing:queue"), data, "search_form")


FILTERS = {
    "status": "ready",
    "payer": "",
    "date_from": "2020-01-01",
    "date_to": "2030-01-01",
    "rule": "R31",
    "page": "1",
    "filter": "Filter",
}


@HOSTILE
@given(data=submissions(FILTERS, list(FILTERS)))
@pytest.mark.usefixtures("as_biller")
def test_queue_filters(client, ready_claim, data):
    before = counts()

    response = client.get(reverse("billing:queue"), data)

    assert response.status_code == 200
    form = response.context["filter_form"]
    if form.errors:
        assert_errors_next_to_fields(response, "filter_form")
    assert_escaped(response)
    assert_no_change(before)


DONE = ("Claim put on hold.", "Hold released; the claim is ready.")


@HOSTILE
@given(
    action=st.sampled_from(["claim_hold", "claim_release"]),
    data=submissions({"reason": "Checking the order"}, ["reason"]),
)
@pytest.mark.usefixtures("as_biller")
def test_hold_and_release_reason(client, biller, ready_claim, action, data):
    before_status = Claim.objects.get(pk=ready_claim.pk).status
    before = counts()

    response = client.post(reverse(f"billing:{action}", args=[ready_claim.pk]), data)

    assert response.status_code == 302
    follow_if_markup(client, response, data)
    after = Claim.objects.get(pk=ready_claim.pk)
    if after.status == before_status:
        assert_no_change(before)
        assert messages_of(response)[-1] not in DONE
    else:
        event = ClaimEvent.objects.filter(claim=ready_claim).last()
        assert (event.from_status, event.to_status) == (before_status, after.status)
        assert event.by == biller
        assert event.reason == sent(data["reason"]).strip()


@HOSTILE
@given(data=submissions({"format": "csv"}, ["format"]))
@pytest.mark.usefixtures("as_biller")
def test_export_format(client, data):
    before = counts()

    response = client.post(reverse("billing:export_create"), data)

    assert response.status_code == 302
    assert_no_change(before)


# Sizes


def test_oversize_post_is_a_400_not_a_500(client, nurse, settings):
    client.force_login(nurse)
    body = {"q": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)}
    before = counts()

    response = client.post(reverse("refills:patient_list"), body)

    assert response.status_code == 400
    assert_no_change(before)


def test_too_many_fields_is_a_400_not_a_500(client, nurse, patient, settings):
    client.force_login(nurse)
    body = {f"f{i}": "1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}

    response = client.post(reverse("refills:encounter_create", args=[patient.pk]), body)

    assert response.status_code == 400
    assert Encounter.objects.count() == 0


def test_a_reused_token_from_another_nurse_is_refused(client, nurse, nurse2, patient):
    token = uuid.uuid4()
    services.encounter_create(by=nurse, patient=patient, data=encounter_data(), submission_id=token)
    client.force_login(nurse2)

    response = client.post(
        reverse("refills:encounter_create", args=[patient.pk]),
        {**encounter_form(timezone.localdate()), "submission_id": str(token)},
    )

    assert response.status_code == 200
    assert "This form was already used" in response.content.decode()
    assert Encounter.objects.count() == 1


@pytest.mark.parametrize(
    ("program", "payer_code"), [("medicare", "MEDICARE"), ("commercial", "AETNA")]
)
def test_two_providers_with_the_same_em_code_that_day_do_not_stop_signing(
    client, nurse, nurse2, provider, patient, program, payer_code
):
    # Both visits reach the engine; one practice bills one E/M a day (R26), so the claim has
    # one 99213 line, never two lines with one code.
    cover(
        patient,
        billing_reference(
            program="medicare" if payer_code == "MEDICARE" else "commercial", code=payer_code
        ),
    )
    second = UserFactory(username="dr.lee", role="Provider", credential="MD")
    encounter = verified_refill(patient, nurse, nurse2, supervising_practitioner=provider)
    for who in (provider, second):
        client.force_login(who)
        response = client.post(
            reverse("refills:provider_visit_create", args=[patient.pk]),
            visit_post(encounter.date_of_service),
        )
        assert response.status_code == 302
    client.force_login(nurse)

    response = client.post(reverse("refills:encounter_sign", args=[encounter.pk]), {"attest": "on"})

    assert response.status_code == 302
    assert messages_of(response)[-1] == "Signed and locked."
    assert_one_em_billed_and_the_other_denied(encounter)
    assert client.get(reverse("refills:encounter_detail", args=[encounter.pk])).status_code == 200
