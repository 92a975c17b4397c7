"""``ssehub harvest add|run|status|list`` and the status page."""

from __future__ import annotations

import json
import os
import socket
from datetime import timedelta

import pytest
from django.core.management import CommandError

from ssehub.core.scheduler import DEFAULT_JOBS, run_due_harvests
from ssehub.harvest.models import Checkpoint, Run, Source

from .conftest import cli
from .servers import OAIRecord, generated


def test_add_run_status_list(oai_server, db):
    records = [*generated(4), OAIRecord(identifier="oai:untitled")]
    server = oai_server(records)
    code, out = cli("add", "--type", "oai", "--name", "repo", "--set", "sse",
                    "--interval", "6", server.url)
    assert code == 0 and "repo" in out
    source = Source.objects.get(name="repo")
    assert source.options == {"set": "sse"} and source.interval_hours == 6
    code, out = cli("run", "repo", "--json")
    assert code == 0
    result = json.loads(out)
    assert list(result) == ["source", "outcome", "seen", "created", "updated", "unchanged",
                            "deleted", "failed", "errors"]
    assert result["outcome"] == "complete" and result["created"] == 4 and result["failed"] == 1
    assert result["errors"] == [{"record": "oai:untitled", "error": "record without a title"}]
    code, out = cli("status", "repo", "--json")
    status = json.loads(out)
    assert (status["source"], status["items"], status["withdrawn"]) == ("repo", 4, 0)
    assert status["last_run"]["outcome"] == "complete" and status["last_run"]["seen"] == 5
    code, out = cli("list")
    assert out.startswith("repo\toai\t")
    code, out = cli("status")
    assert "repo: 4 items, 0 withdrawn" in out


def test_run_exits_non_zero_when_a_run_does_not_complete(oai_server, db):
    server = oai_server(generated(20), page_size=10)
    server.error[1] = "badArgument"
    cli("add", "--type", "oai", "--name", "repo", server.url)
    code, out = cli("run", "repo", "--json")
    assert code == 1 and json.loads(out)["outcome"] == "partial"
    code, out = cli("run", "repo")  # human output names the cause
    assert code == 1 and "badArgument" in out


def test_due_runs_what_is_due(oai_server, db):
    server = oai_server(generated(2))
    cli("add", "--type", "oai", "--name", "fresh", server.url)
    cli("add", "--type", "oai", "--name", "stale", server.url)
    cli("add", "--type", "oai", "--name", "off", server.url)
    Source.objects.filter(name="off").update(enabled=False)
    cli("run", "fresh", "stale")
    Run.objects.filter(source__name="stale").update(
        started_at=Run.objects.get(source__name="stale").started_at - timedelta(hours=25))
    code, out = cli("run", "--due", "--json")
    assert code == 0
    assert [json.loads(line)["source"] for line in out.splitlines()] == ["stale"]


def test_the_schedulers_job_runs_what_is_due_past_a_source_another_process_has(
        oai_server, db):
    """The job of ``ssehub run``'s scheduler (the in-process runner of ``make run``), called as
    the scheduler calls it (not through ``Scheduler.run_once``, whose closing of old connections
    would close the test's transaction on PostgreSQL; tests/core/test_scheduler.py tests it)."""
    server = oai_server(generated(3))
    cli("add", "--type", "oai", "--name", "busy", server.url)
    cli("add", "--type", "oai", "--name", "due", server.url)
    # ``busy`` is being harvested by another live process on this host (our parent).
    busy = Run.objects.create(source=Source.objects.get(name="busy"),
                              outcome=Run.Outcome.RUNNING, host=socket.gethostname(),
                              pid=os.getppid())
    Checkpoint.objects.create(source=busy.source, run=busy, cursor={})
    assert run_due_harvests in DEFAULT_JOBS

    run_due_harvests()
    run = Run.objects.get(source__name="due")
    assert (run.outcome, run.created) == (Run.Outcome.COMPLETE, 3)
    assert list(Run.objects.filter(source__name="busy")) == [busy]  # left to its process
    run_due_harvests()
    assert Run.objects.filter(source__name="due").count() == 1  # not due again yet


def test_bad_arguments(db):
    with pytest.raises(CommandError, match="no source named nope"):
        cli("run", "nope")
    with pytest.raises(CommandError, match="not an http"):
        cli("add", "--type", "oai", "--name", "x", "ftp://example.org")
    with pytest.raises(CommandError, match="not a valid name"):
        cli("add", "--type", "feed", "--name", "Bad Name!", "http://127.0.0.1/")


def test_status_page_lists_sources_and_hides_errors_from_the_public(oai_server, client,
                                                                    admin_user, db):
    server = oai_server([*generated(2), OAIRecord(identifier="oai:untitled")])
    cli("add", "--type", "oai", "--name", "repo", server.url)
    cli("run", "repo")
    page = client.get("/harvest/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "repo" in html and "record without a title" not in html
    assert '<a href="/search/?source=repo" title="Search its items">2</a>' in html
    found = client.get("/search/", {"source": "repo"}).content.decode()
    assert "2 results</h2>" in found  # the link leads to them (the untitled record failed)
    client.force_login(admin_user)
    assert "record without a title" in client.get("/harvest/").content.decode()
