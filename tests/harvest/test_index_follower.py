"""The search index follower: a harvest's index updates applied by a forked process.

The end-to-end tests run the harvest in a subprocess with its own SQLite file (pytest-django's
test database is in memory, and this process has started the search engines and runs server
threads, so it may not fork a follower itself)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from ssehub.search import follower

from .servers import OAIServer, generated
from .test_read_ahead import _children, _state

ROOT = Path(__file__).resolve().parents[2]
# The follower is forked only where forking is safe (not macOS, see ssehub.core.forking), and
# the kill test finds processes in Linux's /proc: elsewhere these tests cannot run as written.
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="the follower forks only on Linux here; reads /proc")
N = 45
PAGE = 10

# Runs a real harvest with the follower spied on: which process it was, whether it was killed,
# and what the run's own process did with the search engines.
SCRIPT = """
import json, os, signal, sys, time
from contextlib import contextmanager
import django
django.setup()
from django.conf import settings
settings.SSEHUB_URL_ALLOWLIST = ["127.0.0.1"]
from ssehub.harvest import runner, services
from ssehub.search import follower, services as search
from ssehub.search.models import Outbox

url, what = sys.argv[1:]
original, seen = follower.following, {}

@contextmanager
def spied(how=None):
    with original(how) as process:
        seen["pid"] = process.pid if process else None
        if process and what == "kill-follower":
            os.kill(process.pid, signal.SIGKILL)
            process.process.join(10)
        if process and what == "kill-run":
            print(json.dumps({"follower": process.pid}), flush=True)
            time.sleep(120)
        yield process

follower.following = spied
run = runner.run_source(services.add_source("oai", "repo", url))
seen["engines_in_run"] = follower.engines_started()  # before search.check() opens the index
report = search.check()
print(json.dumps({"outcome": run.outcome, "created": run.created, **seen,
                  "why_not": follower.why_not(), "indexed": report.indexed,
                  "ok": report.ok, "pending": Outbox.objects.count()}))
"""


@pytest.fixture
def harvest_in_subprocess(tmp_path):
    server = OAIServer(generated(N), page_size=PAGE)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "SSEHUB_"))}
    env.update(DJANGO_SETTINGS_MODULE="ssehub.settings", SSEHUB_DATA_DIR=str(tmp_path),
               SSEHUB_SDG_AUTOMAP="0", SSEHUB_SEARCH_SEMANTIC="0",
               PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "src")]))
    subprocess.run([sys.executable, "-m", "ssehub.cli", "migrate", "-v0"], env=env, cwd=ROOT,
                   check=True, timeout=120)

    def start(what: str, **extra: str) -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-c", SCRIPT, server.url, what],
                                env={**env, **extra}, cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def run(what: str = "", **extra: str) -> dict:
        proc = start(what, **extra)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err[-3000:]
        return json.loads(out.strip().splitlines()[-1])

    run.start = start  # type: ignore[attr-defined]
    yield run
    server.close()


@linux_only
def test_a_harvest_from_the_command_line_is_indexed_by_a_follower(harvest_in_subprocess):
    out = harvest_in_subprocess()
    assert out["pid"] is not None and out["pid"] != os.getpid()
    # The run's own process never opened the index: the follower applied every update,
    # its last drain included, and the run returned with every item searchable.
    assert out["engines_in_run"] is False
    assert (out["outcome"], out["created"]) == ("complete", N)
    assert (out["indexed"], out["ok"], out["pending"]) == (N, True, 0)


@linux_only
def test_inline_keeps_the_index_updates_in_the_run(harvest_in_subprocess):
    out = harvest_in_subprocess(SSEHUB_HARVEST_INDEXER="inline")
    assert out["pid"] is None and "inline" in out["why_not"]
    assert out["engines_in_run"] is True  # the run's own process indexed
    assert (out["indexed"], out["ok"], out["pending"]) == (N, True, 0)


@linux_only
def test_a_follower_that_dies_loses_nothing(harvest_in_subprocess):
    out = harvest_in_subprocess("kill-follower")
    assert out["pid"] is not None
    # The outbox kept what the dead follower never applied, and the run applied it itself.
    assert out["engines_in_run"] is True
    assert (out["outcome"], out["created"]) == ("complete", N)
    assert (out["indexed"], out["ok"], out["pending"]) == (N, True, 0)


@linux_only
def test_a_follower_whose_run_is_killed_exits(harvest_in_subprocess):
    run = harvest_in_subprocess.start("kill-run")
    try:
        line = run.stdout.readline()
        assert line, run.stderr.read()[-3000:]
        pid = json.loads(line)["follower"]
        assert pid in _children(run.pid)
        run.kill()
        run.wait(10)
        deadline = time.monotonic() + 10
        while _state(pid) not in ("", "Z"):
            assert time.monotonic() < deadline, "the follower outlived its killed run"
            time.sleep(0.05)
    finally:
        run.kill()
        run.wait(10)
        run.stdout.close()  # or the pipes are left for the garbage collector
        run.stderr.close()


# --- when a follower is used -------------------------------------------------------------------

def test_a_mistyped_mode_is_a_clear_error(settings):
    settings.SSEHUB_HARVEST_INDEXER = "fork"
    with pytest.raises(ValueError, match="SSEHUB_HARVEST_INDEXER must be one of"):
        follower.why_not()


def test_no_follower_where_it_would_not_help_or_not_be_safe(settings):
    settings.SSEHUB_SEARCH_INLINE = True
    settings.SSEHUB_SDG_AUTOMAP = settings.SSEHUB_SEARCH_SEMANTIC = False
    settings.SSEHUB_HARVEST_INDEXER = "inline"
    assert "inline" in follower.why_not()
    settings.SSEHUB_HARVEST_INDEXER = "auto"
    settings.SSEHUB_SEARCH_INLINE = False
    assert "worker" in follower.why_not()
    settings.SSEHUB_SEARCH_INLINE = True
    settings.SSEHUB_SDG_AUTOMAP = settings.SSEHUB_SEARCH_SEMANTIC = True
    assert "vectors" in follower.why_not()  # the mapper's, kept in this process
    assert "vectors" not in follower.why_not("process")  # forced: the next reason, if any
    settings.SSEHUB_SDG_AUTOMAP = False
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert "may not fork" in follower.why_not()
    finally:
        stop.set()
        thread.join()


@pytest.mark.django_db
def test_no_follower_for_a_database_it_could_not_see(settings):
    """pytest-django's test database: in memory on SQLite, and inside the test's transaction
    on either database: a second connection would see none of the rows to index."""
    settings.SSEHUB_HARVEST_INDEXER = "process"
    settings.SSEHUB_SEARCH_INLINE = True
    assert "in memory" in follower.why_not() or "transaction" in follower.why_not()


def test_a_process_that_started_the_engines_forks_no_follower(monkeypatch):
    from ssehub.search.backends.tantivy_backend import TantivyBackend

    monkeypatch.setattr(TantivyBackend, "_indexes", {})
    monkeypatch.setattr("ssehub.core.embeddings._model", None)
    assert not follower.engines_started()
    monkeypatch.setattr(TantivyBackend, "_indexes", {"/some/index": object()})
    assert follower.engines_started()
    monkeypatch.setattr(TantivyBackend, "_indexes", {})
    monkeypatch.setattr("ssehub.core.embeddings._model", object())
    assert follower.engines_started()
