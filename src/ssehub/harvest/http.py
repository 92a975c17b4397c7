"""HTTP for harvesters: the SSRF guard of ``core.net`` plus what harvesting needs on top.

Requests are ``core.net.request`` (the guarded GET that returns the status and headers:
``Retry-After`` on 429/503, ``ETag``/``Last-Modified`` for conditional requests); this module
adds retries with back-off on transient failures.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from ssehub.core.net import (
    FetchError,
    HTTPStatusError,
    Response,
    TransportError,
    parse_retry_after,
)
from ssehub.core.net import request as get
from ssehub.harvest import conf

logger = logging.getLogger(__name__)

__all__ = ["FetchError", "HTTPStatusError", "Response", "TransportError", "backoff", "get",
           "get_with_retries", "parse_retry_after", "single_attempt"]

_SINGLE_ATTEMPT: ContextVar[bool] = ContextVar("harvest_single_attempt", default=False)


@contextmanager
def single_attempt() -> Iterator[None]:
    """Inside, :func:`get_with_retries` tries once: a check of a source answers while someone
    waits, and must say "503" rather than sleep through a server's Retry-After."""
    token = _SINGLE_ATTEMPT.set(True)
    try:
        yield
    finally:
        _SINGLE_ATTEMPT.reset(token)


def backoff(attempt: int, retry_after: float | None) -> float:
    """Seconds to wait before attempt ``attempt + 1``: what the server asked, else doubling;
    never more than SSEHUB_HARVEST_MAX_SLEEP."""
    wait = retry_after if retry_after is not None else conf.get("SSEHUB_HARVEST_BACKOFF") * (
        2 ** attempt)
    return min(wait, conf.get("SSEHUB_HARVEST_MAX_SLEEP"))


def get_with_retries(
    url: str, *, headers: dict[str, str] | None = None, max_bytes: int | None = None,
    sleep: Callable[[float], None] | None = None,
) -> Response:
    """:func:`get`, retrying timeouts, dropped connections, 429 and 5xx with back-off.

    Refusals (private address, size limit, 404) are not retried: they will not get better.
    """
    attempts = 1 if _SINGLE_ATTEMPT.get() else max(1, int(conf.get("SSEHUB_HARVEST_RETRIES")))
    for attempt in range(attempts):
        try:
            return get(url, headers=headers, max_bytes=max_bytes)
        except HTTPStatusError as exc:
            if not exc.transient or attempt == attempts - 1:
                raise
            wait = backoff(attempt, exc.retry_after)
        except TransportError:
            if attempt == attempts - 1:
                raise
            wait = backoff(attempt, None)
        logger.warning("retrying %s in %.1f s (attempt %d of %d)", url, wait, attempt + 2,
                       attempts)
        (sleep or time.sleep)(wait)
    raise AssertionError("unreachable")  # pragma: no cover
