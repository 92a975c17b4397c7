"""Clearing a source (its items withdrawn, the source disabled) and removing it (cleared,
then deleted), from the command line and the back office; what comes from elsewhere stays,
a running harvest is not cleared under it, and only editors withdraw items."""

from __future__ import annotations

import os
import socket
import subprocess

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied

from ssehub.harvest import admin as harvest_admin
from ssehub.harvest import clearing, services
from ssehub.harvest.models import Checkpoint, RecordState, Run, Source
from ssehub.harvest.runner import HarvestBusy, run_source
from ssehub.library import services as library
from ssehub.library.models import Item, Status, StatusChange
from ssehub.search import services as search

from .conftest import cli, post_action
from .servers import generated

CHANGELIST = "/admin/harvest/source/"


def statuses(**filters) -> dict[str, str]:
    return dict(Item.objects.filter(**filters).values_list("source_record", "status"))


@pytest.fixture
def sources(oai_server, db):
    """``repo`` made 12 items, but one of its records is an upload's (the same URL) and 4
    are also delivered by ``mirror`` (the same URLs under other identifiers)."""
    library.create_item({"title": {"en": "An uploaded report"},
                         "url": "https://repo.example.org/record/3"}, status=Status.PUBLISHED)
    repo_server = oai_server(generated(12), page_size=5)
    repo = services.add_source("oai", "repo", repo_server.url)
    assert run_source(repo).outcome == Run.Outcome.COMPLETE
    mirror = services.add_source(
        "oai", "mirror", oai_server(generated(4, prefix="oai:mirror:", start=8)).url)
    assert run_source(mirror).outcome == Run.Outcome.COMPLETE
    assert Item.objects.count() == 12  # 11 made by repo, 1 upload; mirror made none
    repo.refresh_from_db()
    return repo, mirror, repo_server


def test_clear_says_what_it_would_do_then_withdraws_only_what_the_source_alone_brought(
        sources, client):
    repo, mirror, _server = sources
    assert cli("clear", "repo") == (
        0, "repo: would withdraw 7 items; 5 kept (delivered from elsewhere too); nothing done "
           "(add --yes)\n")
    assert Item.objects.filter(status=Status.PUBLISHED).count() == 12  # nothing done

    code, out = cli("clear", "repo", "--yes")
    assert (code, out) == (0, "repo: cleared: 7 items withdrawn; 5 kept (delivered from "
                              "elsewhere too); the source is disabled\n")
    withdrawn = statuses(status=Status.WITHDRAWN)
    assert sorted(withdrawn) == [f"oai:test:{i}" for i in (0, 1, 2, 4, 5, 6, 7)]
    assert Item.objects.get(source_name="").status == Status.PUBLISHED  # the upload
    assert set(statuses(source_record__in=[f"oai:test:{i}" for i in (8, 9, 10, 11)]).values()
               ) == {Status.PUBLISHED}  # the mirror still delivers them
    change = StatusChange.objects.filter(to_status=Status.WITHDRAWN).first()
    assert (change.from_status, change.note) == (Status.PUBLISHED, "harvest source repo cleared")
    repo.refresh_from_db()
    assert (repo.enabled, repo.state, repo.is_due()) == (False, {}, False)
    assert services.status(repo)["withdrawn"] == 7
    assert services.health_label(repo) == "ok · disabled"
    assert "ok · disabled" in client.get("/harvest/").content.decode()
    # Off the public side, and reported deleted to whoever harvests the hub.
    hits = search.search(search.SearchParams(q="cooperatives")).results
    assert not {hit.id for hit in hits} & set(
        Item.objects.filter(status=Status.WITHDRAWN).values_list("pk", flat=True))
    listing = client.get("/oai", {"verb": "ListIdentifiers", "metadataPrefix": "oai_dc"})
    assert listing.content.decode().count('status="deleted"') == 7
    # Clearing again finds nothing more to do.
    assert cli("clear", "repo", "--yes")[1].startswith("repo: cleared: 0 items withdrawn")


def test_a_cleared_source_enabled_again_harvests_afresh_and_its_items_come_back(sources):
    repo, _mirror, server = sources
    clearing.clear(clearing.SYSTEM, repo)
    repo.refresh_from_db()
    repo.enabled = True
    repo.save(update_fields=["enabled"])
    server.requests.clear()
    run = run_source(repo)
    assert "from=" not in server.requests[0]  # from the start, not from the last datestamp
    # The seven it withdrew come back; the five it kept were never gone.
    assert (run.outcome, run.seen, run.created, run.updated, run.unchanged) == (
        "complete", 12, 0, 7, 5)
    assert Item.objects.filter(status=Status.WITHDRAWN).count() == 0
    assert Item.objects.count() == 12


def test_removing_a_source_clears_it_and_adding_it_again_brings_back_what_the_removal_took(
        sources, oai_server):
    repo, _mirror, server = sources
    editorial = Item.objects.get(source_record="oai:test:0")
    library.change_status(editorial, Status.WITHDRAWN, note="off topic")  # an editor's call
    assert cli("remove", "repo")[1] == (
        "repo: would withdraw 6 items; 5 kept (delivered from elsewhere too); nothing done "
        "(add --yes)\n")
    assert cli("remove", "repo", "--yes")[1] == (
        "repo: removed: 6 items withdrawn; 5 kept (delivered from elsewhere too); the source "
        "is deleted\n")
    assert not Source.objects.filter(name="repo").exists()
    assert not RecordState.objects.filter(identifier__startswith="oai:test:").exists()
    assert Item.objects.filter(status=Status.WITHDRAWN).count() == 7
    assert set(Item.objects.filter(status=Status.WITHDRAWN).values_list("source_name",
                                                                        flat=True)) == {"repo"}
    # Added again: no duplicate, and the six it withdrew come back; the editor's stays out.
    again = services.add_source("oai", "repo", server.url)
    run = run_source(again)
    assert (run.outcome, run.created, run.failed) == ("complete", 0, 0)
    assert Item.objects.count() == 12
    assert statuses(status=Status.WITHDRAWN) == {"oai:test:0": Status.WITHDRAWN}
    assert services.status(again)["items"] == 11


def test_a_source_cleared_then_removed_and_added_again_brings_its_items_back(sources):
    """data.gov's way (clear, then delete) followed by a fresh start under the same name."""
    repo, _mirror, server = sources
    clearing.clear(clearing.SYSTEM, repo)
    assert len(clearing.remove(clearing.SYSTEM, repo).withdraw) == 0  # nothing left to withdraw
    run = run_source(services.add_source("oai", "repo", server.url))
    assert (run.outcome, run.created, run.updated) == ("complete", 0, 7)
    assert not Item.objects.filter(status=Status.WITHDRAWN).exists()


def test_a_source_being_harvested_is_neither_cleared_nor_deleted(sources, admin_user, client):
    repo, _mirror, _server = sources
    other = subprocess.Popen(["sleep", "60"])  # a live process that "runs" the harvest
    try:
        run = Run.objects.create(source=repo, outcome=Run.Outcome.RUNNING,
                                 host=socket.gethostname(), pid=other.pid)
        Checkpoint.objects.create(source=repo, run=run, cursor={})
        assert other.pid != os.getpid()
        with pytest.raises(HarvestBusy, match="is being harvested by process"):
            clearing.clear(clearing.SYSTEM, repo)
        code, out = cli("clear", "repo", "--yes")
        assert code == 1 and f"not cleared: repo is being harvested by process {other.pid}" in out
        client.force_login(admin_user)
        page = client.get(f"{CHANGELIST}{repo.pk}/delete/").content.decode()
        assert f"repo is being harvested by process {other.pid}" in page
        assert client.post(f"{CHANGELIST}{repo.pk}/delete/", {"post": "yes"}).status_code == 200
        assert Source.objects.filter(pk=repo.pk).exists()
        assert Item.objects.filter(status=Status.WITHDRAWN).count() == 0
        assert services.health(repo) == "running"
    finally:
        other.kill()
        other.wait()
    # Its process gone (killed, say), the run is interrupted: said so, and clearing may go on.
    assert services.health(repo) == "interrupted"
    assert "interrupted: resumes at the next run" in client.get("/harvest/").content.decode()
    assert len(clearing.clear(clearing.SYSTEM, repo).withdraw) == 7
    assert not Checkpoint.objects.filter(source=repo).exists()
    run.refresh_from_db()
    assert (run.outcome, run.message) == ("partial", "stopped: the source was cleared")
    assert services.health(repo) == "failing"


def test_an_editor_clears_sources_in_the_back_office_after_a_confirmation_page(
        sources, staff_editor, client):
    repo, mirror, _server = sources
    client.force_login(staff_editor)
    assert 'value="clear_sources"' in client.get(CHANGELIST).content.decode()
    page = " ".join(post_action(client, "clear_sources", repo, mirror).split())
    assert "repo</strong>: 7 items withdrawn; 5 items kept (they came from elsewhere too)" in page
    assert "mirror</strong>: 0 items withdrawn; 4 items kept" in page
    assert Item.objects.filter(status=Status.WITHDRAWN).count() == 0  # only asked so far
    done = client.post(CHANGELIST, {
        "action": "clear_sources", "_selected_action": [repo.pk], "post": "yes"},
        follow=True).content.decode()
    assert "Cleared repo: 7 items withdrawn; the source is disabled." in done
    assert Item.objects.filter(status=Status.WITHDRAWN).count() == 7
    change = StatusChange.objects.filter(to_status=Status.WITHDRAWN).first()
    assert change.changed_by == staff_editor
    mirror.refresh_from_db()
    assert mirror.enabled  # not confirmed for it


def test_deleting_a_source_in_the_back_office_says_and_does_what_happens_to_its_items(
        sources, admin_user, client, monkeypatch):
    repo, _mirror, _server = sources
    client.force_login(admin_user)
    page = client.get(f"{CHANGELIST}{repo.pk}/delete/").content.decode()
    assert "Items harvested from it, withdrawn (not deleted): 7" in page
    assert page.count("Harvested record: <a") == 12
    # A large source's provenance rows are counted, not listed one by one.
    monkeypatch.setattr(harvest_admin, "MAX_LISTED", 10)
    page = client.get(f"{CHANGELIST}{repo.pk}/delete/").content.decode()
    assert "Harvested records: 12" in page and "Harvested record: <a" not in page
    assert "Harvest source: <a" in page
    client.post(f"{CHANGELIST}{repo.pk}/delete/", {"post": "yes"})
    assert not Source.objects.filter(pk=repo.pk).exists()
    assert Item.objects.filter(status=Status.WITHDRAWN).count() == 7
    # Several at once, by Django's own delete action: each cleared, then deleted.
    mirror = Source.objects.get(name="mirror")
    client.post(CHANGELIST, {"action": "delete_selected", "_selected_action": [mirror.pk],
                             "post": "yes"})
    assert not Source.objects.exists()
    assert Item.objects.filter(status=Status.WITHDRAWN).count() == 11  # the upload stays


@pytest.mark.parametrize("who", ["contributor", "plain_user", "anonymous", "staff"])
def test_only_editors_clear_a_source(who, sources, request, client):
    repo, _mirror, _server = sources
    user = request.getfixturevalue("plain_user" if who == "staff" else who)
    with pytest.raises(PermissionDenied, match="Only editors may withdraw"):
        clearing.clear(user, repo)
    if who == "staff":  # in the back office, without the editor's role: no such action
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        user.user_permissions.add(*Permission.objects.filter(
            codename__in=["view_source", "change_source"]))
        client.force_login(user)
        assert 'value="clear_sources"' not in client.get(CHANGELIST).content.decode()
        post_action(client, "clear_sources", repo)
    assert Item.objects.filter(status=Status.WITHDRAWN).count() == 0
    repo.refresh_from_db()
    assert repo.enabled


def test_removing_needs_the_delete_permission_and_an_editor_while_items_are_live(
        sources, staff_editor, plain_user):
    repo, mirror, _server = sources
    with pytest.raises(PermissionDenied, match="You may not delete harvest sources"):
        clearing.remove(staff_editor, repo)  # an editor, without the permission to delete
    delete = Permission.objects.get(codename="delete_source")
    plain_user.user_permissions.add(delete)
    plain_user = type(plain_user).objects.get(pk=plain_user.pk)  # permissions re-read
    assert not clearing.may_remove(plain_user, repo)
    with pytest.raises(PermissionDenied, match="whose items are still published"):
        clearing.remove(plain_user, repo)
    assert Source.objects.filter(pk=repo.pk).exists()
    # mirror made no item of its own: deleting it withdraws nothing, so no editor is needed.
    assert clearing.plan(mirror).withdraw == []
    clearing.remove(plain_user, mirror)
    assert not Source.objects.filter(pk=mirror.pk).exists()
    staff_editor.user_permissions.add(delete)
    staff_editor = type(staff_editor).objects.get(pk=staff_editor.pk)
    assert len(clearing.remove(staff_editor, repo).withdraw) == 11
