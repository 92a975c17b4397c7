"""The ``ssehub`` command line: help, ingest's JSON lines and exit status, export, createadmin."""

from __future__ import annotations

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from ssehub.library.models import Item

SSEHUB = [sys.executable, "-m", "ssehub.cli"]
COMMANDS = ["run", "demo", "ingest", "export", "backup", "restore", "createadmin", "role",
            "search", "reindex", "harvest", "survey", "apitoken", "sdg"]


def _text(path: Path, body: str) -> Path:
    path.write_text(body, encoding="utf-8")
    return path


REPORT = (
    "# Social and solidarity economy and decent work\n\n"
    "Worker cooperatives in many countries create stable employment and share the value they "
    "produce among their members. This report looks at how local governments support them."
)


def test_top_level_help_lists_the_hub_commands():
    out = subprocess.run([*SSEHUB, "--help"], capture_output=True, text=True, check=True).stdout
    for name in COMMANDS:
        assert f"  {name} " in out


@pytest.mark.parametrize("name", COMMANDS)
def test_every_subcommand_has_help(name, tmp_path):
    result = subprocess.run(
        [*SSEHUB, name, "--help"], capture_output=True, text=True,
        env={"SSEHUB_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert "usage: ssehub " + name in result.stdout


@pytest.mark.django_db
def test_ingest_json_lines_and_exit_status(tmp_path):
    good = _text(tmp_path / "report.md", REPORT)
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    out = StringIO()
    with pytest.raises(SystemExit) as stopped:
        call_command("ingest", str(good), str(empty), str(tmp_path / "missing.pdf"), "--json",
                     stdout=out)
    assert stopped.value.code == 1
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["status"] for line in lines] == ["created", "failed", "failed"]
    assert lines[0]["input"] == str(good) and lines[0]["id"] == Item.objects.get().pk
    assert "empty" in lines[1]["reason"]
    assert "not found" in lines[2]["reason"]
    assert set(lines[0]) >= {"input", "id", "status"}


@pytest.mark.django_db
def test_reingest_says_unchanged_and_exits_zero(tmp_path):
    good = _text(tmp_path / "report.md", REPORT)
    call_command("ingest", str(good), "--json", stdout=StringIO())
    out = StringIO()
    call_command("ingest", str(good), "--json", stdout=out)
    assert json.loads(out.getvalue())["status"] == "unchanged"
    assert Item.objects.count() == 1


@pytest.mark.django_db
def test_ingest_options_set_status_organisation_and_type(tmp_path, org):
    good = _text(tmp_path / "report.md", REPORT)
    call_command("ingest", str(good), "--status", "draft", "--organisation", "ILO",
                 "--type", "case-study", stdout=StringIO())
    item = Item.objects.get()
    assert (item.status, item.organisation, item.item_type_id) == ("draft", org, "case-study")
    assert item.provenance == "cli"


@pytest.mark.django_db
def test_ingest_as_a_user_applies_their_permissions(tmp_path, plain_user):
    good = _text(tmp_path / "report.md", REPORT)
    out = StringIO()
    with pytest.raises(SystemExit):
        call_command("ingest", str(good), "--as-user", plain_user.username, "--json",
                     "--organisation", "ilo", stdout=out)
    assert "permission denied" in json.loads(out.getvalue())["reason"]
    assert Item.objects.count() == 0


@pytest.mark.django_db
def test_export_json_and_csv(tmp_path):
    good = _text(tmp_path / "report.md", REPORT)
    call_command("ingest", str(good), stdout=StringIO())
    out = StringIO()
    call_command("export", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["title"]["en"].startswith("Social and solidarity economy")
    assert data["files"][0]["filename"] == "report.md"
    out = StringIO()
    call_command("export", stdout=out)
    header, row = out.getvalue().splitlines()[:2]
    assert header.startswith("id,uid,type,status,title")
    assert "Social and solidarity economy" in row


@pytest.mark.django_db
def test_createadmin_uses_the_environment_password(monkeypatch):
    monkeypatch.setenv("SSEHUB_ADMIN_PASSWORD", "a-long-chosen-passphrase")
    out = StringIO()
    call_command("createadmin", stdout=out)
    user = get_user_model().objects.get(username="admin")
    assert user.is_superuser and user.check_password("a-long-chosen-passphrase")
    assert "a-long-chosen-passphrase" not in out.getvalue()


@pytest.mark.django_db
def test_createadmin_generates_a_password_once(monkeypatch):
    monkeypatch.delenv("SSEHUB_ADMIN_PASSWORD", raising=False)
    out = StringIO()
    call_command("createadmin", stdout=out)
    password = out.getvalue().split("password: ")[1].split()[0]
    assert get_user_model().objects.get(username="admin").check_password(password)
    again = StringIO()
    call_command("createadmin", stdout=again)
    assert "password" not in again.getvalue()
    assert get_user_model().objects.filter(is_superuser=True).count() == 1


@pytest.mark.django_db
def test_role_makes_editors_and_contributors(plain_user, org):
    from ssehub.core.roles import is_editor, organisation_ids

    call_command("role", plain_user.username, "--editor", "--organisation", "ILO",
                 stdout=StringIO())
    plain_user.refresh_from_db()
    assert is_editor(plain_user) and plain_user.is_staff
    assert organisation_ids(plain_user) == {org.pk}
    call_command("role", plain_user.username, "--editor", "--remove", stdout=StringIO())
    plain_user.refresh_from_db()
    assert not is_editor(plain_user) and not plain_user.is_staff


@pytest.mark.django_db
def test_role_refuses_unknown_names(plain_user):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="unknown organisation"):
        call_command("role", plain_user.username, "--organisation", "nope", stdout=StringIO())
    with pytest.raises(CommandError, match="no user"):
        call_command("role", "ghost", "--editor", stdout=StringIO())
