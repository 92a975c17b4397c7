"""Load the controlled list of item types (EN/FR/ES labels) from library/data/item_types.csv."""

from django.db import migrations


def load(apps, schema_editor):
    from ssehub.library.reference import load_item_types

    load_item_types(apps.get_model("library", "ItemType"))


class Migration(migrations.Migration):
    dependencies = [("library", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
