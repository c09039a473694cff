"""The totals' triggers again (billing.status_totals): on PostgreSQL a transaction now adds to
a row of the status that no other transaction holds, instead of to its connection's slot, and
so never waits for another's totals. The claims are counted afresh."""

from django.db import migrations

from billing import status_totals


def install(apps, schema_editor):
    status_totals.install(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("billing", "0024_queue_status_payer_index")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
