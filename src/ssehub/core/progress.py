"""A progress bar for long commands, on stderr so that stdout stays machine-readable."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn


@contextmanager
def progress(
    label: str, total: int | None, enabled: bool = True
) -> Iterator[Callable[[int], None]]:
    """Yield ``advance(n=1)``; draws a bar on an interactive stderr, nothing otherwise.

    The bar is redrawn by ``advance`` (at most ten times a second), not by rich's refresh
    thread: a process with a second thread may not fork, and ``ssehub ingest`` forks its
    extraction workers (see ``ssehub.library.ingest.parallel``)."""
    console = Console(file=sys.stderr)
    if not enabled or not console.is_terminal:
        yield lambda n=1: None
        return
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeRemainingColumn(), console=console, transient=True, auto_refresh=False,
    ) as bar:
        task = bar.add_task(label, total=total)
        drawn = 0.0

        def advance(n: int = 1) -> None:
            nonlocal drawn
            bar.advance(task, n)
            if time.monotonic() - drawn >= 0.1:
                bar.refresh()
                drawn = time.monotonic()

        yield advance
