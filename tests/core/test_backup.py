"""Backup and restore round-trip; a damaged archive changes nothing."""

from __future__ import annotations

import io
import tarfile
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ssehub.library import services, storage
from ssehub.library.models import Item, ItemFile

REPORT = (
    "Cooperatives and mutual societies in rural areas provide insurance, credit and markets to "
    "smallholder farmers who are otherwise excluded; this note describes three examples."
)


@pytest.fixture
def library(db, tmp_path):
    path = tmp_path / "note.txt"
    path.write_text(REPORT, encoding="utf-8")
    call_command("ingest", str(path), stdout=StringIO())
    services.create_item({"title": {"fr": "Économie sociale", "es": "Economía social"},
                          "sdgs": ["8.3"], "countries": ["FR"]})
    return Item.objects.order_by("id")


@pytest.mark.django_db
def test_round_trip_restores_items_and_files(library, tmp_path):
    archive = tmp_path / "b.tar.gz"
    call_command("backup", str(archive), stdout=StringIO())
    digest = ItemFile.objects.get().sha256
    before = [(i.uid, i.title) for i in library]

    Item.objects.all().delete()
    storage.blob_path(digest).unlink()
    call_command("restore", str(archive), "--yes", stdout=StringIO())

    assert [(i.uid, i.title) for i in Item.objects.order_by("id")] == before
    assert storage.blob_path(digest).read_bytes() == REPORT.encode()
    restored = Item.objects.get(title__has_key="fr")
    assert [c.iso2 for c in restored.countries.all()] == ["FR"]
    assert restored.sdg_links.get().target_id == "8.3"
    # The search index is rebuilt from the restored database.
    from ssehub.search.services import check

    report = check()
    assert report.ok and report.indexed == report.expected > 0, report.as_dict()


def _rewrite(src, dst, drop=None, replace=None):
    with tarfile.open(src, "r:gz") as old, tarfile.open(dst, "w:gz") as new:
        for member in old.getmembers():
            if drop and drop(member.name):
                continue
            data = old.extractfile(member).read()
            if replace and member.name in replace:
                data = replace[member.name]
            info = tarfile.TarInfo(member.name)
            info.size = len(data)
            new.addfile(info, io.BytesIO(data))


@pytest.mark.django_db
@pytest.mark.parametrize(
    "damage,message",
    [
        ({"drop": lambda name: name.startswith("files/")}, "missing"),
        ({"replace": {"data.json": b"[]"}}, "checksum"),
        ({"drop": lambda name: name == "manifest.json"}, "manifest.json"),
    ],
)
def test_damaged_archive_is_refused_and_changes_nothing(library, tmp_path, damage, message):
    good = tmp_path / "good.tar.gz"
    call_command("backup", str(good), stdout=StringIO())
    bad = tmp_path / "bad.tar.gz"
    _rewrite(good, bad, **damage)
    services.create_item({"title": {"en": "Made after the backup"}})
    count = Item.objects.count()
    with pytest.raises(CommandError) as caught:
        call_command("restore", str(bad), "--yes", stdout=StringIO())
    assert message in str(caught.value) and "nothing changed" in str(caught.value)
    assert Item.objects.count() == count


@pytest.mark.django_db
def test_not_an_archive_is_refused(tmp_path, library):
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a tarball")
    with pytest.raises(CommandError, match="not a backup archive"):
        call_command("restore", str(junk), "--yes", stdout=StringIO())
    assert Item.objects.count() == 2
