"""Every URL for every persona: who gets the page, who is sent to log in, who gets 403/404.

A URL without a row fails ``test_every_url_has_a_row``: a new view is not reachable until
someone has decided who may use it.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from billing.models import Claim, ClaimExport, X12Import
from refills import services
from tests.factories import PatientFactory, encounter_data, provider_visit, signed_refill

ANONYMOUS = ("anonymous", "inactive")
ROLES = ("nurse", "nurse2", "provider", "biller", "admin")
PERSONAS = ANONYMOUS + ROLES

LOGIN = "login"  # 302 to the login page
ADMIN_LOGIN = "admin login"  # 302 to the admin's login page
REDIRECT = "redirect"  # 302 anywhere else


def row(method: str, target: str | None, roles, /, **personas) -> tuple:
    """Expected outcome per persona: ``roles`` for every role unless named; anonymous and
    inactive users are sent to log in unless named."""
    expected = dict.fromkeys(ANONYMOUS, LOGIN) | dict.fromkeys(ROLES, roles) | personas
    return method, target, expected


NURSES = {"nurse": 200, "nurse2": 200}
BILLING = {"biller": 200, "admin": 200}

MATRIX = {
    "home": row("get", None, REDIRECT),
    "login": row("get", None, REDIRECT, anonymous=200, inactive=200),
    "logout": row("post", None, LOGIN),
    "accounts:password_change": row("get", None, 200),
    # The idle countdown asks how long is left: without a session, nothing is.
    "accounts:session_idle": row("get", None, 200, anonymous=200, inactive=200),
    # The database check, for load balancers: open to everyone, the same for everyone.
    "healthz": row("get", None, 200, anonymous=200, inactive=200),
    "admin:index": row(
        "get", None, ADMIN_LOGIN, anonymous=ADMIN_LOGIN, inactive=ADMIN_LOGIN, admin=200
    ),
    # Refill documentation
    "refills:worklist": row("get", None, 200),
    "refills:patient_list": row("get", None, 200),
    "refills:patient_create": row("get", None, 403, **NURSES),
    "refills:patient_detail": row("get", "patient", 200),
    "refills:patient_edit": row("get", "patient", 403, **NURSES),
    "refills:patient_audit": row("get", "patient", 403, admin=200),
    "refills:encounter_create": row("get", "patient", 403, **NURSES),
    "refills:provider_visit_create": row("get", "patient", 403, provider=200),
    "refills:encounter_detail": row("get", "draft", 200),
    # Another nurse's draft is not theirs to edit: it does not exist for them.
    "refills:encounter_edit": row("get", "draft", 403, nurse=200, nurse2=404),
    "refills:encounter_verify": row("get", "draft", 200),
    "refills:encounter_sign": row("post", "draft", 403, nurse=REDIRECT, nurse2=REDIRECT),
    "refills:addendum_create": row("get", "signed", 403, **NURSES),
    "refills:encounter_audit": row("get", "draft", 403, admin=200),
    "refills:order_create": row("get", "patient", 403, provider=200),
    "refills:order_detail": row("get", "order", 200),
    "refills:encounter_override": row("get", "held", 403, provider=200),
    "refills:teaching_sheet": row("get", "draft", 200),
    # A draft names the form page it belongs to; without one there is nothing to keep.
    "refills:draft_save": row("post", None, 404),
    "refills:visit_detail": row("get", "visit", 200),
    # Only the provider who recorded the visit may change it.
    "refills:visit_correct": row("get", "visit", 403, provider=200),
    "refills:visit_withdraw": row("get", "visit", 403, provider=200),
    # Billing
    "billing:queue": row("get", None, 403, **BILLING),
    "billing:claims_bulk": row("post", None, 403, biller=REDIRECT, admin=REDIRECT),
    "billing:export_selected": row("post", None, 403, biller=REDIRECT, admin=REDIRECT),
    "billing:claim_redecide": row("post", "claim", 403, biller=REDIRECT, admin=REDIRECT),
    "billing:claim_detail": row("get", "claim", 403, **BILLING),
    "billing:claim_approve": row("post", "claim", 403, biller=REDIRECT, admin=REDIRECT),
    "billing:claim_hold": row("post", "claim", 403, biller=REDIRECT, admin=REDIRECT),
    "billing:claim_release": row("post", "claim", 403, biller=REDIRECT, admin=REDIRECT),
    "billing:claim_correct": row("post", "claim", 403, biller=REDIRECT, admin=REDIRECT),
    "billing:claim_review": row("post", "claim", 403, biller=REDIRECT, admin=REDIRECT),
    "billing:claim_1500": row("get", "claim", 403, **BILLING),
    "billing:claim_audit": row("get", "claim", 403, admin=200),
    "billing:dashboard": row("get", None, 403, **BILLING),
    "billing:denials": row("get", None, 403, **BILLING),
    # The target claim is not denied: the service refuses and sends the biller back.
    "billing:denial_act": row("post", "claim", 403, biller=REDIRECT, admin=REDIRECT),
    "billing:export_list": row("get", None, 403, **BILLING),
    "billing:export_create": row("post", None, 403, biller=REDIRECT, admin=REDIRECT),
    "billing:export_download": row("get", "export", 403, **BILLING),
    "billing:import_list": row("get", None, 403, **BILLING),
    # Without a file the form is refused at its field (400), nothing posted.
    "billing:import_create": row("post", None, 403, biller=400, admin=400),
    "billing:import_detail": row("get", "x12import", 403, **BILLING),
    "billing:unmatched_list": row("get", None, 403, **BILLING),
}

POST_DATA = {
    "refills:encounter_sign": {"attest": "on"},
    "billing:claim_hold": {"reason": "Checking the order"},
    "billing:claim_release": {"reason": "Order on file"},
    "billing:export_create": {"format": "csv"},
    "billing:denial_act": {"action": "appeal", "reason": "The note supports it"},
    "billing:claims_bulk": {"action": "hold", "reason": "Checking the order", "claims": ["1"]},
    "billing:export_selected": {"format": "csv", "claims": ["1"]},
    "billing:claim_redecide": {"reason": "Order on file"},
    "billing:claim_correct": {"frequency": "7", "reason": "Units"},
}


def named_urls() -> set[str]:
    """Every named URL of the project's apps, and the admin's index."""
    names: set[str] = set()

    def walk(resolver: URLResolver, namespace: str) -> None:
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace or namespace
                if inner != "admin":
                    walk(pattern, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    walk(get_resolver(), "")
    return names | {"admin:index"}


def test_every_url_has_a_row():
    assert named_urls() == set(MATRIX)


@pytest.fixture
def people(nurse, nurse2, provider, biller, admin_user, inactive):
    return {
        "anonymous": None,
        "inactive": inactive,
        "nurse": nurse,
        "nurse2": nurse2,
        "provider": provider,
        "biller": biller,
        "admin": admin_user,
    }


@pytest.fixture
def targets(nurse, nurse2, provider):
    patient = PatientFactory()
    draft = services.encounter_create(by=nurse, patient=patient, data=encounter_data())
    held = services.encounter_create(
        by=nurse, patient=patient, data=encounter_data(anc=Decimal("1.20"))
    )
    signed = signed_refill(patient, nurse, nurse2)
    export = ClaimExport.objects.create(
        created_at=timezone.now(),
        created_by=nurse,
        format="csv",
        filename="claims.csv",
        sha256="0" * 64,
        content=b"claim_id\n",
        claim_count=0,
    )
    x12import = X12Import.objects.create(
        kind="835",
        filename="remit.835",
        sha256="1" * 64,
        content=b"ISA",
        imported_at=timezone.now(),
        interchange_control_number="000000001",
        sender_id="CLEARHOUSE",
        outcome="0 claims matched.",
    )
    return {
        "x12import": x12import.pk,
        "patient": patient.pk,
        "draft": draft.pk,
        "held": held.pk,
        "order": patient.orders.get().pk,
        "signed": signed.pk,
        "claim": Claim.objects.get(encounter=signed).pk,
        "export": export.pk,
        "visit": provider_visit(provider, PatientFactory()).pk,
    }


def outcome(response) -> int | str:
    if response.status_code != 302:
        return response.status_code
    location = response["Location"]
    if location.startswith(reverse("admin:login")):
        return ADMIN_LOGIN
    if location.startswith(reverse("login")):
        return LOGIN
    return REDIRECT


def answer(people, name: str, target: int | None, persona: str) -> int | str:
    """What ``persona`` gets from the URL, in a savepoint rolled back afterwards: what one
    persona's request writes (a hold, a signature, a session) never reaches the next's."""
    method, _, _ = MATRIX[name]
    client = Client()
    with transaction.atomic():
        if people[persona] is not None:
            client.force_login(people[persona])
        url = reverse(name, args=[target] if target else [])
        response = getattr(client, method)(url, POST_DATA.get(name, {}))
        transaction.set_rollback(True)
    return outcome(response)


# One test a URL, every persona in it: the patients, refills and claims the URLs name are made
# once a URL rather than once a persona (seven times fewer).
@pytest.mark.parametrize("name", list(MATRIX))
def test_permission_matrix(people, targets, name):
    _, target, expected = MATRIX[name]

    answers = {p: answer(people, name, targets[target] if target else None, p) for p in PERSONAS}

    assert answers == expected


UNKNOWN = 999_999


@pytest.mark.parametrize(
    "name", [name for name, (_, target, _) in MATRIX.items() if target is not None]
)
def test_unknown_ids_are_404_for_those_allowed_to_use_the_url(client, people, name):
    method, _, expected = MATRIX[name]
    persona = next(p for p in ROLES if expected[p] in (200, REDIRECT))
    client.force_login(people[persona])

    response = getattr(client, method)(reverse(name, args=[UNKNOWN]), POST_DATA.get(name, {}))

    assert response.status_code == 404


def test_a_user_without_a_role_sees_nothing(client, outsider, patient):
    client.force_login(outsider)
    assert client.get(reverse("home")).status_code == 403
    assert client.get(reverse("refills:patient_detail", args=[patient.pk])).status_code == 403
    assert client.get(reverse("billing:queue")).status_code == 403


def test_staff_pages_of_the_admin_are_refused_to_clinical_roles(client, nurse, biller):
    for user in (nurse, biller):
        client.force_login(user)
        for url in ("/admin/refills/encounter/", "/admin/billing/claim/", "/admin/auth/user/"):
            assert outcome(client.get(url)) == ADMIN_LOGIN


def test_a_deactivated_session_is_logged_out(client, nurse):
    client.force_login(nurse)
    assert client.get(reverse("refills:worklist")).status_code == 200
    nurse.is_active = False
    nurse.save()
    assert outcome(client.get(reverse("refills:worklist"))) == LOGIN
