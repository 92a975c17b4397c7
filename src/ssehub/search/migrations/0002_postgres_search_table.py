"""The PostgreSQL backend's table (tsvector + GIN, facet columns), on PostgreSQL only.

SQLite deployments use the tantivy index and never need it; keeping it out of the model layer
lets it use PostgreSQL types (tsvector, arrays) without a second model definition.
"""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from ssehub.search.backends.postgres import CREATE_SQL

    for statement in CREATE_SQL:
        schema_editor.execute(statement)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP TABLE IF EXISTS search_document")


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
