"""kill -9 in the middle of a batch: the re-run finishes the job, with no duplicate and no
half-stored item. A real subprocess ingests into its own SQLite database (pytest-django's test
database cannot be shared with another process), is SIGKILLed part-way, then run again."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from . import factories as f

ROOT = Path(__file__).resolve().parents[2]
N_FILES = 30

SCRIPT = """
import sys
import django
from django.conf import settings
django.setup()
settings.SSEHUB_INGEST_HOOKS = ["tests.library.slow_hook.pause"]
from ssehub.library.ingest.inputs import expand
from ssehub.library.ingest.pipeline import ingest
for result in ingest(expand([sys.argv[1]]), jobs=int(sys.argv[2])):
    print(result.to_json(), flush=True)
"""


def make_folder(folder: Path) -> None:
    folder.mkdir()
    makers = [
        ("pdf", lambda p: f.pdf(p)),
        ("docx", lambda p: f.docx(p)),
        ("html", lambda p: f.html_page(p)),
        ("txt", lambda p: "\n\n".join(p).encode()),
        ("md", lambda p: ("# " + "\n\n".join(p)).encode()),
    ]
    for n in range(N_FILES):
        suffix, make = makers[n % len(makers)]
        (folder / f"doc-{n:02d}.{suffix}").write_bytes(make(f.varied(n, seed=n)))


def count(db: Path, table: str, *, while_running: bool = False) -> int:
    """Rows in ``table``. A read-write connection: after a kill the WAL may need recovering,
    which a read-only one cannot do (it would fail and could be mistaken for "no rows")."""
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]  # noqa: S608
    except sqlite3.OperationalError:
        if while_running:  # busy while the batch writes: try again on the next poll
            return 0
        raise


def processes_with(data_dir: str) -> list[int]:
    """Live processes whose environment has SSEHUB_DATA_DIR=``data_dir`` (Linux /proc)."""
    wanted = f"SSEHUB_DATA_DIR={data_dir}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if wanted in environ.split(b"\0") and state != "Z":
            found.append(int(entry.name))
    return found


# jobs=2: extraction in worker processes (killed with their parent's batch), writes here.
@pytest.mark.parametrize("jobs", [1, 2])
def test_kill_9_in_the_middle_of_a_batch_then_rerun_gives_one_item_per_file(tmp_path, jobs):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "SSEHUB_"))}
    db = tmp_path / "hub.sqlite3"
    env.update(
        DJANGO_SETTINGS_MODULE="ssehub.settings",
        SSEHUB_DATA_DIR=str(tmp_path / "data"),
        DATABASE_URL=f"sqlite:///{db}",
        PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "src")]),
    )
    ssehub = Path(sys.executable).with_name("ssehub")
    migrate = [str(ssehub), "migrate", "-v0"] if ssehub.exists() else [
        sys.executable, "-m", "ssehub.cli", "migrate", "-v0"]
    subprocess.run(migrate, env=env, check=True, timeout=60, cwd=ROOT)
    folder = tmp_path / "batch"
    make_folder(folder)
    command = [sys.executable, "-c", SCRIPT, str(folder), str(jobs)]

    # First run: killed with SIGKILL once some items are in (no chance to clean up).
    first = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while count(db, "library_item", while_running=True) < 8 and first.poll() is None:
        assert time.monotonic() < deadline, "the first run made no progress"
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    first.stdout.close()  # not left for the garbage collector
    first.stderr.close()
    assert first.returncode == -signal.SIGKILL, "the batch finished before it could be killed"
    killed_at = count(db, "library_item")
    assert 8 <= killed_at < N_FILES
    # The extraction workers of the killed batch leave too (they would otherwise wait for
    # work forever).
    deadline = time.monotonic() + 10
    while processes_with(env["SSEHUB_DATA_DIR"]) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert processes_with(env["SSEHUB_DATA_DIR"]) == []

    # Second run: completes; what the first run committed is found unchanged.
    second = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True,
                            timeout=60)
    assert second.returncode == 0, second.stderr[-2000:]
    results = [json.loads(line) for line in second.stdout.splitlines()]
    assert len(results) == N_FILES
    statuses = [r["status"] for r in results]
    assert "failed" not in statuses, [r for r in results if r["status"] == "failed"]
    assert statuses.count("unchanged") == killed_at
    assert statuses.count("created") + statuses.count("unchanged") == N_FILES

    with sqlite3.connect(db) as conn:
        q = lambda sql: conn.execute(sql).fetchall()  # noqa: E731
        assert q("SELECT COUNT(*) FROM library_item") == [(N_FILES,)]
        assert q("SELECT COUNT(*) FROM library_itemfile") == [(N_FILES,)]
        assert q("SELECT COUNT(DISTINCT sha256), COUNT(DISTINCT filename) FROM library_itemfile"
                 ) == [(N_FILES, N_FILES)]
        # No orphan or partial rows: every item has one file, one version, one status entry;
        # every file with a MinHash has its 32 bands.
        assert q("SELECT COUNT(*) FROM library_item i WHERE "
                 "(SELECT COUNT(*) FROM library_itemfile f WHERE f.item_id = i.id) != 1") == [(0,)]
        assert q("SELECT COUNT(*) FROM library_item i WHERE "
                 "(SELECT COUNT(*) FROM library_itemversion v WHERE v.item_id = i.id) != 1"
                 ) == [(0,)]
        assert q("SELECT COUNT(*) FROM library_item i WHERE "
                 "(SELECT COUNT(*) FROM library_statuschange s WHERE s.item_id = i.id) != 1"
                 ) == [(0,)]
        assert q("SELECT COUNT(*) FROM library_itemfile f WHERE f.minhash IS NOT NULL AND "
                 "(SELECT COUNT(*) FROM library_textband b WHERE b.file_id = f.id) != 32"
                 ) == [(0,)]
        assert q("SELECT COUNT(*) FROM library_textband b WHERE NOT EXISTS "
                 "(SELECT 1 FROM library_itemfile f WHERE f.id = b.file_id)") == [(0,)]
        sha = {row[0] for row in q("SELECT sha256 FROM library_itemfile")}
    paths = [p for p in (tmp_path / "data" / "files").rglob("*") if p.is_file()]
    named = {p.name: p for p in paths if not p.name.startswith(".tmp-")}
    assert sha <= set(named)  # every file row has its blob
    for name, path in named.items():  # and no blob is half-written under a valid name
        assert hashlib.sha256(path.read_bytes()).hexdigest() == name

    # A third run changes nothing.
    third = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True,
                           timeout=60)
    assert [json.loads(line)["status"] for line in third.stdout.splitlines()] == [
        "unchanged"] * N_FILES


pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
