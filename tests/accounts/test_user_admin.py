"""An administrator manages clinic staff in the admin, and cannot promote anyone, least of
all themselves: every refusal is checked by posting to the admin as a signed-in Admin."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts import services
from accounts.models import AccountEvent, PasswordAssignment
from tests.factories import UserFactory

User = get_user_model()


@pytest.fixture
def staff_biller(db):
    return UserFactory(username="biller.ng", first_name="Lin", last_name="Ng", role="Biller")


def change_url(user) -> str:
    return reverse("admin:auth_user_change", args=[user.pk])


def form_data(client, user) -> dict:
    """What the admin's change form for ``user`` posts unchanged, as a browser would."""
    form = client.get(change_url(user)).context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if name == "password" or value in (None, False):
            continue
        if hasattr(field.widget, "widgets"):  # the admin's date and time boxes
            for index, part in enumerate(field.widget.decompress(value)):
                data[f"{name}_{index}"] = str(part)
        elif isinstance(value, list | tuple):
            data[name] = [str(getattr(v, "pk", v)) for v in value]
        else:
            data[name] = str(getattr(value, "pk", value))
    return data


def roles(user) -> set[str]:
    return set(User.objects.get(pk=user.pk).groups.values_list("name", flat=True))


def group_ids(*names) -> list[str]:
    return [str(pk) for pk in Group.objects.filter(name__in=names).values_list("pk", flat=True)]


def password_boxes(password: str) -> dict[str, str]:
    """The admin's password boxes, both filled in with ``password``."""
    return {"usable_password": "true", "password1": password, "password2": password}


def set_password(client, user, password: str):
    """Post the admin's set-password form for ``user``."""
    return client.post(
        reverse("admin:auth_user_password_change", args=[user.pk]), password_boxes(password)
    )


# What an administrator may do


def test_an_admin_grants_a_clinical_role_with_a_reason_on_record(client, admin_user, staff_biller):
    client.force_login(admin_user)
    data = form_data(client, staff_biller)
    data.update(groups=group_ids("Biller", "Nurse"), reason="Starts on the infusion floor.")

    response = client.post(change_url(staff_biller), data)

    assert response.status_code == 302
    assert roles(staff_biller) == {"Biller", "Nurse"}
    event = AccountEvent.objects.get(kind="roles")
    assert (event.actor, event.subject, event.reason) == (
        admin_user,
        staff_biller,
        "Starts on the infusion floor.",
    )
    assert event.detail == {"added": ["Nurse"], "removed": [], "roles": ["Biller", "Nurse"]}
    assert event.address == "127.0.0.1"


def test_a_change_of_roles_without_a_reason_is_refused_at_the_field(
    client, admin_user, staff_biller
):
    client.force_login(admin_user)
    data = form_data(client, staff_biller)
    data.update(groups=group_ids("Nurse"))

    response = client.post(change_url(staff_biller), data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["reason"] == ["Say why the access changes."]
    assert roles(staff_biller) == {"Biller"}
    assert not AccountEvent.objects.exists()


def test_an_admin_creates_an_account_whose_password_the_holder_must_replace(client, admin_user):
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:auth_user_add"),
        {
            "username": "rn.new",
            **password_boxes("Temp-pass-4821!"),
        },
    )

    assert response.status_code == 302
    created = User.objects.get(username="rn.new")
    assert (created.is_staff, created.is_superuser, roles(created)) == (False, False, set())
    assert PasswordAssignment.objects.get(user=created).set_by == admin_user
    assert list(
        AccountEvent.objects.filter(subject=created).order_by("id").values_list("kind", "actor")
    ) == [("created", admin_user.pk), ("password_set", admin_user.pk)]


def test_an_admin_resets_a_staff_password_and_the_holder_must_replace_it(client, admin_user, nurse):
    client.force_login(admin_user)

    response = set_password(client, nurse, "Reset-pass-7310!")

    assert response.status_code == 302
    assert User.objects.get(pk=nurse.pk).check_password("Reset-pass-7310!")
    assert PasswordAssignment.objects.get(user=nurse).set_by == admin_user
    assert AccountEvent.objects.get(kind="password_set").subject == nurse


# What an administrator may never do


def test_an_admin_cannot_make_itself_superuser_or_join_clinical_roles(client, admin_user):
    """The attack of the report, on a database where the Admin role holds change_user."""
    client.force_login(admin_user)
    data = form_data(client, admin_user)
    data.update(
        is_superuser="on",
        is_staff="on",
        groups=group_ids("Admin", "Nurse", "Provider"),
        user_permissions=[str(Permission.objects.get(codename="change_group").pk)],
        reason="promotion",
    )

    response = client.post(change_url(admin_user), data)

    stored = User.objects.get(pk=admin_user.pk)
    assert response.status_code == 302  # saved what the form holds: names, not access
    assert (stored.is_superuser, stored.is_staff) == (False, True)
    assert roles(admin_user) == {"Admin"}
    assert not stored.user_permissions.exists()
    assert not AccountEvent.objects.filter(kind__in=["roles", "rights"]).exists()


def test_an_admin_sees_its_own_access_read_only(client, admin_user):
    client.force_login(admin_user)

    form = client.get(change_url(admin_user)).context["adminform"].form

    assert set(form.fields) - {"reason"} == {
        "username",
        "password",
        "first_name",
        "last_name",
        "email",
    }


@pytest.mark.parametrize("granted", [["Admin"], ["Nurse", "Admin"]])
def test_an_admin_cannot_grant_the_admin_role(client, admin_user, staff_biller, granted):
    client.force_login(admin_user)
    data = form_data(client, staff_biller)
    data.update(groups=group_ids(*granted), reason="help with the admin")

    response = client.post(change_url(staff_biller), data)

    assert response.status_code == 200
    admin_role = Group.objects.get(name="Admin").pk
    assert response.context["adminform"].form.errors["groups"] == [
        f"Select a valid choice. {admin_role} is not one of the available choices."
    ]
    assert roles(staff_biller) == {"Biller"}


def test_an_admin_cannot_set_staff_or_superuser_or_permissions_on_staff(
    client, admin_user, staff_biller
):
    client.force_login(admin_user)
    data = form_data(client, staff_biller)
    data.update(
        is_staff="on",
        is_superuser="on",
        user_permissions=[str(Permission.objects.get(codename="change_user").pk)],
        reason="more rights",
    )

    client.post(change_url(staff_biller), data)

    stored = User.objects.get(pk=staff_biller.pk)
    assert (stored.is_staff, stored.is_superuser) == (False, False)
    assert not stored.user_permissions.exists()


@pytest.mark.parametrize("persona", ["superuser", "other_admin"])
def test_an_admin_cannot_change_an_administrator_account(client, request, admin_user, persona):
    if persona == "other_admin":
        target = UserFactory(username="admin.lee", role="Admin")
        target.is_staff = True
        target.save()
    else:
        target = request.getfixturevalue("superuser")
    client.force_login(admin_user)

    page = client.get(change_url(target))
    changed = client.post(
        change_url(target),
        {"username": "taken.over", "is_active": "", "reason": "x", "groups": group_ids("Nurse")},
    )
    password = set_password(client, target, "Known-pass-1234!")

    assert page.status_code == 200  # read only
    assert "adminform" in page.context and not page.context["has_change_permission"]
    assert (changed.status_code, password.status_code) == (403, 403)
    stored = User.objects.get(pk=target.pk)
    assert (stored.username, stored.is_active) == (target.username, True)
    assert stored.check_password("correct-horse-battery")
    assert not PasswordAssignment.objects.filter(user=target).exists()


def test_an_admin_cannot_set_its_own_password_without_the_old_one(client, admin_user):
    client.force_login(admin_user)

    response = set_password(client, admin_user, "Other-pass-1234!")

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_change")
    assert User.objects.get(pk=admin_user.pk).check_password("correct-horse-battery")


def test_an_admin_cannot_create_an_administrator(client, admin_user):
    client.force_login(admin_user)

    client.post(
        reverse("admin:auth_user_add"),
        {
            "username": "admin.two",
            **password_boxes("Temp-pass-4821!"),
            "is_staff": "on",
            "is_superuser": "on",
            "groups": group_ids("Admin"),
        },
    )

    created = User.objects.get(username="admin.two")
    assert (created.is_staff, created.is_superuser, roles(created)) == (False, False, set())


@pytest.mark.parametrize("url", ["admin:auth_group_change", "admin:auth_group_delete"])
def test_an_admin_cannot_change_what_a_role_may_do(client, admin_user, url):
    nurse_role = Group.objects.get(name="Nurse")
    before = set(nurse_role.permissions.values_list("pk", flat=True))
    client.force_login(admin_user)

    response = client.post(
        reverse(url, args=[nurse_role.pk]),
        {
            "name": "Nurse",
            "permissions": [str(p.pk) for p in Permission.objects.all()],
            "post": "yes",
        },
    )

    assert response.status_code == 403
    assert set(Group.objects.get(name="Nurse").permissions.values_list("pk", flat=True)) == before


def test_a_clinical_role_and_the_admin_role_meet_only_by_a_superusers_hand(
    client, superuser, admin_user
):
    client.force_login(superuser)
    data = form_data(client, admin_user)
    data.update(groups=group_ids("Admin", "Nurse"), reason="Charge nurse covers the admin desk.")

    response = client.post(change_url(admin_user), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert roles(admin_user) == {"Admin", "Nurse"}
    event = AccountEvent.objects.get(kind="roles")
    assert (event.actor, event.detail["added"], event.reason) == (
        superuser,
        ["Nurse"],
        "Charge nurse covers the admin desk.",
    )


def test_the_account_audit_trail_is_read_only_for_admins(client, admin_user, staff_biller):
    client.force_login(admin_user)
    data = form_data(client, staff_biller)
    data.update(is_active="", reason="Left the clinic.")
    client.post(change_url(staff_biller), data)
    event = AccountEvent.objects.get(kind="active")

    listing = client.get(reverse("admin:accounts_accountevent_changelist"))
    edit = client.post(
        reverse("admin:accounts_accountevent_change", args=[event.pk]), {"reason": "rewritten"}
    )
    delete = client.post(
        reverse("admin:accounts_accountevent_delete", args=[event.pk]), {"post": "yes"}
    )

    assert listing.status_code == 200
    assert "Left the clinic." in listing.content.decode()
    assert (edit.status_code, delete.status_code) == (403, 403)
    assert AccountEvent.objects.get(pk=event.pk).reason == "Left the clinic."


# The same rules hold whatever path brings the change: the admin checks every save again.


def snapshot_with(user, **changes) -> tuple[dict, dict]:
    before = services.account_snapshot(user)
    return before, {**before, **changes}


@pytest.mark.parametrize(
    ("whose", "changes"),
    [
        ("own", {"roles": ["Admin", "Nurse"]}),
        ("own", {"is_active": False}),
        ("own", {"is_superuser": True}),
        ("staff", {"roles": ["Admin", "Biller"]}),
        ("staff", {"is_staff": True}),
        ("staff", {"is_superuser": True}),
        ("staff", {"permissions": ["auth.change_group"]}),
    ],
)
def test_the_service_refuses_what_the_admin_form_does_not_offer(
    admin_user, staff_biller, whose, changes
):
    user = admin_user if whose == "own" else staff_biller
    before, after = snapshot_with(user, **changes)

    with pytest.raises(PermissionDenied):
        services.account_changed(
            user=user, by=admin_user, before=before, after=after, reason="why", address=None
        )
    assert not AccountEvent.objects.exists()


def test_the_service_refuses_a_password_reset_of_an_administrator(admin_user, superuser):
    with pytest.raises(PermissionDenied):
        services.password_set_by_other(user=superuser, by=admin_user, address=None)
    assert not PasswordAssignment.objects.exists()


def test_a_superusers_change_to_what_a_role_may_do_is_on_record(client, superuser):
    nurse_role = Group.objects.get(name="Nurse")
    kept = [str(pk) for pk in nurse_role.permissions.values_list("pk", flat=True)]
    added = Permission.objects.get(content_type__app_label="billing", codename="view_claim")
    client.force_login(superuser)

    response = client.post(
        reverse("admin:auth_group_change", args=[nurse_role.pk]),
        {"name": "Nurse", "permissions": [*kept, str(added.pk)]},
    )

    assert response.status_code == 302
    event = AccountEvent.objects.get(kind="role_permissions")
    assert (event.actor, event.subject_username, event.detail) == (
        superuser,
        "role Nurse",
        {"added": ["billing.view_claim"], "removed": []},
    )
