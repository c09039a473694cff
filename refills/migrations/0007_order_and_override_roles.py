"""Orders are written by providers and read by every role; only providers override a refill's
weight or lab limits; administrators keep the clinic settings."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLE_PERMISSIONS = {
    "Nurse": ["view_order", "view_provideroverride"],
    "Provider": [
        "view_order",
        "add_order",
        "change_order",
        "override_encounter",
        "view_provideroverride",
    ],
    "Biller": ["view_order"],
    "Admin": ["view_order", "view_clinicsettings", "add_clinicsettings", "change_clinicsettings"],
}


def grant(apps, schema_editor):
    config = apps.get_app_config("refills")
    config.models_module = True
    create_permissions(config, verbosity=0, apps=apps)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in ROLE_PERMISSIONS.items():
        perms = Permission.objects.filter(content_type__app_label="refills", codename__in=codenames)
        if perms.count() != len(codenames):
            raise RuntimeError(f"missing refills permissions for {role}")
        Group.objects.get(name=role).permissions.add(*perms)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in ROLE_PERMISSIONS.items():
        perms = Permission.objects.filter(content_type__app_label="refills", codename__in=codenames)
        for group in Group.objects.filter(name=role):
            group.permissions.remove(*perms)


class Migration(migrations.Migration):
    dependencies = [("refills", "0006_orders_overrides_and_patient_safety_fields")]

    operations = [migrations.RunPython(grant, revoke)]
