"""Recompute every stored MinHash signature and its LSH bands with the hub's own MinHash.

Signatures used to come from datasketch's ``MinHash``, whose default permutation scheme
depends on the installed version; ``ssehub.library.ingest.dedup`` now computes them itself
(see its docstring). Old and new signatures cannot be compared, so near-duplicates of files
stored before this migration would no longer be found without it. It reads each file's
extracted text, which every file with a signature has; files without one are left alone.
"""

from django.db import migrations

BATCH = 500


def recompute(apps, schema_editor):
    # The live module, on purpose: the signatures must be those the ingest pipeline computes
    # now. If that computation ever changes again, a new migration like this one follows it.
    from ssehub.library.ingest import dedup

    ItemFile = apps.get_model("library", "ItemFile")
    TextBand = apps.get_model("library", "TextBand")
    files = ItemFile.objects.filter(minhash__isnull=False).only("id", "text").order_by("id")
    last = 0
    while chunk := list(files.filter(id__gt=last)[:BATCH]):
        last = chunk[-1].id
        TextBand.objects.filter(file_id__in=[f.id for f in chunk]).delete()
        bands = []
        for file in chunk:
            sig = dedup.signature(file.text)
            file.minhash = dedup.to_bytes(sig) if sig is not None else None
            if sig is not None:
                bands += [TextBand(file_id=file.id, band=band, hash=value)
                          for band, value in dedup.bands(sig)]
        ItemFile.objects.bulk_update(chunk, ["minhash"])
        TextBand.objects.bulk_create(bands)


class Migration(migrations.Migration):
    dependencies = [("library", "0007_item_url_and_source_record_indexes")]

    operations = [migrations.RunPython(recompute, migrations.RunPython.noop)]
