"""Where a source may point, checked when it is configured (``ssehub harvest add`` and the
admin), not only when it runs: private addresses refused unless allow-listed, local files
stored as absolute paths, and from the admin only inside ``SSEHUB_HARVEST_FILE_DIRS``."""

from __future__ import annotations

import pytest
from django.core.management import CommandError

from ssehub.harvest.models import Source

from .test_cli import cli

pytestmark = pytest.mark.django_db

CSV = "Ref,Title\nr1,Housing cooperatives in Quito\nr2,Community land trusts\n"
ADD = "/admin/harvest/source/add/"


def _form(**fields: str) -> dict[str, str]:
    return {"name": "src", "kind": "tabular", "url": "", "options": "{}",
            "interval_hours": "24", "enabled": "on", "item_status": "published", **fields}


def test_the_command_refuses_a_private_address_before_storing_anything(settings):
    settings.SSEHUB_URL_ALLOWLIST = []
    with pytest.raises(CommandError, match="refused: 10.1.2.3 resolves to the non-public"):
        cli("add", "--type", "oai", "--name", "intranet", "http://10.1.2.3/oai")
    assert not Source.objects.exists()
    settings.SSEHUB_URL_ALLOWLIST = ["10.0.0.0/8"]
    cli("add", "--type", "oai", "--name", "intranet", "http://10.1.2.3/oai")
    assert Source.objects.get().url == "http://10.1.2.3/oai"


def test_a_host_that_does_not_resolve_now_is_accepted():
    # ".invalid" never resolves (RFC 2606): the network may be down when a source is added.
    cli("add", "--type", "feed", "--name", "later", "https://news.example.invalid/feed")
    assert Source.objects.get().url == "https://news.example.invalid/feed"


def test_a_local_file_is_stored_as_an_absolute_path_and_found_from_anywhere(
        tmp_path, monkeypatch, harvest):
    (tmp_path / "initiatives.csv").write_text(CSV)
    monkeypatch.chdir(tmp_path)
    cli("add", "--type", "tabular", "--name", "initiatives", "initiatives.csv",
        "-o", "id=Ref", "-o", 'mapping={"title": "Title"}')
    assert Source.objects.get().url == str(tmp_path / "initiatives.csv")
    monkeypatch.chdir(tmp_path.parent)  # cron runs it from elsewhere
    assert harvest("tabular", "initiatives", "")["created"] == 2


def test_a_missing_local_file_is_refused(tmp_path):
    with pytest.raises(CommandError, match="there is no file at .*nowhere.csv"):
        cli("add", "--type", "tabular", "--name", "x", str(tmp_path / "nowhere.csv"))
    with pytest.raises(CommandError, match="not an http"):
        cli("add", "--type", "oai", "--name", "x", str(tmp_path))
    assert not Source.objects.exists()


def test_the_admin_takes_local_files_only_from_the_configured_folders(
        admin_client, tmp_path, settings):
    inside, outside = tmp_path / "imports", tmp_path / "elsewhere"
    inside.mkdir()
    outside.mkdir()
    (inside / "a.csv").write_text(CSV)
    (outside / "b.csv").write_text(CSV)
    settings.SSEHUB_HARVEST_FILE_DIRS = []
    page = admin_client.post(ADD, _form(url=str(inside / "a.csv")))
    assert page.status_code == 200 and "inside SSEHUB_HARVEST_FILE_DIRS (none is set)" in (
        page.content.decode())
    settings.SSEHUB_HARVEST_FILE_DIRS = [str(inside)]
    for path in (outside / "b.csv", inside / ".." / "elsewhere" / "b.csv"):
        page = admin_client.post(ADD, _form(url=str(path)))
        assert "inside SSEHUB_HARVEST_FILE_DIRS" in page.content.decode()
    assert not Source.objects.exists()
    page = admin_client.post(ADD, _form(url=str(inside / "a.csv")))
    assert page.status_code == 302
    assert Source.objects.get().url == str(inside / "a.csv")


def test_the_admin_refuses_a_private_address(admin_client, settings):
    settings.SSEHUB_URL_ALLOWLIST = []
    page = admin_client.post(ADD, _form(kind="oai", url="http://127.0.0.1:8000/oai"))
    assert "refused: 127.0.0.1 resolves to the non-public address" in page.content.decode()
    assert not Source.objects.exists()


def test_the_admin_edits_a_source_the_command_pointed_at_a_local_file(
        admin_client, tmp_path, settings):
    settings.SSEHUB_HARVEST_FILE_DIRS = []
    (tmp_path / "a.csv").write_text(CSV)
    cli("add", "--type", "tabular", "--name", "src", str(tmp_path / "a.csv"))
    source = Source.objects.get()
    change = f"/admin/harvest/source/{source.pk}/change/"
    page = admin_client.post(change, _form(url=source.url, interval_hours="6"))
    assert page.status_code == 302
    source.refresh_from_db()
    assert source.interval_hours == 6 and source.url == str(tmp_path / "a.csv")
    # Pointing it at another local file is the admin's to check.
    (tmp_path / "b.csv").write_text(CSV)
    page = admin_client.post(change, _form(url=str(tmp_path / "b.csv")))
    assert "inside SSEHUB_HARVEST_FILE_DIRS" in page.content.decode()
    source.refresh_from_db()
    assert source.url == str(tmp_path / "a.csv")


def test_the_refusals_are_said_in_the_users_language(tmp_path, settings):
    from django.core.exceptions import ValidationError
    from django.utils import translation

    from ssehub.harvest import services

    settings.SSEHUB_HARVEST_FILE_DIRS = []
    for lang, words in (("fr", "ne peut être moissonné que dans"), ("es", "solo se puede")):
        with translation.override(lang), pytest.raises(ValidationError, match=words):
            services.check_location("tabular", str(tmp_path / "a.csv"), any_file=False)
