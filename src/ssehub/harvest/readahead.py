"""Fetching the next page while this one is stored: in a forked process, or in a thread.

Why: a harvest of a remote repository waits for the network about as long as it works (a page
of a hundred OAI records takes a typical repository 0.1-1 s to answer, and us about as long to
store); fetching ahead overlaps the two, so a run takes about the longer of them instead of
their sum. Pages and the error that ends them (a :class:`HarvestError`) come out in order, so
checkpoints are committed exactly as without it; at most one page waits while the next one is
being fetched.

Why a process when it can: a thread overlaps the network, not the parsing. From a server that
answers at once, the reading thread's XML parsing and the storing thread's SQL contend for the
GIL (the storing thread waits for it after each statement: a page's INSERTs took three times
as long), and a run took as long as with no read-ahead at all. A forked process parses on the
other core, and only pickled pages cross the pipe. It is forked only where
:func:`ssehub.core.forking.fork_is_safe` (the command line, cron's ``harvest run --due``); the
web server's task runner, and a test with its servers in threads, get the thread.

Either way the reader runs the harvester's ``pages()`` and nothing else: it must not touch the
database (a thread has a connection of its own, which would not see the run's uncommitted
writes; a forked child may not use the parent's, and its queries are refused).
"""

from __future__ import annotations

import multiprocessing
import queue
import threading
from collections.abc import Iterator
from typing import Any

from django.conf import settings

from ssehub.core import forking
from ssehub.harvest.sources import HarvestError, Page

MODES = ("auto", "process", "thread", "off")
JOIN_SECONDS = 10.0  # to wait for the reader when a run stops early
THREAD_NAME = "harvest-read-ahead"


def mode() -> str:
    """The setting ``SSEHUB_HARVEST_READ_AHEAD``: ``auto`` (a process where forking is safe,
    else a thread), ``process``, ``thread`` or ``off``."""
    value = str(getattr(settings, "SSEHUB_HARVEST_READ_AHEAD", "") or "auto").lower()
    if value not in MODES:
        raise ValueError(f"SSEHUB_HARVEST_READ_AHEAD must be one of {', '.join(MODES)}, "
                         f"not {value!r}")
    return value


def chosen(how: str | None = None) -> str:
    """What ``how`` (default: the setting) means here and now: process, thread or off."""
    how = how or mode()
    if how == "auto":
        return "process" if forking.fork_is_safe() else "thread"
    return how


def pages_ahead(pages: Iterator[Page], how: str | None = None) -> Iterator[Page]:
    """``pages``, read one page ahead as ``how`` (default: the setting) says."""
    how = chosen(how)
    if how == "off":
        return pages
    return in_process(pages) if how == "process" else in_thread(pages)


# --- a thread --------------------------------------------------------------------------------

def in_thread(pages: Iterator[Page]) -> Iterator[Page]:
    """The same pages, the next one fetched in a thread while the caller stores this one."""
    ready: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def hand_over(kind: str, value: Any) -> bool:
        while not stop.is_set():
            try:
                ready.put((kind, value), timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def fetch() -> None:
        try:
            for page in pages:
                if not hand_over("page", page):
                    return
            hand_over("end", None)
        except BaseException as exc:  # handed to the caller, raised there in order
            hand_over("error", exc)

    thread = threading.Thread(target=fetch, name=THREAD_NAME, daemon=True)
    thread.start()
    try:
        while True:
            kind, value = ready.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        thread.join(JOIN_SECONDS)


# --- a process -------------------------------------------------------------------------------

def in_process(pages: Iterator[Page]) -> Iterator[Page]:
    """The same pages, read by a forked child and sent through a pipe.

    The pipe holds the child back (it blocks on sending the page after next until this one
    is taken), and it is what ends the child whatever happens here: a run that stops early
    terminates it, and a parent killed with ``kill -9`` closes the pipe's last reading end, so
    the child's next send fails and it exits (no orphan left fetching the rest of the source).
    """
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_produce, args=(pages, receiver, sender),
                            name=THREAD_NAME, daemon=True)
    child.start()
    sender.close()  # the child's end: only the child holds it now
    finished = False
    try:
        while True:
            try:
                kind, value = receiver.recv()
            except EOFError:
                child.join(JOIN_SECONDS)
                raise HarvestError(
                    f"the page reader (process {child.pid}) ended without a word "
                    f"(exit code {child.exitcode})") from None
            if kind == "end":
                finished = True
                return
            if kind == "error":
                finished = True
                raise value
            yield value
    finally:
        receiver.close()
        if not finished:
            child.terminate()
        child.join(JOIN_SECONDS)
        if child.is_alive():
            child.kill()
            child.join(JOIN_SECONDS)
        child.close()


def _produce(pages: Iterator[Page], receiver, sender) -> None:
    """The child: read ``pages`` and send each, then how they ended. Runs after ``fork``."""
    receiver.close()
    forking.set_inherited_connections_aside(refuse=(
        "a harvester's pages() may not use the database when read ahead (a forked reader "
        "would not see the run's uncommitted writes): set its read_ahead to False"))
    try:
        while True:
            try:
                message: tuple[str, Any] = ("page", next(pages))
            except StopIteration:
                message = ("end", None)
            except BaseException as exc:  # sent to the parent, raised there in order
                message = ("error", exc)
            try:
                sender.send(message)
            except (BrokenPipeError, ConnectionResetError):
                return  # the parent stopped reading: it stopped early, or was killed
            except Exception as exc:  # something that does not pickle: its text does
                kind, value = message
                what = "a page" if kind == "page" else f"{type(value).__name__}: {value}"
                sender.send(("error", HarvestError(
                    f"the page reader could not send {what} ({type(exc).__name__}: {exc})")))
                return
            if message[0] != "page":
                return
    finally:
        sender.close()
