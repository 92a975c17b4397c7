"""Load the 17 goals, 169 targets and the indicators, titled in EN/FR/ES."""

from django.db import migrations


def load(apps, schema_editor):
    from ssehub.sdg import framework

    framework.load(
        apps.get_model("sdg", "Goal"),
        apps.get_model("sdg", "Target"),
        apps.get_model("sdg", "Indicator"),
    )


class Migration(migrations.Migration):
    dependencies = [("sdg", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
