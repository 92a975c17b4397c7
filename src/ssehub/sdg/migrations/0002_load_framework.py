"""Load the 17 goals, 169 targets and the indicators, titled in EN/FR/ES."""

from django.db import migrations

from ssehub.sdg.framework import load_with_apps


class Migration(migrations.Migration):
    dependencies = [("sdg", "0001_initial")]
    operations = [migrations.RunPython(load_with_apps, migrations.RunPython.noop)]
