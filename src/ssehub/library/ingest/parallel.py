"""A batch on several cores: extraction in worker processes, the database in this one.

Reading, type detection, text extraction (pypdf, python-docx, trafilatura), language detection
and the MinHash fingerprint are CPU-bound and need no database: they are most of the cost of
ingesting a document, and they run in a pool of worker processes. Where the platform can
``fork`` and this process runs no other Python thread, the workers are forks of it: they start
at once with Django and the extractors already loaded (a spawned worker spends about a second
importing them, 5-7% of a 2,400-document batch on two cores), and they set the inherited
database connections aside unused (see :mod:`.worker`). Elsewhere (a threaded web server, a
platform without ``fork``) they are spawned: a clean interpreter each. Everything that touches
the database (metadata validation, deduplication, the item's transaction, the hooks) stays in
this process and runs in input order, through the same
:func:`~ssehub.library.ingest.pipeline.store_prepared` as a single upload, so a batch gives the
same results, one transaction per item, as one at a time, and a ``kill -9`` loses nothing
either: the workers hold nothing that is not recomputed.

A worker that dies (a file that crashes a parser outright) fails only the input it was on:
the pool is restarted, the input is tried once more on its own, and the batch goes on.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from ssehub.core import forking
from ssehub.library import storage
from ssehub.library.ingest import worker
from ssehub.library.ingest.inputs import Input
from ssehub.library.ingest.pipeline import (
    FAILED,
    Options,
    Prepared,
    Result,
    existing_file,
    failure,
    ingest_one,
    store_prepared,
)

logger = logging.getLogger(__name__)

# Below this many inputs a pool costs more than it saves (each worker starts a Django and
# imports the extractors: about a second).
MIN_BATCH = 16
AHEAD = 4  # inputs in flight per worker: enough to keep them busy, little memory


def default_jobs() -> int:
    """Worker processes for a batch: SSEHUB_INGEST_JOBS, or the machine's cores (at most 4)."""
    configured = int(getattr(settings, "SSEHUB_INGEST_JOBS", 0) or 0)
    return configured if configured > 0 else min(os.cpu_count() or 1, 4)


def _settings_for_workers() -> dict[str, Any]:
    """The hub's settings as this process sees them (tests and callers may override them)."""
    out = {}
    for name in dir(settings):
        if name.startswith("SSEHUB_"):
            value = getattr(settings, name)
            try:
                pickle.dumps(value)
            except Exception:  # noqa: BLE001
                logger.debug("setting %s cannot reach the workers: they keep its default", name)
            else:
                out[name] = value
    return out


def _start_method() -> str:
    """``fork`` when it is safe here (:func:`ssehub.core.forking.fork_is_safe`: the CLI),
    else ``spawn``. ``SSEHUB_INGEST_START`` forces either."""
    forced = getattr(settings, "SSEHUB_INGEST_START", "")
    if forced in ("fork", "spawn"):
        return forced
    return "fork" if forking.fork_is_safe() else "spawn"


@dataclass
class _Pending:
    source: Input
    future: Future | None  # None: done in this process (known file, metadata-only row)


class ParallelBatch:
    """Runs inputs through the pipeline with ``jobs`` extraction workers, in input order."""

    def __init__(self, options: Options, jobs: int) -> None:
        self.options, self.jobs = options, jobs
        self.overrides = _settings_for_workers()
        self.pool = self._new_pool()
        self.window: deque[_Pending] = deque()
        # Look files up before extracting them only while the batch keeps finding known ones
        # (a re-run after an interruption walks what it did first): a new batch pays one
        # lookup, not a read, a hash and a query per file in this process, the busiest one.
        self.precheck = True

    def _new_pool(self) -> ProcessPoolExecutor:
        method = _start_method()
        return ProcessPoolExecutor(
            max_workers=self.jobs, mp_context=multiprocessing.get_context(method),
            initializer=worker.start,
            initargs=(self.overrides if method == "spawn" else None, os.getpid()),
        )

    def close(self) -> None:
        for pending in self.window:
            if pending.future is not None:
                pending.future.cancel()
        self.pool.shutdown(wait=True, cancel_futures=True)

    def run(self, sources: Iterator[Input]) -> Iterator[Result]:
        try:
            for source in sources:
                self.window.append(self._submit(source))
                while len(self.window) >= self.jobs * AHEAD:
                    yield self._finish(self.window.popleft())
            while self.window:
                yield self._finish(self.window.popleft())
        finally:
            self.close()

    def _given(self, source: Input) -> dict[str, Any]:
        return {**self.options.defaults, **source.metadata}

    def _submit(self, source: Input) -> _Pending:
        if source.reader is None or source.error:
            return _Pending(source, None)
        if self.precheck:
            if self._known(source):
                return _Pending(source, None)
            self.precheck = False
        try:
            future = self.pool.submit(worker.analyse_input, source, self._given(source))
        except BrokenProcessPool as exc:
            # An input ahead of this one killed its worker: this one is resubmitted once that
            # input reaches the head of the window and the pool is restarted.
            future = Future()
            future.set_exception(exc)
        return _Pending(source, future)

    @staticmethod
    def _known(source: Input) -> bool:
        """A local file the library already has: no need to extract it again (a re-run).
        A file missed here is still found by ``store_prepared``, after its extraction."""
        if source.path is None:
            return False
        try:
            data = source.read()
        except Exception:  # noqa: BLE001 - the worker reports the same error properly
            return False
        return data is not None and existing_file(storage.sha256_bytes(data)) is not None

    def _finish(self, pending: _Pending) -> Result:
        source = pending.source
        if pending.future is None:
            return ingest_one(source, self.options)
        try:
            outcome = pending.future.result()
        except BrokenProcessPool:
            outcome = self._after_crash(source)
        if isinstance(outcome, Result):
            return outcome
        try:
            return store_prepared(source, outcome, self.options)
        except Exception as exc:
            return failure(source.label, exc, outcome.digest)

    def _after_crash(self, source: Input) -> Prepared | Result:
        """A worker died: retry this input alone in a new pool, then resubmit the others."""
        logger.warning("an extraction worker died while %s was in flight", source.label)
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.pool = self._new_pool()
        try:
            outcome = self.pool.submit(worker.analyse_input, source, self._given(source)).result()
        except BrokenProcessPool:
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = self._new_pool()
            outcome = Result(source.label, FAILED,
                             reason="the extraction process died on this file (a parser crash)")
        for i, pending in enumerate(self.window):
            if pending.future is not None:
                self.window[i] = self._submit(pending.source)
        return outcome


def ingest_parallel(sources: Iterator[Input], options: Options, jobs: int) -> Iterator[Result]:
    """Results of the inputs in order, extraction spread over ``jobs`` worker processes."""
    yield from ParallelBatch(options, jobs).run(sources)
