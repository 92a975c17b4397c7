"""Harvest test fixtures: loopback servers, fast retries, and a helper to run a source."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from ssehub.harvest import services
from ssehub.harvest.models import Source
from ssehub.harvest.runner import run_source, summary

from .servers import OAIServer, Site, generated


@pytest.fixture(autouse=True)
def harvest_settings(settings):
    # Loopback is allow-listed explicitly: the servers of these tests live on 127.0.0.1.
    settings.SSEHUB_URL_ALLOWLIST = ["127.0.0.1"]
    settings.SSEHUB_SDG_AUTOMAP = False
    settings.SSEHUB_SEARCH_SEMANTIC = False
    settings.SSEHUB_HARVEST_MAX_SLEEP = 0.01
    settings.SSEHUB_HARVEST_BACKOFF = 0.001
    settings.SSEHUB_HARVEST_DELAY = 0
    settings.SSEHUB_HARVEST_RETRIES = 4
    settings.SSEHUB_FETCH_TIMEOUT = 5
    return settings


@pytest.fixture
def oai_server():
    servers: list[OAIServer] = []

    def make(records=None, page_size: int = 10) -> OAIServer:
        servers.append(OAIServer(records if records is not None else generated(25), page_size))
        return servers[-1]

    yield make
    for server in servers:
        server.close()


@pytest.fixture
def site():
    sites: list[Site] = []

    def make() -> Site:
        sites.append(Site())
        return sites[-1]

    yield make
    for s in sites:
        s.close()


@pytest.fixture
def harvest(db):
    """``harvest(kind, name, url, **options)`` → the summary dict of one run."""

    def run(kind: str, name: str, url: str, full: bool = False, **options) -> dict:
        source = Source.objects.filter(name=name).first() or services.add_source(
            kind, name, url, options=options)
        return summary(run_source(source, full=full))

    return run


@pytest.fixture
def staff_editor(editor):
    editor.is_staff = True  # editors work in the back office (``ssehub role`` sets this)
    editor.save(update_fields=["is_staff"])
    return editor


def post_action(client, action: str, *sources: Source) -> str:
    """An action of the sources' admin list on ``sources``; the page it leads to."""
    return client.post("/admin/harvest/source/", {
        "action": action, "_selected_action": [source.pk for source in sources],
    }, follow=True).content.decode()


def cli(*args: str) -> tuple[int, str]:
    """``ssehub harvest *args``: (exit status, what it printed)."""
    out = io.StringIO()
    try:
        call_command("harvest", *args, stdout=out)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue()
    return 0, out.getvalue()
