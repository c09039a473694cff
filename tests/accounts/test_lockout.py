"""Failed sign-ins slow down one username at one address; strangers elsewhere, or behind
the same proxy, cannot lock anyone out, and administrators see and release the waits."""

from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt
from django.test import Client, override_settings
from django.urls import reverse

from accounts.lockout import delay_after
from accounts.models import AccountEvent
from refills import services
from refills.models import Encounter
from tests.factories import PASSWORD, encounter_data, verify_post

LIMIT = 5
PROXY = "10.0.0.1"


def sign_in(client: Client, password: str, username: str = "rn.alvarez", **extra):
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def fail(client: Client, times: int = LIMIT, username: str = "rn.alvarez", **extra) -> list[int]:
    return [sign_in(client, "wrong", username, **extra).status_code for _ in range(times)]


def signed_in_as(client: Client):
    return client.session.get("_auth_user_id")


def wind_back(seconds: int) -> None:
    """As if the failures were ``seconds`` older."""
    for attempt in AccessAttempt.objects.all():
        attempt.attempt_time -= dt.timedelta(seconds=seconds)
        attempt.save()


def test_the_wait_starts_at_a_minute_and_doubles_to_a_quarter_hour():
    assert [delay_after(n).total_seconds() for n in range(3, 11)] == [
        0,
        0,
        60,
        120,
        240,
        480,
        900,
        900,
    ]


def test_five_failures_make_that_username_wait_a_minute_at_that_address(nurse):
    client = Client(REMOTE_ADDR="10.0.0.7")

    assert fail(client) == [200] * (LIMIT - 1) + [429]
    waiting = sign_in(client, PASSWORD)

    assert waiting.status_code == 429
    assert waiting.context["form"].non_field_errors() == [
        "Too many failed sign-ins for this username from this computer. Try again in 1 minute, "
        "or ask an administrator to release the lock."
    ]
    assert signed_in_as(client) is None
    wind_back(61)
    assert sign_in(client, PASSWORD).status_code == 302
    assert signed_in_as(client) == str(nurse.pk)
    assert not AccessAttempt.objects.exists()  # a success clears the count


def test_each_further_failure_doubles_the_wait(nurse):
    client = Client(REMOTE_ADDR="10.0.0.7")
    fail(client)
    wind_back(61)

    assert fail(client, 1) == [429]  # the sixth failure: two minutes
    wind_back(61)
    assert sign_in(client, PASSWORD).status_code == 429
    wind_back(60)
    assert sign_in(client, PASSWORD).status_code == 302


def test_tries_during_a_wait_are_not_counted(nurse):
    client = Client(REMOTE_ADDR="10.0.0.7")
    fail(client)

    fail(client, 20)

    assert AccessAttempt.objects.get().failures_since_start == LIMIT


def test_a_stranger_at_another_address_cannot_lock_the_user_out(nurse):
    stranger = Client(REMOTE_ADDR="203.0.113.50")
    fail(stranger, 10)

    at_work = Client(REMOTE_ADDR="10.0.0.7")

    assert sign_in(at_work, PASSWORD).status_code == 302
    assert signed_in_as(at_work) == str(nurse.pk)


@override_settings(BEHIND_PROXY=True)
def test_behind_the_proxy_each_client_is_its_own_address(nurse):
    """Every request comes from the proxy; the proxy appends the client's address to
    X-Forwarded-For, and only that last entry counts (what comes before, anyone can send)."""
    stranger = Client(REMOTE_ADDR=PROXY)
    fail(stranger, 10, HTTP_X_FORWARDED_FOR="10.0.0.7, 198.51.100.23")

    at_work = Client(REMOTE_ADDR=PROXY)
    response = sign_in(at_work, PASSWORD, HTTP_X_FORWARDED_FOR="10.0.0.7")

    assert response.status_code == 302
    assert list(AccessAttempt.objects.values_list("username", "ip_address")) == [
        ("rn.alvarez", "198.51.100.23")
    ]


def test_without_a_trusted_proxy_the_forwarded_address_is_ignored(nurse):
    client = Client(REMOTE_ADDR="10.0.0.7")

    fail(client, 2, HTTP_X_FORWARDED_FOR="198.51.100.23")
    fail(client, 3, HTTP_X_FORWARDED_FOR="198.51.100.24")

    assert list(AccessAttempt.objects.values_list("ip_address", "failures_since_start")) == [
        ("10.0.0.7", 5)
    ]
    assert sign_in(client, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.25").status_code == 429


# The verify page's password box


@pytest.fixture
def draft(patient, nurse):
    return services.encounter_create(by=nurse, patient=patient, data=encounter_data())


def verify(client: Client, draft, password: str, username: str = "rn.chen"):
    return client.post(
        reverse("refills:encounter_verify", args=[draft.pk]),
        verify_post(username=username, password=password),
    )


def test_the_verify_box_waits_on_its_own_and_never_locks_the_verifiers_sign_in(
    nurse, nurse2, provider, draft
):
    workstation = Client(REMOTE_ADDR="10.0.0.7")
    workstation.force_login(nurse)

    statuses = [verify(workstation, draft, "wrong").status_code for _ in range(LIMIT)]
    waiting = verify(workstation, draft, PASSWORD)

    assert statuses == [200] * (LIMIT - 1) + [429]
    assert waiting.status_code == 429
    assert waiting.context["form"].errors["password"] == [
        "Too many failed verifications for this username from this computer. Try again in "
        "1 minute, or ask an administrator to release the lock."
    ]
    assert Encounter.objects.get(pk=draft.pk).status == "draft"
    assert list(AccessAttempt.objects.values_list("username", "ip_address")) == [
        ("rn.chen (verify)", "10.0.0.7")
    ]
    # rn.chen signs in at that very workstation, and another clinician can verify there.
    own = Client(REMOTE_ADDR="10.0.0.7")
    assert sign_in(own, PASSWORD, "rn.chen").status_code == 302
    assert verify(workstation, draft, PASSWORD, "dr.okafor").status_code == 302
    assert Encounter.objects.get(pk=draft.pk).verified_by == provider


def test_a_verification_with_the_right_password_clears_the_verify_count(nurse, nurse2, draft):
    workstation = Client(REMOTE_ADDR="10.0.0.7")
    workstation.force_login(nurse)
    for _ in range(LIMIT - 1):
        verify(workstation, draft, "wrong")

    assert verify(workstation, draft, PASSWORD).status_code == 302
    assert not AccessAttempt.objects.exists()


def test_failures_in_the_verify_box_do_not_count_toward_sign_in(nurse, nurse2, draft):
    workstation = Client(REMOTE_ADDR="10.0.0.7")
    workstation.force_login(nurse)
    for _ in range(LIMIT - 1):
        verify(workstation, draft, "wrong")
    own = Client(REMOTE_ADDR="10.0.0.7")

    assert fail(own, LIMIT - 1, "rn.chen") == [200] * (LIMIT - 1)
    assert sign_in(own, PASSWORD, "rn.chen").status_code == 302


# Administrators see the waits and release them


def test_an_admin_sees_who_waits_where_and_releases_one_with_a_record(nurse, nurse2, admin_user):
    fail(Client(REMOTE_ADDR="10.0.0.7"))
    fail(Client(REMOTE_ADDR="10.0.0.8"), 2, "rn.chen")
    admin = Client(REMOTE_ADDR="10.0.0.2")
    admin.force_login(admin_user)

    listing = admin.get(reverse("admin:accounts_signinlockout_changelist"), {"blocked": "yes"})
    rows = [
        (row.username, row.ip_address, row.total_failures)
        for row in listing.context["cl"].result_list
    ]
    locked = AccessAttempt.objects.get(username="rn.alvarez")
    released = admin.post(
        reverse("admin:accounts_signinlockout_changelist"),
        {"action": "release", "_selected_action": [str(locked.pk)]},
    )

    assert listing.status_code == 200
    assert rows == [("rn.alvarez", "10.0.0.7", LIMIT)]
    assert released.status_code == 302
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == ["rn.chen"]
    event = AccountEvent.objects.get(kind="lockout_released")
    assert (event.actor, event.subject, event.subject_username, event.address) == (
        admin_user,
        nurse,
        "rn.alvarez",
        "10.0.0.2",
    )
    assert event.detail == {"address": "10.0.0.7", "failures": LIMIT}
    assert sign_in(Client(REMOTE_ADDR="10.0.0.7"), PASSWORD).status_code == 302


@pytest.mark.parametrize("persona", ["nurse", "biller"])
def test_only_admins_see_the_lockouts(client, db, request, persona):
    client.force_login(request.getfixturevalue(persona))

    response = client.get(reverse("admin:accounts_signinlockout_changelist"))

    assert response.status_code == 302  # the admin sends non-staff to sign in
    assert response["Location"].startswith(reverse("admin:login"))
