"""The in-process task runner of ``ssehub run``: periodic jobs without cron or a broker.

A daemon thread wakes up every ``interval`` seconds and runs each job; a failing job is logged
and tried again next time. At scale, the same jobs run from cron (``ssehub harvest run --due``,
``ssehub search alerts``) and this runner is turned off (``SSEHUB_SCHEDULER=0``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from django.db import close_old_connections

logger = logging.getLogger(__name__)


def run_due_harvests() -> None:
    from ssehub.harvest import services

    runs = list(services.run_many(services.due_sources()))  # a generator: runs as it is read
    if runs:
        logger.info("scheduler: %d due harvests run", len(runs))


def send_due_survey_reminders() -> None:
    from ssehub.surveys import services

    services.remind_due()


def remind_late_reviewers() -> None:
    from ssehub.calls.reviewing import remind

    remind()


DEFAULT_JOBS: list[Callable[[], None]] = [
    run_due_harvests, send_due_survey_reminders, remind_late_reviewers,
]


class Scheduler:
    def __init__(self, jobs: list[Callable[[], None]], interval: float) -> None:
        self.jobs, self.interval = jobs, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="ssehub-scheduler", daemon=True)

    def start(self) -> Scheduler:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def run_once(self) -> None:
        for job in self.jobs:
            try:
                job()
            except Exception:  # a job's failure must not end the loop
                logger.exception("scheduled job %s failed", getattr(job, "__name__", job))
            finally:
                close_old_connections()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.run_once()
