"""`/healthz` answers 200 when the database answers `SELECT 1` and 503 when it does not."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.db import OperationalError, connection
from django.test import override_settings
from django.urls import reverse


def assert_bare(response) -> None:
    """No cookie, nothing cached: a health check carries nothing."""
    assert response.cookies == {}
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Type"] == "text/plain"


@pytest.mark.django_db
def test_answers_200_when_the_database_answers(client, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = client.get(reverse("healthz"))

    assert (response.status_code, response.content) == (200, b"ok\n")
    assert reverse("healthz") == "/healthz"
    assert_bare(response)
    assert Session.objects.count() == 0


def refuse(execute, sql, params, many, context):
    raise OperationalError("connection to server at 127.0.0.1, port 5432 failed")


@pytest.mark.django_db
def test_answers_503_when_select_1_fails(client, caplog):
    with connection.execute_wrapper(refuse):
        response = client.get(reverse("healthz"))

    assert (response.status_code, response.content) == (503, b"database unavailable\n")
    assert_bare(response)
    assert [r.getMessage() for r in caplog.records if r.name == "config.health"] == [
        "Database check failed: OperationalError"
    ]


# Outside a transaction, to close the connection; serialized_rollback brings back what the
# flush after a transactional test takes (the role groups), as in test_races.
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_answers_503_when_the_database_server_cannot_be_reached(client):
    settings_dict = connection.settings_dict
    port = settings_dict["PORT"]
    connection.close()
    settings_dict["PORT"] = "1"  # nothing listens there
    try:
        response = client.get(reverse("healthz"))
    finally:
        connection.close()
        settings_dict["PORT"] = port

    assert (response.status_code, response.content) == (503, b"database unavailable\n")
    assert client.get(reverse("healthz")).status_code == 200


@pytest.mark.django_db
def test_is_open_without_login_and_only_for_reading(client):
    assert client.head(reverse("healthz")).status_code == 200
    assert client.post(reverse("healthz")).status_code == 405


@pytest.mark.django_db
@override_settings(SECURE_SSL_REDIRECT=True)
def test_load_balancers_may_probe_it_over_plain_http(client):
    assert client.get(reverse("healthz")).status_code == 200
    assert client.get(reverse("login")).status_code == 301
