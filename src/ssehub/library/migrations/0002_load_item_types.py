"""Load the controlled list of item types (EN/FR/ES labels) from library/data/item_types.csv."""

import csv
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "item_types.csv"


def load(apps, schema_editor):
    item_type = apps.get_model("library", "ItemType")
    with DATA.open(encoding="utf-8", newline="") as handle:
        for position, row in enumerate(csv.DictReader(handle)):
            item_type.objects.update_or_create(
                slug=row["slug"],
                defaults={"label": {k: row[k] for k in ("en", "fr", "es")}, "position": position},
            )


class Migration(migrations.Migration):
    dependencies = [("library", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
