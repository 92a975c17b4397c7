"""An ingest hook that takes its time, so that a kill lands inside an item's transaction."""

from __future__ import annotations

import time


def pause(item) -> None:
    time.sleep(0.1)
