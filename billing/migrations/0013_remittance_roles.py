"""Billers and Admins import 999, 277CA and 835 files and read what they posted."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLE_PERMISSIONS = {
    "Biller": ["view_x12import", "add_x12import", "view_claimpayment"],
    "Admin": ["view_x12import", "add_x12import", "view_claimpayment"],
}


def grant(apps, schema_editor):
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
    dependencies = [("billing", "0012_remittance")]

    operations = [migrations.RunPython(grant, revoke)]
