"""Forking a process that holds Django's database connections: when, and what the child does.

Two parts of the hub fork helpers that need no database (the extraction workers of an ingest
batch, the page reader of a harvest), because a fork starts at once with everything loaded.
Two rules make that safe, and they live here so both keep them alike:

- ``fork`` copies only the calling thread: a lock another Python thread held at that moment (a
  web server's request threads, logging) stays locked in the child for ever. So only a
  single-threaded process forks, and not on macOS, whose system libraries (which the HTTP stack
  may call) are not fork-safe; the command line is such a process, the web server is not.
- The child inherits its parent's database connections. It must neither use them (its queries
  would interleave with the parent's on the same socket or file) nor close them (closing a
  PostgreSQL connection says goodbye to the server on the parent's behalf; closing SQLite's runs
  its last-connection cleanup): it keeps them referenced and unused, and leaves with
  ``os._exit``, which runs no finaliser, so they vanish with it.

This module imports no Django at module level: a spawned worker imports it before setting
Django up.
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
from typing import Any

_inherited: list[Any] = []


class ForkedQueryError(RuntimeError):
    """A forked helper that may not use the database tried to."""


def fork_is_safe() -> bool:
    """Whether this process may fork a helper: ``fork`` exists, it is not macOS, and no
    other Python thread runs."""
    return (sys.platform != "darwin" and "fork" in multiprocessing.get_all_start_methods()
            and threading.active_count() == 1)


def set_inherited_connections_aside(refuse: str = "", *, fresh: bool = False) -> None:
    """In a forked child: put the parent's connections out of use (a query opens one of the
    child's own), or, with ``refuse``, make every query raise :class:`ForkedQueryError` with
    that message. With ``fresh``, the child's queries go through new connection objects too,
    not the parent's (whose state, such as an open ``atomic`` block, is the parent's)."""
    from django.db import connections

    for conn in connections.all(initialized_only=True):
        if conn.connection is not None:
            _inherited.append(conn.connection)
            conn.connection = None
        if fresh:
            _inherited.append(conn)
            del connections[conn.alias]
    if refuse:
        def refused(execute, sql, params, many, context):
            raise ForkedQueryError(refuse)

        for conn in connections.all():
            conn.execute_wrappers.append(refused)
