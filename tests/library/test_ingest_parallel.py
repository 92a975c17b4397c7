"""A batch on several cores: extraction in worker processes gives the same results as one
process (created, exact and near duplicates, failures with their causes, in input order), the
workers see the settings of the caller, and a worker that dies fails only its own input."""

from __future__ import annotations

import os
from functools import partial

import pytest

from ssehub.library.ingest import inputs, parallel
from ssehub.library.ingest.pipeline import ingest

from . import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["fork", "spawn"])
def start(request, settings):
    """Both ways of starting workers: forked from this process (the CLI's way) and spawned
    (a threaded server's). A forked worker must leave its parent's database connection alone:
    the checks made after each batch use it (on PostgreSQL a closed copy ends the session)."""
    settings.SSEHUB_INGEST_START = request.param
    return request.param


def _batch(n: int) -> list[inputs.Input]:
    makers = [("pdf", f.pdf), ("docx", f.docx), ("html", f.html_page)]
    out = []
    for i in range(n):
        suffix, make = makers[i % 3]
        out.append(inputs.from_bytes(make(f.varied(i, seed=i)), f"doc-{i:02d}.{suffix}"))
    return out


def test_a_parallel_batch_gives_the_results_of_a_serial_one(stored, start):
    sources = _batch(parallel.MIN_BATCH)
    twin = f.report_pdf(f.REPORT_A)
    sources += [
        inputs.from_bytes(twin, "report.pdf"),
        inputs.from_bytes(f.html_page(f.REPORT_A), "report.html"),  # near duplicate
        inputs.from_bytes(twin, "copy-of-report.pdf"),  # same bytes in the same batch
        inputs.from_bytes(b"%PDF-1.4 this is not really a pdf", "broken.pdf"),
        inputs.from_bytes(b"", "empty.txt"),
    ]
    results = list(ingest(sources, jobs=2))
    assert [r.input for r in results] == [s.label for s in sources]  # input order
    statuses = [r.status for r in results]
    assert statuses[: parallel.MIN_BATCH + 1] == ["created"] * (parallel.MIN_BATCH + 1)
    assert statuses[-5:] == ["created", "duplicate", "unchanged", "failed", "failed"]
    assert results[-4].duplicate_of == results[-5].id
    assert results[-3].id == results[-5].id
    assert "pdf" in results[-2].reason.lower() and "empty" in results[-1].reason.lower()
    created = parallel.MIN_BATCH + 1
    assert stored() == {"items": created, "files": created + 1, "bands": 32 * (created + 1),
                        "versions": created, "blobs": created + 1}
    # A second run of the same batch finds everything, in the workers or before them.
    again = list(ingest(sources, jobs=2))
    assert [r.status for r in again][:-2] == ["unchanged"] * (len(sources) - 2)
    assert stored()["items"] == created


def test_workers_use_the_callers_settings(settings, start):
    settings.SSEHUB_MAX_FILE_BYTES = 1_000  # smaller than every generated PDF (~1,760 bytes)
    sources = [inputs.Input(label=f"doc-{i}.pdf", filename=f"doc-{i}.pdf",
                            reader=partial(_bytes, f.pdf(f.varied(i, seed=i))))
               for i in range(parallel.MIN_BATCH)]
    results = list(ingest(sources, jobs=2))
    assert {r.status for r in results} == {"failed"}
    assert all("over the size limit of 1,000" in r.reason for r in results)


def _bytes(data: bytes) -> bytes:
    return data


def _die() -> bytes:
    """Reading this input kills the process reading it, like a parser crashing outright."""
    os._exit(3)


def test_a_worker_that_dies_fails_only_its_input(stored, start):
    sources = _batch(parallel.MIN_BATCH)
    sources.insert(5, inputs.Input(label="crash.pdf", filename="crash.pdf", reader=_die))
    results = list(ingest(sources, jobs=2))
    by_input = {r.input: r for r in results}
    assert by_input["crash.pdf"].status == "failed"
    assert "extraction process died" in by_input["crash.pdf"].reason
    others = [r for r in results if r.input != "crash.pdf"]
    assert [r.status for r in others] == ["created"] * parallel.MIN_BATCH
    assert stored()["items"] == parallel.MIN_BATCH


def test_small_batches_stay_in_one_process(monkeypatch):
    monkeypatch.setattr(parallel, "ingest_parallel", _fail_if_called)
    results = list(ingest(_batch(3), jobs=4))
    assert [r.status for r in results] == ["created"] * 3


def _fail_if_called(*args, **kwargs):
    raise AssertionError("a pool was started for a small batch")


def test_known_files_are_looked_up_before_extraction_only_while_the_batch_finds_them(
        tmp_path, monkeypatch):
    """A re-run after an interruption skips the files it did (without extracting them again);
    once a new file comes, the main process stops reading and hashing files ahead of the
    workers, and a known file after that is still found, after its extraction."""
    folder = tmp_path / "batch"
    folder.mkdir()
    for i, source in enumerate(_batch(parallel.MIN_BATCH + 4)):
        (folder / f"{i:02d}-{source.label}").write_bytes(source.read())
    paths = sorted(folder.iterdir())
    looked_up: list[str] = []
    real_known = parallel.ParallelBatch._known

    def counting(source):
        looked_up.append(source.label)
        return real_known(source)

    monkeypatch.setattr(parallel.ParallelBatch, "_known", staticmethod(counting))
    first = list(ingest(inputs.expand([str(p) for p in paths[:6]]), jobs=1))
    assert [r.status for r in first] == ["created"] * 6
    # The six done first, then new files, then one of the first six again.
    again = [str(p) for p in paths] + [str(paths[2])]
    results = list(ingest(inputs.expand(again), jobs=2))
    statuses = [r.status for r in results]
    assert statuses == ["unchanged"] * 6 + ["created"] * (len(paths) - 6) + ["unchanged"]
    assert results[-1].id == first[2].id
    assert len(looked_up) == 7  # the six known files and the first new one


def test_workers_are_forked_only_from_a_single_threaded_process(settings):
    import threading

    settings.SSEHUB_INGEST_START = ""
    assert parallel._start_method() == "fork"
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        # A lock held by another thread at the fork would stay held in the child forever.
        assert parallel._start_method() == "spawn"
    finally:
        release.set()
        other.join()
