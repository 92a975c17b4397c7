"""Checking a source: its first records read as a run would, nothing stored (command and
back office), against loopback servers."""

from __future__ import annotations

import io
import json
import time

import pytest
from django.core.management import CommandError, call_command

from ssehub.harvest import preview, services
from ssehub.harvest.models import Checkpoint, RecordState, Run, Source
from ssehub.library.models import Item

from .conftest import post_action
from .servers import OAIRecord, generated

pytestmark = pytest.mark.django_db


def check(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("harvest", "check", *args, stdout=out)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue()
    return 0, out.getvalue()


def nothing_stored() -> bool:
    return not (Item.objects.exists() or Run.objects.exists() or RecordState.objects.exists()
                or Checkpoint.objects.exists())


def test_the_first_records_are_read_and_validated_and_nothing_is_stored(oai_server):
    records = generated(30)
    records[1] = OAIRecord(identifier="oai:untitled")
    records[2] = OAIRecord(identifier="oai:gone", deleted=True)
    server = oai_server(records, page_size=25)
    source = services.add_source("oai", "repo", server.url, options={"set": "sse"})
    source.state = {"datestamp": "2030-01-01"}  # a check reads from the start, as --full
    source.save()

    out = preview.check(source, records=5)
    assert (out.ok, out.records, out.total, out.valid, out.deleted, out.failed) == (
        True, 5, 30, 3, 1, 1)
    assert out.errors == [{"record": "oai:untitled", "error": "record without a title"}]
    assert [s["record"] for s in out.sample] == ["oai:test:0", "oai:test:3", "oai:test:4"]
    assert out.sample[0]["title"] and out.sample[0]["languages"]
    assert "set=sse" in server.requests[0] and "from=" not in server.requests[0]
    assert nothing_stored()

    code, text = check("repo", "--records", "5")
    assert code == 1  # a record would fail
    assert "repo: 5 records read of 30: 3 valid, 1 deleted, 1 would fail" in text
    assert "oai:untitled: record without a title" in text
    code, text = check("repo", "--records", "1", "--json")
    assert code == 0
    assert json.loads(text)["valid"] == 1
    assert nothing_stored()


def test_a_source_that_cannot_be_read_says_why(oai_server):
    server = oai_server(generated(3))
    server.error[0] = "cannotDisseminateFormat"
    services.add_source("oai", "repo", server.url)
    code, text = check("repo", "--json")
    out = json.loads(text)
    assert code == 1 and out["ok"] is False
    assert "OAI-PMH error cannotDisseminateFormat" in out["error"]
    assert nothing_stored()


def test_a_mapping_that_misses_the_title_is_caught_before_a_run(tmp_path):
    data = tmp_path / "initiatives.csv"
    data.write_text("Ref,Nom,Lien\n1,Coopérative A,https://a.example\n2,Mutuelle B,"
                    "https://b.example\n", encoding="utf-8")
    source = services.add_source("tabular", "sheet", str(data),
                                 options={"id": "Ref", "mapping": {"title": "Name"}})
    out = preview.check(source)
    assert (out.valid, out.failed) == (0, 2)
    source.options = {"id": "Ref", "mapping": {"title": "Nom", "url": "Lien"}}
    source.save()
    out = preview.check(source)
    assert (out.valid, out.failed) == (2, 0)
    assert [s["title"] for s in out.sample] == ["Coopérative A", "Mutuelle B"]
    assert nothing_stored()


def test_bad_arguments():
    with pytest.raises(CommandError, match="no source named nope"):
        check("nope")
    services.add_source("oai", "repo", "http://127.0.0.1:9/oai")
    with pytest.raises(CommandError, match="--records must be at least 1"):
        check("repo", "--records", "0")


def test_editors_check_sources_in_the_back_office(oai_server, staff_editor, client):
    good = services.add_source("oai", "good", oai_server(generated(12)).url)
    broken = oai_server(generated(1))
    broken.malformed[0] = b"<OAI-PMH><unclosed></OAI-PMH>"
    bad = services.add_source("oai", "broken", broken.url)
    client.force_login(staff_editor)
    html = post_action(client, "check_sources", good, bad)
    assert "Checked good: 10 records read, 10 valid, 0 would fail. First: " in html
    assert "Cannot read broken: the first page: malformed XML" in html
    assert nothing_stored()
    assert Source.objects.count() == 2


def test_a_busy_server_is_reported_at_once_not_waited_for(oai_server, settings):
    settings.SSEHUB_HARVEST_MAX_SLEEP = 30  # a run would sleep through the Retry-After
    server = oai_server(generated(3))
    server.unavailable[0] = 1  # one 503 with Retry-After: 1
    source = services.add_source("oai", "repo", server.url)
    started = time.monotonic()
    out = preview.check(source)
    assert not out.ok and "503" in out.error
    assert time.monotonic() - started < 1  # no retry, no sleep
    assert len(server.requests) == 1
    out = preview.check(source)  # the server has recovered
    assert out.ok and out.valid == 3
