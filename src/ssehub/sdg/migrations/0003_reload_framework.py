"""Re-apply the framework data files (idempotent) after corrections to their texts."""

from django.db import migrations

from ssehub.sdg.framework import load_with_apps


class Migration(migrations.Migration):
    dependencies = [("sdg", "0002_load_framework")]
    operations = [migrations.RunPython(load_with_apps, migrations.RunPython.noop)]
