"""Add the Task Force itself as an organisation (its brief reports are attributed to it)."""

from django.db import migrations


def load(apps, schema_editor):
    from ssehub.core import reference

    reference.load_task_force(apps.get_model("core", "Organisation"))


class Migration(migrations.Migration):
    dependencies = [("core", "0002_load_reference_data")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
