"""Harvest settings, read from Django settings first and the environment second.

They live here rather than in ``settings.py`` so the harvest app stays self-contained; each one
can still be set in settings (tests do) or as an environment variable of the same name.
"""

from __future__ import annotations

import os

from django.conf import settings

DEFAULTS: dict[str, float] = {
    # Attempts per request on a transient failure (timeout, 429, 5xx) before the run stops.
    "SSEHUB_HARVEST_RETRIES": 5,
    # First back-off in seconds; doubles with each attempt unless the server says Retry-After.
    "SSEHUB_HARVEST_BACKOFF": 2.0,
    # No single wait is longer than this (tests set it to a few milliseconds).
    "SSEHUB_HARVEST_MAX_SLEEP": 300.0,
    # Seconds between two requests to the same host for web pages and linked feed pages.
    "SSEHUB_HARVEST_DELAY": 1.0,
    # Records or URLs per committed page for sources that have no pages of their own.
    "SSEHUB_HARVEST_PAGE_SIZE": 50,
}


def get(name: str) -> float:
    """The setting ``name``: Django settings, else the environment, else the default."""
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name)
    if value is None:
        value = DEFAULTS[name]
    return float(value)
