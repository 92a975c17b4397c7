"""Index Item on (updated_at, id): the OAI-PMH provider pages by this cursor, so a page deep in
a million records is an index seek, not a scan (interop/oai)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("library", "0004_sdg_link_status_and_rejection")]

    operations = [
        migrations.AddIndex(
            model_name="item",
            index=models.Index(fields=["updated_at", "id"], name="item_oai_cursor"),
        ),
    ]
