"""Fetching the next OAI page while this one is stored, in a thread or a forked process: same
pages, same order, same errors, and the reader never outlives the run."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from ssehub.core.forking import ForkedQueryError, fork_is_safe
from ssehub.harvest import readahead, services
from ssehub.harvest.models import Source
from ssehub.harvest.runner import Progress, run_source, summary
from ssehub.harvest.sources import HarvestError, Page, Record

from .servers import generated

ROOT = Path(__file__).resolve().parents[2]
READERS = {"thread": readahead.in_thread, "process": readahead.in_process}


def _pages(n: int, error: BaseException | None = None):
    for i in range(n):
        yield Page([Record(identifier=f"oai:x:{i}", raw="<dc/>")], {"page": i})
    if error is not None:
        raise error


def _readers_left() -> list:
    threads = [t for t in threading.enumerate() if t.name == readahead.THREAD_NAME]
    return threads + multiprocessing.active_children()


@pytest.mark.parametrize("how", READERS)
def test_pages_and_the_error_that_ends_them_come_out_in_order(how):
    error = HarvestError("the server said badResumptionToken", reset={"token": None})
    seen = []
    with pytest.raises(HarvestError) as raised:
        for page in READERS[how](_pages(5, error)):
            seen.append((page.cursor["page"], page.records[0].identifier))
    assert seen == [(i, f"oai:x:{i}") for i in range(5)]
    assert str(raised.value) == str(error) and raised.value.reset == {"token": None}
    assert not _readers_left()


@pytest.mark.parametrize("how", READERS)
def test_a_run_that_stops_early_stops_the_reader(how):
    stream = READERS[how](_pages(1000))
    assert next(stream).cursor == {"page": 0}
    stream.close()
    assert not _readers_left()


class _Unpicklable(Exception):
    def __init__(self):
        super().__init__("a plug-in's own error")
        self.callback = lambda: None  # a lambda does not pickle


def test_an_error_that_does_not_pickle_reaches_the_run_as_its_text():
    with pytest.raises(HarvestError, match=r"_Unpicklable: a plug-in's own error"):
        list(readahead.in_process(_pages(2, _Unpicklable())))
    assert not _readers_left()


def test_a_reader_that_dies_is_an_error_not_a_silent_end():
    def pages():
        yield Page([], {"page": 0})
        os._exit(3)  # a crash in a C extension, say

    with pytest.raises(HarvestError, match="ended without a word .exit code 3"):
        list(readahead.in_process(pages()))


@pytest.mark.django_db
def test_the_forked_reader_may_not_use_the_parents_database_connection():
    Source.objects.count()  # the connection is open when the child is forked

    def pages():
        yield Page([], {"count": Source.objects.count()})

    with pytest.raises(ForkedQueryError, match="may not use the database"):
        list(readahead.in_process(pages()))
    assert Source.objects.count() == 0  # and the parent's connection still works


def test_auto_forks_only_a_single_threaded_interpreter(settings):
    settings.SSEHUB_HARVEST_READ_AHEAD = "auto"
    release = threading.Event()
    other = threading.Thread(target=release.wait, daemon=True)
    other.start()
    try:
        assert not fork_is_safe()
        stream = readahead.pages_ahead(_pages(3))
        next(stream)
        assert [t.name for t in threading.enumerate()].count(readahead.THREAD_NAME) == 1
        assert not multiprocessing.active_children()
        stream.close()
    finally:
        release.set()
        other.join()
    settings.SSEHUB_HARVEST_READ_AHEAD = "off"
    pages = _pages(1)
    assert readahead.pages_ahead(pages) is pages


def test_a_mistyped_mode_is_a_clear_error(settings):
    settings.SSEHUB_HARVEST_READ_AHEAD = "fork"
    with pytest.raises(ValueError, match="one of auto, process, thread, off, not 'fork'"):
        readahead.mode()


@pytest.mark.django_db
@pytest.mark.parametrize("how", READERS)
def test_the_next_page_is_fetched_while_this_one_is_stored(oai_server, settings, how):
    """By the time the first page is stored (the progress hook runs after its commit, before
    the loop asks for the next page), the request for the second page has gone out. One by
    one it would only go out after the hook returns, and the wait below would end without it."""
    settings.SSEHUB_HARVEST_READ_AHEAD = how
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
    assert not _readers_left()


ORPHAN_SCRIPT = """
import os, sys, time
import django
django.setup()
from ssehub.harvest.readahead import pages_ahead
from ssehub.harvest.sources import Page, Record

def pages():  # endless, and each page larger than a pipe's buffer: the child blocks sending
    i = 0
    while True:
        yield Page([Record(identifier=str(i), raw="x" * 300_000)], {"page": i})
        i += 1

stream = pages_ahead(pages())  # auto: a single-threaded interpreter on Linux forks
next(stream)
print("ready", flush=True)
time.sleep(120)
"""


def _children(pid: int) -> list[int]:
    """The live (not zombie) processes whose parent is ``pid``, from Linux's /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and _state(int(entry.name), parent=pid) not in ("", "Z"):
            found.append(int(entry.name))
    return found


def _state(pid: int, parent: int | None = None) -> str:
    """The process's state letter ("" when it is gone, or is not ``parent``'s child)."""
    try:
        state, ppid = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[:2]
    except (OSError, ValueError):
        return ""
    return state if parent is None or int(ppid) == parent else ""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_reader_whose_run_is_killed_exits_instead_of_fetching_on(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "SSEHUB_"))}
    env.update(DJANGO_SETTINGS_MODULE="ssehub.settings", SSEHUB_DATA_DIR=str(tmp_path),
               PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "src")]))
    run = subprocess.Popen([sys.executable, "-c", ORPHAN_SCRIPT], env=env, cwd=ROOT,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert run.stdout.readline() == "ready\n", run.stderr.read()[-2000:]
        readers = _children(run.pid)
        assert len(readers) == 1  # forked, and blocked sending the page after next
        run.kill()
        run.wait(10)
        deadline = time.monotonic() + 10
        while _state(readers[0]) not in ("", "Z"):
            assert time.monotonic() < deadline, "the reader outlived its killed run"
            time.sleep(0.05)
    finally:
        run.kill()
        run.wait(10)
        run.stdout.close()  # or the pipes are left for the garbage collector
        run.stderr.close()
