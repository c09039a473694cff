"""A password that someone else set opens nothing but the page where the holder chooses
their own: whoever set it could otherwise sign or verify as a second clinician."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from accounts import services
from accounts.models import AccountEvent, PasswordAssignment
from refills import services as refill_services
from refills.models import Encounter
from tests.factories import PASSWORD, encounter_data, verify_post

User = get_user_model()
ASSIGNED = "Reset-pass-7310!"
CHOSEN = "My-own-choice-5521!"


@pytest.fixture
def reset_nurse2(nurse2, admin_user):
    """rn.chen, whose password admin.kim has just reset."""
    nurse2.set_password(ASSIGNED)
    nurse2.save()
    services.password_set_by_other(user=nurse2, by=admin_user, address="10.0.0.9")
    return User.objects.get(pk=nurse2.pk)


@pytest.fixture
def draft(patient, nurse):
    return refill_services.encounter_create(by=nurse, patient=patient, data=encounter_data())


def test_sign_in_with_an_assigned_password_leads_only_to_the_password_page(reset_nurse2):
    client = Client()

    signed_in = client.post(reverse("login"), {"username": "rn.chen", "password": ASSIGNED})
    elsewhere = client.get(reverse("refills:worklist"))
    page = client.get(reverse("accounts:password_change"))

    assert signed_in["Location"] == reverse("accounts:password_change")
    assert (elsewhere.status_code, elsewhere["Location"]) == (
        302,
        reverse("accounts:password_change"),
    )
    assert page.status_code == 200
    assert "Your password was set by an administrator." in page.content.decode()


def test_a_clinician_with_an_assigned_password_cannot_verify(client, nurse, reset_nurse2, draft):
    client.force_login(nurse)

    response = client.post(
        reverse("refills:encounter_verify", args=[draft.pk]), verify_post(password=ASSIGNED)
    )

    assert response.status_code == 200
    assert response.context["form"].errors["password"] == [
        "This clinician's password was set by an administrator. They must sign in and "
        "choose their own before they can verify."
    ]
    assert Encounter.objects.get(pk=draft.pk).status == "draft"
    assert not draft.verification_attempts.exists()


def test_an_assigned_password_grants_no_signing_or_verifying_whatever_the_path(reset_nurse2):
    assert not reset_nurse2.has_perm("refills.verify_encounter")
    assert not reset_nurse2.has_perm("refills.sign_encounter")
    assert reset_nurse2.has_perm("refills.view_encounter")


def test_choosing_ones_own_password_restores_everything_with_a_record(
    nurse, reset_nurse2, admin_user, draft
):
    client = Client()
    client.post(reverse("login"), {"username": "rn.chen", "password": ASSIGNED})

    changed = client.post(
        reverse("accounts:password_change"),
        {"old_password": ASSIGNED, "new_password1": CHOSEN, "new_password2": CHOSEN},
    )

    assert changed["Location"] == reverse("home")
    assert client.get(reverse("refills:worklist")).status_code == 200
    assert not PasswordAssignment.objects.exists()
    event = AccountEvent.objects.get(kind="password_changed")
    assert (event.actor, event.subject, event.detail, event.address) == (
        reset_nurse2,
        reset_nurse2,
        {"replaced_password_set_by": admin_user.pk},
        "127.0.0.1",
    )
    verifier = User.objects.get(pk=reset_nurse2.pk)
    assert verifier.has_perm("refills.verify_encounter")
    at_the_workstation = Client()
    at_the_workstation.force_login(nurse)
    verified = at_the_workstation.post(
        reverse("refills:encounter_verify", args=[draft.pk]), verify_post(password=CHOSEN)
    )
    assert verified.status_code == 302
    assert Encounter.objects.get(pk=draft.pk).verified_by == verifier


def test_the_old_password_is_needed_to_choose_a_new_one(reset_nurse2):
    client = Client()
    client.post(reverse("login"), {"username": "rn.chen", "password": ASSIGNED})

    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": CHOSEN, "new_password2": CHOSEN},
    )

    assert response.status_code == 200
    assert "old_password" in response.context["form"].errors
    assert PasswordAssignment.objects.filter(user=reset_nurse2).exists()


def test_accounts_made_outside_the_admin_are_not_held(nurse):
    assert not PasswordAssignment.objects.exists()
    assert nurse.has_perm("refills.sign_encounter")


def test_cancel_while_held_signs_out_rather_than_going_in_circles(reset_nurse2):
    client = Client()
    client.post(reverse("login"), {"username": "rn.chen", "password": ASSIGNED})

    content = client.get(reverse("accounts:password_change")).content.decode()

    assert f'formaction="{reverse("logout")}"' in content
    assert ">Cancel</" in content
    assert f'href="{reverse("home")}" data-leave' not in content


def test_cancel_goes_back_to_the_start_page_for_a_holder_not_held(client, nurse):
    client.force_login(nurse)

    content = client.get(reverse("accounts:password_change")).content.decode()

    assert f'href="{reverse("home")}" data-leave>Cancel</a>' in content
    assert 'formaction="' not in content
