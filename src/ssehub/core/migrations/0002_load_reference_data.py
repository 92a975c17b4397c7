"""Load M49 regions, ISO 3166 countries and the Task Force's members and observers."""

from django.db import migrations


def load(apps, schema_editor):
    from ssehub.core import reference

    reference.load_regions(apps.get_model("core", "Region"))
    reference.load_countries(apps.get_model("core", "Country"))
    reference.load_organisations(apps.get_model("core", "Organisation"))


def create_editors_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name="Editors")


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [
        migrations.RunPython(load, migrations.RunPython.noop),
        migrations.RunPython(create_editors_group, migrations.RunPython.noop),
    ]
