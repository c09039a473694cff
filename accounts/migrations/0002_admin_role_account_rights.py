"""What the roles may do with accounts, the same on every database.

refills 0002 gave the Admin role add/change user only where the auth permissions already
existed when it ran (a database made before the roles); on a fresh database it gave none.
This sets one outcome on both paths: the Admin role may view, add and change accounts (the
admin limits which accounts and fields: accounts.admin), view the roles, view and release
sign-in lockouts and read the account audit trail, and nothing else of auth, axes or
accounts. No other role holds any of those."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ADMIN_RIGHTS = {
    "auth": ["view_user", "add_user", "change_user", "view_group"],
    "accounts": ["view_accountevent", "view_signinlockout", "release_signinlockout"],
}
APPS = ["auth", "axes", "accounts"]
ROLES = ["Nurse", "Provider", "Biller", "Admin"]


def define(apps, schema_editor):
    # Permissions are normally created after all migrations; the roles need them now.
    for label in ADMIN_RIGHTS:
        config = apps.get_app_config(label)
        config.models_module = True
        create_permissions(config, verbosity=0, apps=apps)
        config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    wanted = []
    for label, codenames in ADMIN_RIGHTS.items():
        found = list(
            Permission.objects.filter(content_type__app_label=label, codename__in=codenames)
        )
        if len(found) != len(codenames):
            raise RuntimeError(f"missing {label} permissions for the Admin role")
        wanted += found
    for group in Group.objects.filter(name__in=ROLES):
        group.permissions.remove(
            *group.permissions.filter(content_type__app_label__in=APPS).exclude(
                pk__in=[p.pk for p in wanted] if group.name == "Admin" else []
            )
        )
        if group.name == "Admin":
            group.permissions.add(*wanted)


def undefine(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    admin = Group.objects.filter(name="Admin").first()
    if admin is not None:
        admin.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="accounts", codename__in=ADMIN_RIGHTS["accounts"]
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_account_events_and_assigned_passwords"),
        ("refills", "0005_audit_role_and_signed_lock"),
        ("billing", "0002_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(define, undefine)]
