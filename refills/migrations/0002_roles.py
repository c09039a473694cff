"""The four roles as groups, each with the refills permissions it needs and no more."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLE_PERMISSIONS = {
    "Nurse": [
        "view_patient",
        "add_patient",
        "change_patient",
        "view_encounter",
        "add_encounter",
        "change_encounter",
        "verify_encounter",
        "sign_encounter",
        "add_encounter_addendum",
        "view_addendum",
        "view_providervisit",
    ],
    "Provider": [
        "view_patient",
        "view_encounter",
        "verify_encounter",
        "view_addendum",
        "add_providervisit",
        "view_providervisit",
    ],
    "Biller": ["view_patient", "view_encounter", "view_addendum", "view_providervisit"],
    "Admin": [
        "view_patient",
        "view_encounter",
        "view_addendum",
        "view_providervisit",
        "view_clinicianprofile",
        "add_clinicianprofile",
        "change_clinicianprofile",
    ],
}


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; the groups need them now.
    config = apps.get_app_config("refills")
    config.models_module = True
    create_permissions(config, verbosity=0, apps=apps)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        perms = Permission.objects.filter(content_type__app_label="refills", codename__in=codenames)
        if perms.count() != len(codenames):
            raise RuntimeError(f"missing refills permissions for {role}")
        group.permissions.add(*perms)
    admin = Group.objects.get(name="Admin")
    admin.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="auth",
            codename__in=["view_user", "add_user", "change_user", "view_group"],
        )
    )


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("refills", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
