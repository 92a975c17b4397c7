"""Applying the search outbox in a forked process while a long batch writes (a harvest).

Why: a harvest from a fast source spends about a fifth of its time in the run's process
building index documents from the rows it has just stored and writing them to the index (the
outbox drained every few seconds, ``ssehub.library.ingest.pipeline.INDEX_SECONDS``). That work
needs nothing of the run but committed rows, so a forked *follower* drains the outbox on the
other core while the run stores the next pages, and the run's process does only the storing.
At the end the follower drains what is left and exits, so when the run returns its items are
searchable, as without it.

When (:func:`why_not` says why not, for the log):

- ``fork`` must be safe here (``ssehub.core.forking.fork_is_safe``: the command line, not the
  web server's threads) and the database must be one a second connection sees (not SQLite in
  memory, as in tests);
- this process must not have started the search engines yet: tantivy runs native threads per
  open index and the encoder has its own, which a forked child does not get, so a child that
  used what it inherited could wait for ever. The follower opens its own, after the fork;
- with SDG mapping and semantic search both on (the default), the run's process already
  encodes each item's text for the mapper and keeps the vector for the indexer; a follower
  would encode every text a second time, so it is not worth it there (``auto``), though
  ``process`` forces it;
- ``SSEHUB_SEARCH_INLINE`` must be on: off, a worker applies the outbox.

Nothing is lost if the follower dies: outbox rows are deleted only after the index commit
that applied them, so whatever it did not apply is still there for the caller's own drain
(``ssehub.search.outbox.deferred`` applies the rest at its end).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

from django.conf import settings
from django.db import connection

from ssehub.core import forking

logger = logging.getLogger(__name__)

MODES = ("auto", "process", "inline")
# Between drains. Each drain is an index commit, but the run waits at its end for the last
# one, which applies what was stored since the one before: at 2 s that wait was 0.6-0.7 s of
# a 5.4 s harvest of 20,000 records, at 0.5 s 0.04-0.5 s, with no more CPU spent in all
# (3 runs each; 0.2 s was no better).
POLL_SECONDS = 0.5
JOIN_SECONDS = 120.0  # for the last drain: what the run wrote since the one before
NAME = "search-index-follower"


def mode() -> str:
    """The setting ``SSEHUB_HARVEST_INDEXER``: ``auto``, ``process`` or ``inline``."""
    value = str(getattr(settings, "SSEHUB_HARVEST_INDEXER", "") or "auto").lower()
    if value not in MODES:
        raise ValueError(f"SSEHUB_HARVEST_INDEXER must be one of {', '.join(MODES)}, "
                         f"not {value!r}")
    return value


def engines_started() -> bool:
    """Whether this process has opened a tantivy index or loaded the encoder (both run
    native threads that a forked child would not have)."""
    from ssehub.core import embeddings
    from ssehub.search.backends.tantivy_backend import TantivyBackend

    return bool(TantivyBackend._indexes) or embeddings._model is not None


def why_not(how: str | None = None) -> str:
    """Why the outbox is not followed in a process here and now; "" when it is."""
    how = how or mode()
    if how == "inline":
        return "SSEHUB_HARVEST_INDEXER is inline"
    if not settings.SSEHUB_SEARCH_INLINE:
        return "the outbox is a worker's (SSEHUB_SEARCH_INLINE is off)"
    if (how == "auto" and settings.SSEHUB_SDG_AUTOMAP and settings.SSEHUB_SEARCH_SEMANTIC):
        return "the SDG mapper's vectors are kept in this process for the indexer"
    if not forking.fork_is_safe():
        return "this process may not fork (other threads run)"
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        return "the database is in memory"
    if connection.in_atomic_block:
        return "inside a transaction (a second connection would not see its rows)"
    if engines_started():
        return "this process has started the search engines"
    return ""


@dataclass
class Follower:
    """A running follower, as :func:`following` yields it."""

    process: multiprocessing.process.BaseProcess

    @property
    def pid(self) -> int | None:
        return self.process.pid


@contextmanager
def following(how: str | None = None) -> Iterator[Follower | None]:
    """Drain the outbox in a forked process for the duration of the block, where
    :func:`why_not` allows it; yields the follower, or None (the caller drains itself).

    On exit the follower is told to stop: it drains once more (what was committed until then)
    and exits. If it died, or does not finish in ``JOIN_SECONDS``, the caller's own drain
    applies the rest."""
    reason = why_not(how)
    if reason:
        logger.debug("search index follower not used: %s", reason)
        yield None
        return
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_follow, args=(receiver, sender, os.getpid()),
                              name=NAME, daemon=True)
    process.start()
    receiver.close()  # the child's end
    logger.debug("search index follower: process %s", process.pid)
    try:
        yield Follower(process)
    finally:
        with suppress(BrokenPipeError, ConnectionResetError):  # it is gone already
            sender.send("stop")
        sender.close()
        process.join(JOIN_SECONDS)
        if process.is_alive():
            logger.warning("search index follower (process %s) did not finish its last drain "
                           "in %.0f s; the outbox keeps the rest", process.pid, JOIN_SECONDS)
            process.kill()
            process.join(JOIN_SECONDS)
        elif process.exitcode:
            logger.warning("search index follower (process %s) ended with exit code %s; the "
                           "outbox keeps what it did not apply", process.pid, process.exitcode)
        process.close()


def _follow(receiver, sender, parent: int) -> None:
    """The child: drain, wait for a word or ``POLL_SECONDS``, again; a last drain on "stop".
    A parent that died (its end of the pipe closed, or this process re-parented) ends it
    without one: whatever it left is in the outbox for the next drain."""
    from django.db import connections

    from ssehub.search import outbox

    sender.close()
    forking.set_inherited_connections_aside(fresh=True)
    try:
        while True:
            outbox.apply_inline()  # logs a failure; the rows stay for the next drain
            try:
                if receiver.poll(POLL_SECONDS):
                    receiver.recv()
                    outbox.apply_inline()
                    return
            except (EOFError, OSError):
                return
            if os.getppid() != parent:
                return
    finally:
        connections.close_all()  # the child's own connections; the inherited ones are aside
