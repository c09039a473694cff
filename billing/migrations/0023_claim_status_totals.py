"""The claims' count and charge by status, kept by triggers on the claim table (see
billing.status_totals), and counted once here for the claims already there."""

from django.db import migrations, models

from billing import status_totals


def install(apps, schema_editor):
    status_totals.install(schema_editor.connection)


def uninstall(apps, schema_editor):
    status_totals.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("billing", "0022_queue_totals_index")]

    operations = [
        migrations.CreateModel(
            name="ClaimStatusTotal",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("status", models.CharField(choices=[("hold", "Hold"), ("ready", "Ready"), ("approved", "Approved"), ("exported", "Exported"), ("accepted", "Accepted"), ("rejected", "Rejected"), ("paid", "Paid"), ("partially_paid", "Partially paid"), ("denied", "Denied"), ("appealed", "Appealed"), ("corrected", "Corrected"), ("void", "Void")], editable=False, max_length=14)),
                ("slot", models.PositiveSmallIntegerField(editable=False)),
                ("claims", models.BigIntegerField(editable=False)),
                ("charge_cents", models.BigIntegerField(editable=False)),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("status", "slot"), name="claimstatustotal_status_slot", violation_error_message="A status has one row per slot.")],
            },
        ),
        migrations.RunPython(install, uninstall),
    ]
