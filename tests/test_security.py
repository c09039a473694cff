"""Production settings, security headers, lockout, idle logoff, and no PHI in URLs, logs or
error pages."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import secrets
import subprocess
import sys
from html.parser import HTMLParser
from importlib import import_module
from pathlib import Path

import pytest
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib import messages
from django.contrib.sessions.models import Session
from django.shortcuts import redirect
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls import path as url_path
from django.urls.converters import IntConverter
from django.utils import timezone

from billing.models import ClaimExport
from refills import services
from refills.models import Patient
from tests.factories import (
    PASSWORD,
    PatientFactory,
    approved_claim,
    encounter_data,
    make_order,
    patient_post,
    verify_post,
)

ROOT = Path(__file__).resolve().parent.parent


def production_env() -> dict[str, str]:
    """The environment of a production process: a real key, DEBUG unset, one host."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "AXES_", "SESSION_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64)[:60],
        DJANGO_ALLOWED_HOSTS="example.org",
    )
    return env


def run_python(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=production_env() | env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("behind_proxy", ["", "true"])
def test_production_settings_pass_the_deploy_check_without_warnings(behind_proxy):
    result = run_python(
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_BEHIND_PROXY=behind_proxy,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_settings_are_the_secure_ones():
    script = (
        "import django, json; django.setup();"
        "from django.conf import settings as s;"
        "from django.contrib.auth.hashers import make_password;"
        "print(json.dumps({k: getattr(s, k) for k in ("
        "'DEBUG', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY',"
        "'SECURE_SSL_REDIRECT', 'SECURE_HSTS_SECONDS', 'SECURE_HSTS_INCLUDE_SUBDOMAINS',"
        "'X_FRAME_OPTIONS', 'SECURE_CONTENT_TYPE_NOSNIFF', 'SESSION_COOKIE_AGE',"
        "'SESSION_SAVE_EVERY_REQUEST', 'PASSWORD_HASHERS', 'AXES_FAILURE_LIMIT',"
        "'AXES_LOCKOUT_PARAMETERS', 'MESSAGE_STORAGE', 'BEHIND_PROXY', 'SECURE_PROXY_SSL_HEADER')}"
        " | {'hash': make_password('x').split('$')[0]}))"
    )
    result = run_python("-c", script)
    assert result.returncode == 0, result.stderr

    values = json.loads(result.stdout)

    assert values == {
        "DEBUG": False,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "X_FRAME_OPTIONS": "DENY",
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "SESSION_COOKIE_AGE": 900,
        "SESSION_SAVE_EVERY_REQUEST": True,
        "PASSWORD_HASHERS": [
            "django.contrib.auth.hashers.Argon2PasswordHasher",
            "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        ],
        "AXES_FAILURE_LIMIT": 5,
        "AXES_LOCKOUT_PARAMETERS": [["username", "ip_address"]],
        "MESSAGE_STORAGE": "django.contrib.messages.storage.session.SessionStorage",
        "BEHIND_PROXY": False,
        "SECURE_PROXY_SSL_HEADER": None,
        "hash": "argon2",
    }


def test_production_refuses_to_start_without_a_secret_key():
    env = production_env()
    del env["DJANGO_SECRET_KEY"]
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_security_headers_on_every_page(client, nurse):
    client.force_login(nurse)

    response = client.get(reverse("refills:worklist"), secure=True)

    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    policy = dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"


def test_session_cookie_is_http_only_and_same_site(client, nurse):
    response = client.post(reverse("login"), {"username": "rn.alvarez", "password": PASSWORD})

    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


# Lockout and idle logoff


def login(client, password: str):
    return client.post(reverse("login"), {"username": "rn.alvarez", "password": password})


def test_the_sixth_login_is_refused_even_with_the_right_password_until_reset(nurse):
    client = Client()
    statuses = [login(client, "wrong").status_code for _ in range(settings.AXES_FAILURE_LIMIT)]
    assert statuses == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]

    locked = login(client, PASSWORD)

    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    axes_reset(username="rn.alvarez")
    assert login(client, PASSWORD).status_code == 302
    assert client.session["_auth_user_id"] == str(nurse.pk)


def test_a_success_before_the_limit_clears_the_failures(nurse):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, "wrong")
    assert login(client, PASSWORD).status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, "wrong")
    assert login(client, PASSWORD).status_code == 302


def test_idle_session_is_logged_off_and_activity_keeps_it(client, nurse):
    client.force_login(nurse)
    client.get(reverse("refills:worklist"))
    session = Session.objects.get(session_key=client.session.session_key)
    left = session.expire_date - timezone.now()
    assert dt.timedelta(minutes=14) < left <= dt.timedelta(minutes=15)

    Session.objects.filter(pk=session.pk).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    response = client.get(reverse("refills:worklist"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# No PHI in URLs, logs or error pages

NAME, FIRST, MRN, BORN = "Zyxwvut", "Quorra", "MRNQ77123", dt.date(1951, 2, 3)
PHI = (NAME, FIRST, MRN, "1951-02-03", "19510203", "02/03/1951", "1951")


def phi_in(text: str) -> list[str]:
    lowered = text.lower()
    return [item for item in PHI if item.lower() in lowered]


@pytest.fixture
def phi_patient(db):
    return PatientFactory(last_name=NAME, first_name=FIRST, mrn=MRN, date_of_birth=BORN)


def test_no_url_pattern_takes_anything_but_a_numeric_id():
    def walk(resolver: URLResolver, namespace: str):
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                if (pattern.namespace or namespace) != "admin":
                    yield from walk(pattern, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern):
                yield f"{namespace}:{pattern.name}", pattern.pattern

    for name, pattern in walk(get_resolver(), ""):
        converters = getattr(pattern, "converters", {})
        assert all(isinstance(c, IntConverter) for c in converters.values()), name
        assert set(converters) <= {"pk", "patient_pk"}, name


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.urls += [v or "" for k, v in attrs if k in {"href", "action", "src", "formaction"}]


def phi_pages(nurse, biller, admin_user, patient, draft, claim) -> dict:
    """The pages that show the patient's name, each under a user who may open it."""
    return {
        nurse: [
            reverse("refills:worklist"),
            reverse("refills:patient_list"),
            reverse("refills:patient_detail", args=[patient.pk]),
            reverse("refills:encounter_detail", args=[draft.pk]),
            reverse("refills:encounter_edit", args=[draft.pk]),
        ],
        biller: [
            reverse("billing:queue"),
            reverse("billing:claim_detail", args=[claim.pk]),
            reverse("billing:claim_1500", args=[claim.pk]),
        ],
        admin_user: [
            reverse("refills:patient_audit", args=[patient.pk]),
            reverse("billing:claim_audit", args=[claim.pk]),
        ],
    }


@pytest.mark.usefixtures("practice")
def test_links_on_pages_never_carry_phi(
    client, phi_patient, nurse, nurse2, biller, provider, admin_user
):
    claim = approved_claim(nurse, nurse2, biller, provider, last_name=NAME)
    patient = claim.patient
    patient.first_name, patient.mrn, patient.date_of_birth = FIRST, "MRNQ77124", BORN
    patient.save()
    draft = services.encounter_create(by=nurse, patient=phi_patient, data=encounter_data())
    pages = phi_pages(nurse, biller, admin_user, phi_patient, draft, claim)
    pages[nurse].append(reverse("refills:encounter_create", args=[phi_patient.pk]))
    pages[admin_user].append(reverse("refills:encounter_audit", args=[draft.pk]))
    for user, urls in pages.items():
        client.force_login(user)
        for search in (reverse("refills:patient_list"), reverse("billing:queue")):
            client.post(search, {"q": NAME})  # kept in the session, not the URL
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            assert NAME in response.content.decode(), url  # the page does show the patient
            links = Links()
            links.feed(response.content.decode())
            assert links.urls, url
            assert [u for u in links.urls if phi_in(u)] == [], url


class Collect(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter(settings.LOGGING["formatters"]["plain"]["format"]))

    def emit(self, record):
        self.lines.append(self.format(record))


@pytest.fixture
def log_lines():
    """Every record of the request loggers, whatever level the settings let through."""
    handler = Collect()
    loggers = [logging.getLogger(n) for n in ("", "django", "django.request", "django.server")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    yield handler.lines
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_logs_of_errors_carry_no_phi(nurse, biller, phi_patient, log_lines, monkeypatch):
    client = Client(raise_request_exception=False)
    client.force_login(nurse)
    form = patient_post(mrn=MRN + "9", last_name=NAME, first_name=FIRST, date_of_birth="1951-02-03")
    monkeypatch.setattr("refills.services.patient_create", _raise_runtime_error)

    assert client.post(reverse("refills:patient_create"), form).status_code == 500
    assert client.get(reverse("refills:patient_detail", args=[999_999])).status_code == 404
    client.force_login(biller)
    assert client.get(reverse("refills:patient_create")).status_code == 403

    assert any("Internal Server Error" in line for line in log_lines)
    assert any("Not Found" in line for line in log_lines)
    assert any("Forbidden" in line for line in log_lines)
    assert [line for line in log_lines if phi_in(line)] == []


def _raise_runtime_error(*args, **kwargs):
    raise RuntimeError("database unavailable")


def test_error_pages_show_no_request_data(nurse, biller, phi_patient, monkeypatch):
    client = Client(raise_request_exception=False)
    client.force_login(nurse)
    query = f"?q={NAME}&mrn={MRN}"
    missing = reverse("refills:patient_detail", args=[999_999])
    broken = reverse("refills:patient_detail", args=[phi_patient.pk])
    refused = reverse("refills:patient_create")

    not_found = client.get(missing + query)
    monkeypatch.setattr("refills.selectors.encounters_visible_to", _raise_runtime_error)
    server_error = client.get(broken + query)
    client.force_login(biller)
    forbidden = client.get(refused + query)

    for response, path, status, heading in (
        (not_found, missing, 404, "Not found"),
        (server_error, broken, 500, "Something went wrong"),
        (forbidden, refused, 403, "Not allowed"),
    ):
        content = response.content.decode()
        assert response.status_code == status
        assert heading in content
        assert phi_in(content) == [], status
        assert path not in content


# The proxy's headers count only when the app is said to sit behind one


PROXY_SETTINGS = (
    "import django, json; django.setup();"
    "from django.conf import settings as s;"
    "from django.test import RequestFactory;"
    "from accounts.lockout import client_address;"
    "r = RequestFactory().get('/', REMOTE_ADDR='10.0.0.1', HTTP_X_FORWARDED_PROTO='https',"
    " HTTP_X_FORWARDED_FOR='203.0.113.9, 10.0.0.7');"
    "print(json.dumps([s.SECURE_PROXY_SSL_HEADER, r.is_secure(), client_address(r)]))"
)


@pytest.mark.parametrize(
    ("behind_proxy", "expected"),
    [
        ("", [None, False, "10.0.0.1"]),
        ("false", [None, False, "10.0.0.1"]),
        ("true", [["HTTP_X_FORWARDED_PROTO", "https"], True, "10.0.0.7"]),
    ],
)
def test_the_proxy_headers_count_only_behind_a_trusted_proxy(behind_proxy, expected):
    result = run_python("-c", PROXY_SETTINGS, DJANGO_BEHIND_PROXY=behind_proxy)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == expected


def test_a_bad_proxy_setting_stops_start_up():
    result = run_python("manage.py", "check", DJANGO_BEHIND_PROXY="maybe")

    assert result.returncode != 0
    assert "DJANGO_BEHIND_PROXY must be a boolean (true/false), got 'maybe'." in result.stderr


def test_the_readme_documents_the_proxy_setting_and_binds_gunicorn_to_localhost():
    readme = (ROOT / "README.md").read_text()
    table = [line for line in readme.splitlines() if line.startswith("| `DJANGO_BEHIND_PROXY`")]
    gunicorn = [line for line in readme.splitlines() if line.startswith("gunicorn ")]

    assert len(table) == 1 and table[0].endswith("| off |")
    assert gunicorn == ["gunicorn config.wsgi --bind 127.0.0.1:8000 --workers 3"]
    assert "DJANGO_BEHIND_PROXY=true" in readme


# Nothing with patient data stays on the device


def cache_directives(response) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part.strip()}


@pytest.mark.usefixtures("practice")
def test_every_page_and_file_with_patient_data_is_not_stored(
    client, phi_patient, nurse, nurse2, biller, provider, admin_user
):
    claim = approved_claim(nurse, nurse2, biller, provider, last_name=NAME)
    draft = services.encounter_create(by=nurse, patient=phi_patient, data=encounter_data())
    pages = phi_pages(nurse, biller, admin_user, phi_patient, draft, claim)
    pages[nurse] += [
        reverse("refills:encounter_verify", args=[draft.pk]),
        reverse("accounts:password_change"),
    ]
    pages[biller].append(reverse("billing:export_list"))
    pages[admin_user] += [reverse("admin:index"), reverse("admin:billing_coverage_changelist")]
    seen = []
    for user, urls in pages.items():
        client.force_login(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            seen.append((url, "no-store" in cache_directives(response)))
    client.force_login(biller)
    exported = client.post(reverse("billing:export_create"), {"format": "csv"})
    assert exported.status_code == 200
    assert NAME.upper() in exported.content.decode().upper()
    export = ClaimExport.objects.get()
    downloaded = client.get(reverse("billing:export_download", args=[export.pk]))
    client.logout()
    login_page = client.get(reverse("login"))
    for name, response in (("export", exported), ("download", downloaded), ("login", login_page)):
        seen.append((name, "no-store" in cache_directives(response)))

    assert [url for url, stored_nowhere in seen if not stored_nowhere] == []


def test_static_files_keep_their_caching(client, db):
    response = client.get("/static/css/app.css")
    response.close()

    assert response.status_code == 200
    assert "no-store" not in cache_directives(response)
    assert "max-age" in response["Cache-Control"]


def _message_naming_a_patient(request):
    messages.info(request, f"Coverage checked for {NAME}, {FIRST} (MRN {MRN}).")
    return redirect("refills:worklist")


urlpatterns = [
    url_path("message-naming-a-patient/", _message_naming_a_patient),
    *import_module("config.urls").urlpatterns,
]


@override_settings(ROOT_URLCONF=__name__)
def test_a_message_naming_a_patient_stays_on_the_server(client, nurse):
    client.force_login(nurse)

    added = client.get("/message-naming-a-patient/")
    shown = client.get(added["Location"])

    assert shown.status_code == 200
    assert f"Coverage checked for {NAME}, {FIRST}" in shown.content.decode()
    assert "messages" not in client.cookies
    assert [c.key for c in client.cookies.values() if phi_in(c.value)] == []


@pytest.mark.usefixtures("practice")
def test_no_response_sets_a_messages_cookie(client, nurse, nurse2, biller, provider):
    form = patient_post(mrn="MRNM001", last_name=NAME, first_name=FIRST, date_of_birth="1951-02-03")
    client.force_login(nurse)
    responses = [client.post(reverse("refills:patient_create"), form, follow=True)]
    patient = Patient.objects.get(mrn="MRNM001")
    make_order(patient, by=provider)
    encounter = services.encounter_create(by=nurse, patient=patient, data=encounter_data())
    responses.append(client.get(reverse("refills:encounter_edit", args=[encounter.pk])))
    responses.append(
        client.post(
            reverse("refills:encounter_verify", args=[encounter.pk]),
            verify_post(),
            follow=True,
        )
    )
    responses.append(
        client.post(
            reverse("refills:encounter_sign", args=[encounter.pk]), {"attest": "on"}, follow=True
        )
    )
    client.force_login(biller)
    claim = approved_claim(nurse, nurse2, biller, provider, last_name=NAME)
    responses.append(
        client.post(
            reverse("billing:claim_hold", args=[claim.pk]), {"reason": "Check"}, follow=True
        )
    )
    responses.append(client.post(reverse("billing:export_create"), {"format": "x12"}, follow=True))

    shown = [str(m) for r in responses for m in r.context["messages"]]
    assert shown == [
        "Patient registered.",
        "Verified. The nurse can now sign.",
        "Signed and locked.",
        "Claim put on hold.",
        "No approved claim is waiting for export.",
    ]
    # The client keeps every cookie any response set, redirects included.
    assert "messages" not in client.cookies
    assert [c.key for c in client.cookies.values() if phi_in(c.value)] == []
