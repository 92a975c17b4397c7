"""One write transaction at a time per process for survey saves on SQLite.

Why: SQLite allows one writer; the others wait in its busy handler, which sleeps and retries
with growing pauses and no queue. With 50 respondents submitting at once, some waiters lost
that lottery for the whole 10 s busy timeout and got "database is locked" (9 errors in 60 s
in bench/bench_surveys.py). Queueing survey writes of one process on a Python lock first
means only a handful ever wait inside SQLite. PostgreSQL has row locks: nothing to do.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from django.db import connection, transaction

_LOCK = threading.Lock()


@contextlib.contextmanager
def write_transaction() -> Iterator[None]:
    """``transaction.atomic()``, queued behind other survey writes when on SQLite."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        with transaction.atomic():
            yield
        return
    with _LOCK, transaction.atomic():
        yield
