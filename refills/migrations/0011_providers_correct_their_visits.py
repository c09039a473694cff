"""Providers correct and withdraw the visits they recorded (the services allow only their own,
until the day's claim is exported)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CODENAMES = ["change_providervisit", "delete_providervisit"]


def grant(apps, schema_editor):
    config = apps.get_app_config("refills")
    config.models_module = True
    create_permissions(config, verbosity=0, apps=apps)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = Permission.objects.filter(content_type__app_label="refills", codename__in=CODENAMES)
    if perms.count() != len(CODENAMES):
        raise RuntimeError("missing refills permissions for Provider")
    Group.objects.get(name="Provider").permissions.add(*perms)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perms = Permission.objects.filter(content_type__app_label="refills", codename__in=CODENAMES)
    for group in Group.objects.filter(name="Provider"):
        group.permissions.remove(*perms)


class Migration(migrations.Migration):
    dependencies = [("refills", "0010_form_drafts")]

    operations = [migrations.RunPython(grant, revoke)]
