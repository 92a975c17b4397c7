"""The in-process scheduler of ``ssehub run``."""

from __future__ import annotations

import threading

from ssehub.core.scheduler import Scheduler


def test_jobs_run_periodically_and_a_failure_does_not_stop_the_loop():
    calls: list[str] = []
    twice = threading.Event()

    def failing():
        calls.append("fail")
        raise RuntimeError("boom")

    def counting():
        calls.append("ok")
        if calls.count("ok") >= 2:
            twice.set()

    scheduler = Scheduler([failing, counting], interval=0.05).start()
    try:
        assert twice.wait(5), calls
    finally:
        scheduler.stop()
    assert calls[:2] == ["fail", "ok"]
    assert calls.count("fail") >= 2
