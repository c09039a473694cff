"""The roles' rights over accounts are the same on every migration path.

A database whose auth permissions existed before the roles migration ran (one made before
the roles) and a fresh one, where they are created only after every migration, used to
differ: the first gave the Admin role add/change user, the second no user rights at all."""

from __future__ import annotations

import pytest
from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

# What each role may do with accounts, roles, lockouts and their audit trail.
EXPECTED = {
    "Admin": {
        "accounts.release_signinlockout",
        "accounts.view_accountevent",
        "accounts.view_signinlockout",
        "auth.add_user",
        "auth.change_user",
        "auth.view_group",
        "auth.view_user",
    },
    "Biller": set(),
    "Nurse": set(),
    "Provider": set(),
}
ACCOUNT_APPS = ("auth", "axes", "accounts")


def account_rights() -> dict[str, set[str]]:
    return {
        group.name: {
            f"{p.content_type.app_label}.{p.codename}"
            for p in group.permissions.select_related("content_type")
            if p.content_type.app_label in ACCOUNT_APPS
        }
        for group in Group.objects.all()
    }


@pytest.mark.django_db
def test_a_fresh_database_gives_the_roles_their_defined_account_rights():
    # The test database is made by running every migration on an empty database.
    assert account_rights() == EXPECTED


def migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def leaves():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


# serialized_rollback: the flush that ends a transactional test would take the role groups
# (made by data migrations) with it. The other path, auth permissions created only after every
# migration, is the fresh database's (the test above): walking the graph back and forth for it
# again cost half a minute of CPU and checked nothing more.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.migration_paths
def test_a_database_made_before_the_roles_gives_them_the_same_account_rights():
    migrate([("refills", "0001_initial")])  # before the roles: no groups yet
    assert not Group.objects.exists()
    create_permissions(global_apps.get_app_config("auth"), verbosity=0)
    assert Permission.objects.filter(content_type__app_label="auth", codename="add_user").exists()

    migrate(leaves())

    assert account_rights() == EXPECTED
