"""A source changed in what it reads (type, URL, options) is harvested again from the start:
not from the old configuration's last datestamp, not resuming the old endpoint's token, and
every record mapped anew; refused while a run is going on."""

from __future__ import annotations

import json
import socket
import subprocess

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError

from ssehub.harvest import services
from ssehub.harvest.models import Checkpoint, Run, Source
from ssehub.harvest.runner import run_source
from ssehub.library.models import Item

from .conftest import cli
from .servers import generated

CHANGELIST = "/admin/harvest/source/"


def status(name: str) -> dict:
    return json.loads(cli("status", name, "--json")[1])


@pytest.fixture
def moved(oai_server, db):
    """``repo`` harvested from one endpoint (records of June 2024), and another endpoint
    whose records are older (2023): the repository moved, or another set was chosen."""
    first = oai_server(generated(6, datestamp="2024-06-01"))
    assert cli("add", "--type", "oai", "--name", "repo", first.url)[0] == 0
    assert cli("run", "repo")[0] == 0
    assert Source.objects.get(name="repo").state == {"datestamp": "2024-06-01"}
    second = oai_server(generated(5, prefix="oai:other:", start=100, datestamp="2023-01-01"))
    return first, second


def test_a_source_pointed_elsewhere_is_harvested_from_the_start(moved):
    _first, second = moved
    code, out = cli("add", "--type", "oai", "--name", "repo", second.url)
    assert (code, out.splitlines()[1]) == (0, "  full run requested (it reads something else "
                                              "now): the next 'harvest run --due' (or the "
                                              "scheduler) does it")
    assert status("repo")["requested"] == "full"
    code, out = cli("run", "--due", "--json")
    assert code == 0, out
    result = json.loads(out)
    # Asked from=2024-06-01 (the old endpoint's last datestamp), the new one had nothing.
    assert (result["outcome"], result["created"]) == ("complete", 5)
    assert "from=" not in second.requests[0]
    assert Item.objects.filter(source_record__startswith="oai:other:").count() == 5
    assert status("repo")["requested"] is None
    assert Source.objects.get(name="repo").state == {"datestamp": "2023-01-01"}


def test_adding_a_source_again_unchanged_keeps_what_its_runs_know(moved):
    first, _second = moved
    assert cli("add", "--type", "oai", "--name", "repo", first.url, "--interval", "6") == (
        0, f"source repo (OAI-PMH) {first.url}\n")
    source = Source.objects.get(name="repo")
    assert (source.state, source.requested_at, source.interval_hours) == (
        {"datestamp": "2024-06-01"}, None, 6)


def test_new_options_map_every_record_again(moved):
    first, _second = moved
    cli("add", "--type", "oai", "--name", "repo", first.url,
        "-o", "mapper=tests.harvest.test_oai.plugin_mapper", "-o", "type=dataset")
    code, out = cli("run", "--due", "--json")
    result = json.loads(out)
    # Incremental, the six unchanged records would have kept the old mapping's items.
    assert (code, result["seen"], result["updated"], result["unchanged"]) == (0, 6, 6, 0)
    assert set(Item.objects.values_list("item_type_id", flat=True)) == {"dataset"}


def test_an_interrupted_run_is_not_resumed_at_the_old_endpoint(moved):
    first, second = moved
    source = Source.objects.get(name="repo")
    run = Run.objects.create(source=source, outcome=Run.Outcome.RUNNING,
                             host=socket.gethostname(), pid=_dead_pid())
    Checkpoint.objects.create(source=source, run=run, pages=1,
                              cursor={"token": "10||", "max_datestamp": "2024-06-01"})
    services.add_source("oai", "repo", second.url)
    run.refresh_from_db()
    assert (run.outcome, run.message) == ("partial", "stopped: the source was reconfigured")
    assert not Checkpoint.objects.filter(source=source).exists()
    source.refresh_from_db()
    out = run_source(source)
    assert (out.outcome, out.created) == ("complete", 5)
    assert "resumptionToken" not in second.requests[0]


def test_a_source_is_not_reconfigured_while_it_is_being_harvested(moved, admin_user, client):
    _first, second = moved
    source = Source.objects.get(name="repo")
    other = subprocess.Popen(["sleep", "60"])
    try:
        run = Run.objects.create(source=source, outcome=Run.Outcome.RUNNING,
                                 host=socket.gethostname(), pid=other.pid)
        Checkpoint.objects.create(source=source, run=run, cursor={})
        with pytest.raises(ValidationError, match="being harvested by process"):
            services.add_source("oai", "repo", second.url)
        with pytest.raises(CommandError, match="being harvested by process"):
            cli("add", "--type", "oai", "--name", "repo", second.url)
        client.force_login(admin_user)
        page = client.post(f"{CHANGELIST}{source.pk}/change/", _form(source, url=second.url))
        assert "change it when the run ends" in page.content.decode()
    finally:
        other.kill()
        other.wait()
    source.refresh_from_db()
    assert source.url != second.url and source.state == {"datestamp": "2024-06-01"}


def test_an_editor_pointing_a_source_elsewhere_in_the_back_office_gets_a_fresh_harvest(
        moved, admin_user, client):
    _first, second = moved
    source = Source.objects.get(name="repo")
    client.force_login(admin_user)
    page = client.post(f"{CHANGELIST}{source.pk}/change/", _form(source, url=second.url),
                       follow=True).content.decode()
    assert ("Reconfigured repo: it reads something else now, so it will be harvested again "
            "from the start") in page
    source.refresh_from_db()
    assert (source.url, source.state, source.requested_full) == (second.url, {}, True)
    # Another field (the interval) changes nothing of that.
    source.requested_at = None
    source.requested_full = False
    source.save()
    client.post(f"{CHANGELIST}{source.pk}/change/", _form(source, interval_hours=6))
    source.refresh_from_db()
    assert (source.interval_hours, source.requested_full) == (6, False)


def _form(source: Source, **changes) -> dict:
    data = {"name": source.name, "kind": source.kind, "url": source.url,
            "options": json.dumps(source.options), "interval_hours": source.interval_hours,
            "enabled": "on" if source.enabled else "", "item_status": source.item_status,
            "notify": source.notify,
            # What the page carries for a field with a callable default (show_hidden_initial).
            "initial-options": json.dumps(source.options)}
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


def _dead_pid() -> int:
    gone = subprocess.Popen(["true"])
    gone.wait()
    return gone.pid
