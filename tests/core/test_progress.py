"""The progress bar of long commands: drawn on a terminal without a thread of its own."""

from __future__ import annotations

import io
import threading

from rich.console import Console

from ssehub.core import progress as progress_module


def test_the_bar_draws_on_a_terminal_without_starting_a_thread(monkeypatch):
    """``ssehub ingest`` forks its workers only from a single-threaded process, and it runs
    inside this bar: rich's own refresh thread would make every batch spawn them instead."""
    screen = io.StringIO()
    monkeypatch.setattr(progress_module, "Console",
                        lambda file: Console(file=screen, force_terminal=True, width=80))
    before = threading.active_count()
    with progress_module.progress("Ingesting", total=3) as advance:
        for _ in range(3):
            advance()
            assert threading.active_count() == before
    assert "Ingesting" in screen.getvalue()


def test_no_bar_when_stderr_is_not_a_terminal(capsys):
    with progress_module.progress("Ingesting", total=3) as advance:
        advance()
    assert "Ingesting" not in capsys.readouterr().err
