"""Billing permissions for the role groups created by refills."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLE_PERMISSIONS = {
    "Biller": [
        "view_claim",
        "approve_claim",
        "export_claim",
        "view_claimexport",
        "view_payer",
        "view_coverage",
        "view_chargemasteritem",
        "view_feescheduleentry",
    ],
    "Admin": [
        "view_claim",
        "approve_claim",
        "export_claim",
        "view_claimexport",
        "view_payer",
        "add_payer",
        "change_payer",
        "view_coverage",
        "add_coverage",
        "change_coverage",
        "delete_coverage",
        "view_chargemasteritem",
        "add_chargemasteritem",
        "change_chargemasteritem",
        "view_feescheduleentry",
        "add_feescheduleentry",
        "change_feescheduleentry",
        "delete_feescheduleentry",
        "view_practicesettings",
        "add_practicesettings",
        "change_practicesettings",
    ],
}


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations; the groups need them now.
    config = apps.get_app_config("billing")
    config.models_module = True
    create_permissions(config, verbosity=0, apps=apps)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=role)
        perms = Permission.objects.filter(content_type__app_label="billing", codename__in=codenames)
        if perms.count() != len(codenames):
            raise RuntimeError(f"missing billing permissions for {role}")
        group.permissions.add(*perms)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in ROLE_PERMISSIONS.items():
        group = Group.objects.filter(name=role).first()
        if group:
            group.permissions.remove(
                *Permission.objects.filter(
                    content_type__app_label="billing", codename__in=codenames
                )
            )


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial"), ("refills", "0002_roles")]

    operations = [migrations.RunPython(grant, revoke)]
