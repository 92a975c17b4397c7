"""Fetching the next OAI page while this one is stored: same pages, same order, same errors,
and the fetching thread never outlives the run."""

from __future__ import annotations

import threading
import time

import pytest

from ssehub.harvest import services
from ssehub.harvest.runner import Progress, read_ahead, run_source, summary
from ssehub.harvest.sources import HarvestError, Page

from .servers import generated


def _pages(n: int, error: Exception | None = None):
    for i in range(n):
        yield Page([], {"page": i})
    if error is not None:
        raise error


def _threads() -> set[str]:
    return {t.name for t in threading.enumerate() if t.name == "harvest-read-ahead"}


def test_pages_and_the_error_that_ends_them_come_out_in_order():
    error = HarvestError("the server said badResumptionToken", reset={"token": None})
    seen = []
    with pytest.raises(HarvestError) as raised:
        for page in read_ahead(_pages(5, error)):
            seen.append(page.cursor["page"])
    assert seen == [0, 1, 2, 3, 4]
    assert raised.value is error and raised.value.reset == {"token": None}
    assert not _threads()


def test_a_run_that_stops_early_stops_the_thread():
    stream = read_ahead(_pages(1000))
    assert next(stream).cursor == {"page": 0}
    stream.close()
    assert not _threads()


@pytest.mark.django_db
def test_the_next_page_is_fetched_while_this_one_is_stored(oai_server):
    """By the time the first page is stored (the progress hook runs after its commit, before
    the loop asks for the next page), the request for the second page has gone out. One by
    one it would only go out after the hook returns, and the wait below would end without it."""
    server = oai_server(generated(30), page_size=10)
    source = services.add_source("oai", "repo", server.url)
    during_first_page = []

    def on_page(done: int, total: int | None) -> None:
        if done == 10:
            deadline = time.monotonic() + 10
            while len(server.requests) < 2 and time.monotonic() < deadline:
                time.sleep(0.01)
            during_first_page.append(len(server.requests))

    out = summary(run_source(source, progress=Progress(on_page=on_page)))
    assert during_first_page and during_first_page[0] >= 2
    assert (out["outcome"], out["created"]) == ("complete", 30)
    assert server.served == [0, 1, 2]
    assert not _threads()
