"""The audit permission for the Admin role, and on PostgreSQL a trigger that refuses any
UPDATE of a signed encounter row, whatever path the SQL comes from."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

LOCK_FUNCTION = """
CREATE OR REPLACE FUNCTION refills_encounter_signed_lock() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'signed' THEN
        RAISE EXCEPTION 'encounter % is signed; add an addendum instead', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""
LOCK_TRIGGER = """
CREATE TRIGGER refills_encounter_signed_lock
BEFORE UPDATE ON refills_encounter
FOR EACH ROW EXECUTE FUNCTION refills_encounter_signed_lock();
"""
UNLOCK = """
DROP TRIGGER IF EXISTS refills_encounter_signed_lock ON refills_encounter;
DROP FUNCTION IF EXISTS refills_encounter_signed_lock();
"""


def grant_audit(apps, schema_editor):
    config = apps.get_app_config("refills")
    config.models_module = True
    create_permissions(config, verbosity=0, apps=apps)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permission = Permission.objects.get(content_type__app_label="refills", codename="view_audit")
    Group.objects.get(name="Admin").permissions.add(permission)


def revoke_audit(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Permission.objects.filter(content_type__app_label="refills", codename="view_audit").delete()


# SQLite rebuilds a table to alter it and drops its triggers on the way, so a trigger there
# would vanish silently; the QuerySet and save() guards cover SQLite.
def lock_signed(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(LOCK_FUNCTION, params=None)
        schema_editor.execute(LOCK_TRIGGER, params=None)


def unlock_signed(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNLOCK, params=None)


class Migration(migrations.Migration):
    dependencies = [("refills", "0004_audit_history_and_submission_token")]

    operations = [
        migrations.RunPython(grant_audit, revoke_audit),
        migrations.RunPython(lock_signed, unlock_signed),
    ]
