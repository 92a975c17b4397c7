""""Harvest now" from the back office: a request that the scheduler's next pass (or cron's
``harvest run --due``) carries out, incremental or from the start, for editors only."""

from __future__ import annotations

import io
import json

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command

from ssehub.harvest import services
from ssehub.harvest.models import Run, Source
from ssehub.harvest.runner import run_source

from .conftest import post_action
from .servers import generated

CHANGELIST = "/admin/harvest/source/"


def run_due() -> list[dict]:
    out = io.StringIO()
    try:
        call_command("harvest", "run", "--due", "--json", stdout=out)
    except SystemExit as exc:
        assert exc.code == 0, out.getvalue()
    return [json.loads(line) for line in out.getvalue().splitlines()]


@pytest.fixture
def harvested(oai_server, db):
    """A source harvested once, so not due for another interval."""
    server = oai_server(generated(12), page_size=5)
    source = services.add_source("oai", "repo", server.url)
    assert run_source(source).outcome == Run.Outcome.COMPLETE
    source.refresh_from_db()
    assert not source.is_due()
    server.requests.clear()
    return source, server


def test_an_editor_asks_for_a_harvest_in_the_back_office_and_the_next_due_pass_runs_it(
        harvested, staff_editor, client, settings):
    source, server = harvested
    settings.SSEHUB_SCHEDULER_INTERVAL = 300
    client.force_login(staff_editor)
    assert 'value="harvest_now"' in client.get(CHANGELIST).content.decode()
    assert ("Harvest requested for repo: it will run at the next &#x27;ssehub harvest run "
            "--due&#x27;, or within 5 minutes") in post_action(client, "harvest_now", source)
    source.refresh_from_db()
    assert source.requested_at is not None and not source.requested_full
    assert services.status(source)["requested"] == "incremental"
    assert "harvest requested" in client.get(CHANGELIST).content.decode()
    status = io.StringIO()
    call_command("harvest", "status", "repo", stdout=status)
    assert "incremental run requested" in status.getvalue()

    [out] = run_due()
    assert (out["source"], out["outcome"], out["created"]) == ("repo", "complete", 0)
    assert "from=2024-01-01" in server.requests[0]  # incremental: from the last datestamp
    source.refresh_from_db()
    assert source.requested_at is None and not source.is_due()
    assert run_due() == []  # done once, not at every pass


def test_a_full_request_reads_every_record_again(harvested, staff_editor, client):
    source, server = harvested
    client.force_login(staff_editor)
    post_action(client, "harvest_again_from_the_start", source)
    source.refresh_from_db()
    assert source.requested_full and services.status(source)["requested"] == "full"
    [out] = run_due()
    assert (out["seen"], out["unchanged"], out["created"]) == (12, 12, 0)
    assert "from=" not in server.requests[0]
    assert Run.objects.filter(source=source).latest("started_at").full
    source.refresh_from_db()
    assert (source.requested_at, source.requested_full) == (None, False)


def test_an_incremental_request_does_not_cancel_a_pending_full_one(harvested, editor):
    source, _server = harvested
    services.request_runs(editor, [source], full=True)
    services.request_runs(editor, [source], full=False)
    source.refresh_from_db()
    assert source.requested_full


def test_a_full_request_outlives_the_resumption_of_an_interrupted_incremental_run(
        harvested, editor):
    source, server = harvested
    server.error[1] = "badArgument"  # the second page of the next run fails
    interrupted = run_source(source)
    assert interrupted.outcome == Run.Outcome.PARTIAL and not interrupted.full
    del server.error[1]
    services.request_runs(editor, [source], full=True)

    resumed = run_due()
    assert resumed[0]["outcome"] == "complete"
    assert Run.objects.filter(pk=interrupted.pk, resumes=1).exists()  # finished first
    server.requests.clear()
    again = run_due()  # then the requested full re-harvest
    assert again[0]["seen"] == 12 and "from=" not in server.requests[0]
    assert Run.objects.filter(source=source).latest("started_at").full
    source.refresh_from_db()
    assert source.requested_at is None
    assert run_due() == []


def test_disabled_sources_are_not_requested_and_the_editor_is_told(harvested, staff_editor,
                                                                   client, oai_server):
    source, _server = harvested
    off = services.add_source("oai", "off", oai_server(generated(1)).url)
    Source.objects.filter(pk=off.pk).update(enabled=False)
    client.force_login(staff_editor)
    html = post_action(client, "harvest_now", source, off)
    assert "Harvest requested for repo: it will run" in html
    assert "Not requested, because it is disabled: off." in html
    off.refresh_from_db()
    assert off.requested_at is None and not off.is_due()


def test_only_editors_and_admins_may_ask_for_a_harvest(harvested, editor, admin_user,
                                                       contributor, plain_user, anonymous):
    source, _server = harvested
    for user in (contributor, plain_user, anonymous):
        with pytest.raises(PermissionDenied, match="Only editors may start a harvest"):
            services.request_runs(user, [source])
    source.refresh_from_db()
    assert source.requested_at is None
    for user in (editor, admin_user):
        assert services.request_runs(user, [source]) == ([source], [])


def test_staff_without_the_editor_role_get_no_harvest_action(harvested, plain_user, client):
    from django.contrib.auth.models import Permission

    plain_user.is_staff = True
    plain_user.save(update_fields=["is_staff"])
    plain_user.user_permissions.add(Permission.objects.get(codename="view_source"))
    client.force_login(plain_user)
    page = client.get(CHANGELIST)
    assert page.status_code == 200 and 'value="harvest_now"' not in page.content.decode()
    assert 'value="check_sources"' not in page.content.decode()
    source, _server = harvested
    post_action(client, "harvest_now", source)
    source.refresh_from_db()
    assert source.requested_at is None


def test_the_status_page_says_health_in_the_readers_language(db, client):
    never = Source.objects.create(name="new", kind="oai", url="http://127.0.0.1:1/oai")
    assert services.health(never) == "never"
    fr = client.get("/harvest/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    es = client.get("/harvest/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert 'class="health-never">jamais exécutée</td>' in fr
    assert 'class="health-never">nunca ejecutada</td>' in es

