"""Bad input from sources: every case ends in a clear error and a resumable state, never in
lost, duplicated or silently dropped records."""

from __future__ import annotations

import socket

import pytest
from django.core.exceptions import ValidationError

from ssehub.harvest import services
from ssehub.harvest.models import Checkpoint, Run, Source
from ssehub.library.models import Item

from .servers import OAIRecord, generated

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords>&xxe;</ListRecords></OAI-PMH>"""
LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords>&c;</ListRecords></OAI-PMH>"""


def test_malformed_xml_stops_at_the_checkpoint_and_the_next_run_resumes(oai_server, harvest):
    server = oai_server(generated(30), page_size=10)
    server.malformed[1] = b"<?xml version='1.0'?><OAI-PMH><ListRecords><record>"
    out = harvest("oai", "repo", server.url)
    assert out["outcome"] == "partial"
    assert (out["seen"], out["created"]) == (10, 10)
    assert "malformed XML" in out["errors"][-1]["error"]
    assert Checkpoint.objects.get().cursor["token"] == "10||"
    del server.malformed[1]
    server.requests.clear()
    out = harvest("oai", "repo", server.url)
    assert "resumptionToken=10" in server.requests[0]  # resumed, not restarted
    assert out["outcome"] == "complete"
    assert (out["seen"], out["created"]) == (30, 30)  # the same run, counted once
    assert Item.objects.count() == 30 and Run.objects.count() == 1


@pytest.mark.parametrize("body", [XXE, LAUGHS], ids=["external-entity", "entity-expansion"])
def test_entities_are_refused(oai_server, harvest, body):
    server = oai_server(generated(5))
    server.malformed[0] = body
    out = harvest("oai", "repo", server.url)
    assert out["outcome"] == "failed"
    assert "refused XML" in out["errors"][0]["error"]
    assert "root:" not in out["errors"][0]["error"] and Item.objects.count() == 0


def test_latin1_page_declared_utf8_is_repaired_with_a_warning(oai_server, harvest):
    record = OAIRecord(identifier="oai:enc:1", titles=[("fr", "Économie sociale à Genève")],
                       languages=["fr"])
    server = oai_server([record])
    good = server.answer("/oai?verb=ListRecords&metadataPrefix=oai_dc")[2]
    server.served.clear()
    server.malformed[0] = good.decode("utf-8").encode("latin-1")
    out = harvest("oai", "repo", server.url)
    assert out["outcome"] == "complete" and out["created"] == 1
    assert Item.objects.get().title == {"fr": "Économie sociale à Genève"}
    assert "not UTF-8 as declared" in out["errors"][0]["error"]


def test_declared_latin1_is_read_as_declared(oai_server, harvest):
    server = oai_server([OAIRecord(identifier="oai:enc:2", titles=[("es", "Año solidario")])])
    good = server.answer("/oai?verb=ListRecords&metadataPrefix=oai_dc")[2].decode()
    server.malformed[0] = good.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"').encode(
        "latin-1")
    out = harvest("oai", "repo", server.url)
    assert out["errors"] == [] and Item.objects.get().title == {"es": "Año solidario"}


def test_oai_error_in_the_middle_of_the_chain(oai_server, harvest):
    server = oai_server(generated(30), page_size=10)
    server.error[2] = "badResumptionToken"
    out = harvest("oai", "repo", server.url)
    assert out["outcome"] == "partial" and out["created"] == 20
    assert "OAI-PMH error badResumptionToken" in out["errors"][-1]["error"]
    # A rejected token cannot be resumed: the next attempt restarts the chain, and what is
    # already stored comes back unchanged.
    assert Checkpoint.objects.get().cursor["token"] is None
    del server.error[2]
    out = harvest("oai", "repo", server.url)
    assert out["outcome"] == "complete"
    assert Item.objects.count() == 30
    assert Item.objects.values("source_record").distinct().count() == 30


def test_repeated_resumption_token_stops_instead_of_looping(oai_server, harvest):
    server = oai_server(generated(40), page_size=10)
    server.repeat_token.add(1)
    out = harvest("oai", "repo", server.url)
    assert out["outcome"] == "partial"
    assert "repeated the resumptionToken" in out["errors"][-1]["error"]
    assert len(server.requests) == 2 and Item.objects.count() == 20


def test_empty_resumption_token_ends_the_list(oai_server, harvest):
    server = oai_server(generated(20), page_size=10)
    out = harvest("oai", "repo", server.url)
    assert out["outcome"] == "complete" and out["seen"] == 20
    assert server.answer("/oai?verb=ListRecords&resumptionToken=10||")[2].count(
        b"<resumptionToken") == 1  # present but empty on the last page


def test_503_with_retry_after_then_recovery(oai_server, harvest, monkeypatch):
    waits: list[float] = []
    monkeypatch.setattr("ssehub.harvest.http.time.sleep", waits.append)
    server = oai_server(generated(20), page_size=10)
    server.unavailable[1] = 2
    out = harvest("oai", "repo", server.url)
    assert out["outcome"] == "complete" and out["created"] == 20
    assert waits == [0.01, 0.01]  # Retry-After: 1, capped by SSEHUB_HARVEST_MAX_SLEEP


def test_503_for_too_long_stops_partial(oai_server, harvest, monkeypatch):
    monkeypatch.setattr("ssehub.harvest.http.time.sleep", lambda s: None)
    server = oai_server(generated(20), page_size=10)
    server.unavailable[1] = 99
    out = harvest("oai", "repo", server.url)
    assert out["outcome"] == "partial" and "HTTP 503" in out["errors"][-1]["error"]


def test_record_without_title_is_logged_and_skipped(oai_server, harvest):
    records = generated(3)
    records[1] = OAIRecord(identifier="oai:untitled", creators=["Someone"])
    out = harvest("oai", "repo", oai_server(records).url)
    assert out["outcome"] == "complete"
    assert (out["created"], out["failed"]) == (2, 1)
    assert out["errors"] == [{"record": "oai:untitled", "error": "record without a title"}]


def test_invalid_metadata_fails_one_record_only(oai_server, harvest):
    records = generated(3)
    records[0].titles = [("en", "x" * 50)]
    records[0].metadata_xml = "<not-dc/>"
    out = harvest("oai", "repo", oai_server(records).url)
    assert (out["created"], out["failed"]) == (2, 1)


def test_private_address_is_refused_unless_allow_listed(oai_server, harvest, settings,
                                                        monkeypatch):
    server = oai_server(generated(2))
    settings.SSEHUB_URL_ALLOWLIST = []
    attempts = []
    real = socket.socket.connect
    monkeypatch.setattr(socket.socket, "connect",
                        lambda self, addr: attempts.append(addr) or real(self, addr))
    # Refused when the source is added...
    with pytest.raises(ValidationError, match="refused: 127.0.0.1 resolves to the non-public"):
        services.add_source("oai", "private", server.url)
    assert not Source.objects.exists()
    # ... and when it is run, for a source stored before the allow-list lost its address.
    Source.objects.create(name="private", kind="oai", url=server.url)
    out = harvest("oai", "private", server.url)
    assert out["outcome"] == "failed"
    assert "refused: 127.0.0.1 resolves to the non-public address" in out["errors"][0]["error"]
    assert attempts == [] and server.requests == []
    settings.SSEHUB_URL_ALLOWLIST = ["127.0.0.1"]
    assert harvest("oai", "private", server.url)["outcome"] == "complete"
