"""E-mail about runs that went wrong, to the addresses a source lists (Django's locmem outbox)."""

from __future__ import annotations

import io

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import CommandError, call_command

from ssehub.harvest import services
from ssehub.harvest.models import Run, Source
from ssehub.harvest.runner import run_source

from .servers import OAIRecord, generated

pytestmark = pytest.mark.django_db


class RefusingBackend(BaseEmailBackend):
    """A mail server that refuses every message."""

    def send_messages(self, messages):
        raise ConnectionRefusedError("the mail server refused the connection")


def add(url: str, *notify: str) -> Source:
    return services.add_source("oai", "repo", url, notify_to=list(notify))


def test_a_run_with_failed_records_is_reported_with_each_cause(oai_server, settings):
    settings.SSEHUB_BASE_URL = "https://hub.example.org"
    server = oai_server([*generated(3), OAIRecord(identifier="oai:untitled")])
    source = add(server.url, "webmaster@partner.example", "editor@hub.example")
    run = run_source(source)
    assert (run.outcome, run.failed) == (Run.Outcome.COMPLETE, 1)
    [message] = mail.outbox
    assert message.to == ["webmaster@partner.example", "editor@hub.example"]
    assert message.subject == "Harvest of repo: 1 record failed"
    assert "- oai:untitled: record without a title" in message.body
    assert "seen 4, created 3, updated 0, unchanged 0, deleted 0, failed 1" in message.body
    assert f"https://hub.example.org/admin/harvest/run/{run.pk}/change/" in message.body
    assert "https://hub.example.org/harvest/" in message.body


def test_a_run_that_did_not_complete_says_why_and_that_the_next_resumes(oai_server):
    server = oai_server(generated(25), page_size=10)
    server.error[1] = "badArgument"
    run = run_source(add(server.url, "editor@hub.example"))
    assert run.outcome == Run.Outcome.PARTIAL
    [message] = mail.outbox
    assert message.subject == "Harvest of repo did not complete"
    assert message.body.count("OAI-PMH error badArgument") == 1  # said once, not listed again
    assert "ended: partial." in message.body
    assert "The next run resumes where this one stopped." in message.body


def test_a_run_that_went_well_sends_nothing_and_nobody_listed_gets_nothing(oai_server):
    server = oai_server(generated(3))
    run_source(add(server.url, "editor@hub.example"))
    assert mail.outbox == []
    bad = oai_server([OAIRecord(identifier="oai:untitled")])
    source = services.add_source("oai", "quiet", bad.url)
    assert run_source(source).failed == 1
    assert mail.outbox == []


def test_a_refusing_mail_server_does_not_fail_the_run(oai_server, settings, caplog):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    server = oai_server([*generated(2), OAIRecord(identifier="oai:untitled")])
    run = run_source(add(server.url, "editor@hub.example"))
    assert (run.outcome, run.created, run.failed) == (Run.Outcome.COMPLETE, 2, 1)
    assert "the report to editor@hub.example could not be sent" in caplog.text


def test_bad_addresses_are_refused_by_the_command_and_the_back_office(oai_server, admin_client):
    url = oai_server(generated(1)).url
    with pytest.raises(CommandError, match="not an e-mail address: nobody, x@"):
        call_command("harvest", "add", "--type", "oai", "--name", "repo", url,
                     "--notify", "nobody", "--notify", "x@", "--notify", "ok@hub.example",
                     stdout=io.StringIO())
    assert not Source.objects.exists()
    call_command("harvest", "add", "--type", "oai", "--name", "repo", url,
                 "--notify", "a@hub.example, b@hub.example", stdout=io.StringIO())
    source = Source.objects.get()
    assert source.notify == "a@hub.example\nb@hub.example"
    # Re-running 'add' without --notify keeps the addresses; --notify '' removes them.
    call_command("harvest", "add", "--type", "oai", "--name", "repo", url, stdout=io.StringIO())
    source.refresh_from_db()
    assert source.notify == "a@hub.example\nb@hub.example"
    call_command("harvest", "add", "--type", "oai", "--name", "repo", url, "--notify", "",
                 stdout=io.StringIO())
    source.refresh_from_db()
    assert source.notify == ""

    form = {"name": "repo", "kind": "oai", "url": url, "options": "{}", "interval_hours": 24,
            "enabled": "on", "item_status": "published", "notify": "ok@hub.example; not-mail"}
    page = admin_client.post(f"/admin/harvest/source/{source.pk}/change/", form)
    assert page.status_code == 200
    assert "not an e-mail address: not-mail" in page.content.decode()
    source.refresh_from_db()
    assert source.notify == ""
    form["notify"] = "ok@hub.example"
    assert admin_client.post(f"/admin/harvest/source/{source.pk}/change/",
                             form).status_code == 302
    source.refresh_from_db()
    assert source.notify == "ok@hub.example"


def test_the_report_is_in_the_hubs_language(oai_server, settings):
    settings.LANGUAGE_CODE = "fr"
    server = oai_server([*generated(1), OAIRecord(identifier="oai:untitled")])
    run_source(add(server.url, "editor@hub.example"))
    [message] = mail.outbox
    assert message.subject == "Moissonnage de repo : 1 notice en échec"
    assert "Notices : vues 2, créées 1" in message.body
