"""What runs inside an extraction worker process (see :mod:`.parallel`).

A spawned worker imports this module in a fresh interpreter before Django is set up (it
unpickles the functions by module name), so it imports nothing from Django or the hub at module
level; a forked one has everything its parent had.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

from ssehub.core import forking


def _exit_with_parent(parent: int) -> None:
    """A batch killed with ``kill -9`` cannot stop its workers, and they would wait for work
    forever (their task queue stays open): each one leaves when its parent is gone."""
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(0)


def start(overrides: dict[str, Any] | None, parent: int | None = None) -> None:
    """Make the worker ready: Django set up with the parent's settings.

    ``overrides`` is None in a forked worker, which has its parent's Django and settings
    already; a spawned one sets Django up and applies them.
    """
    if parent is not None:
        threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()
    if overrides is None:
        forking.set_inherited_connections_aside()
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ssehub.settings")
    import django

    django.setup()
    from django.conf import settings

    for name, value in overrides.items():
        setattr(settings, name, value)


def analyse_input(source: Any, given: dict[str, Any]) -> Any:
    """The database-free half of ``ingest_one``: a ``Prepared``, or a failed ``Result``."""
    from ssehub.library import storage
    from ssehub.library.ingest.pipeline import analyse, failure, read_checked

    digest = ""
    try:
        data = read_checked(source)
        if data is None:  # never sent here: metadata-only rows stay in the main process
            raise ValueError("no bytes to analyse")
        digest = storage.sha256_bytes(data)
        return analyse(source, data, digest, given)
    except Exception as exc:
        return failure(source.label, exc, digest)
