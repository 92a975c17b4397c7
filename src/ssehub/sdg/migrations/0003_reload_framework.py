"""Re-apply the framework data files (idempotent) after corrections to their texts."""

from django.db import migrations


def load(apps, schema_editor):
    from ssehub.sdg import framework

    framework.load(
        apps.get_model("sdg", "Goal"),
        apps.get_model("sdg", "Target"),
        apps.get_model("sdg", "Indicator"),
    )


class Migration(migrations.Migration):
    dependencies = [("sdg", "0002_load_framework")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
