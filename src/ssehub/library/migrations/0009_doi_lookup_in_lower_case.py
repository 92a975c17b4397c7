"""The ``doi`` lookup column in lower case.

DOIs are case-insensitive. Ingestion used to find an item by DOI with ``doi__iexact``, which
neither SQLite (``LIKE``) nor PostgreSQL (``UPPER(doi) = UPPER(...)``) answers from the
index on ``doi``: every harvested record with a DOI scanned the whole item table. The column
now holds the lower case (the DOI as given stays in ``identifiers``) and lookups match it
exactly, through the index.
"""

from django.db import migrations
from django.db.models.functions import Lower


def lower_dois(apps, schema_editor):
    Item = apps.get_model("library", "Item")
    Item.objects.exclude(doi="").update(doi=Lower("doi"))


class Migration(migrations.Migration):
    dependencies = [("library", "0008_recompute_minhash_signatures")]

    operations = [migrations.RunPython(lower_dois, migrations.RunPython.noop)]
