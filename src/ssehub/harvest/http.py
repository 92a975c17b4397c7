"""HTTP for harvesters: the SSRF guard of ``core.net`` plus what harvesting needs on top.

``core.net.fetch`` answers "the bytes or an error"; a harvester also needs the status and
headers (``Retry-After`` on 429/503, ``ETag``/``Last-Modified`` for conditional requests) and to
send ``If-None-Match``. So this module makes the request itself, but every hop (including each
redirect) goes through :func:`ssehub.core.net.resolve_checked` and connects to the checked
address, exactly as ``core.net.fetch`` does: a URL resolving to a private address is refused
unless allow-listed, and DNS rebinding cannot slip past.
"""

from __future__ import annotations

import email.utils
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import urllib3
from django.conf import settings

from ssehub.core.net import (
    MAX_REDIRECTS,
    TOTAL_FACTOR,
    USER_AGENT,
    FetchError,
    _chunks,
    resolve_checked,
)
from ssehub.harvest import conf

logger = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


class HTTPStatusError(FetchError):
    """The server answered with an error status."""

    def __init__(self, url: str, status: int, retry_after: float | None = None):
        self.status = status
        self.retry_after = retry_after
        super().__init__(f"HTTP {status} from {url}")

    @property
    def transient(self) -> bool:
        return self.status in RETRY_STATUSES


class TransportError(FetchError):
    """Timeout or broken connection: worth another try."""


@dataclass
class Response:
    url: str
    status: int
    content: bytes
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def get(url: str, *, headers: dict[str, str] | None = None, max_bytes: int | None = None,
        timeout: float | None = None) -> Response:
    """One guarded GET (redirects followed and re-checked); raise on errors, return 2xx/304."""
    max_bytes = max_bytes or settings.SSEHUB_MAX_FILE_BYTES
    timeout = timeout or settings.SSEHUB_FETCH_TIMEOUT
    total = getattr(settings, "SSEHUB_FETCH_TOTAL_TIMEOUT", None) or timeout * TOTAL_FACTOR
    deadline = time.monotonic() + total
    for _hop in range(MAX_REDIRECTS + 1):
        scheme, host, port, address = resolve_checked(url)
        parts = urlsplit(url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        host_header = host if port in (80, 443) else f"{host}:{port}"
        if ":" in host:
            host_header = f"[{host}]" if port in (80, 443) else f"[{host}]:{port}"
        kwargs = {"timeout": urllib3.Timeout(connect=timeout, read=timeout), "retries": False}
        if scheme == "https":
            pool = urllib3.HTTPSConnectionPool(
                address, port, server_hostname=host, assert_hostname=host, **kwargs
            )
        else:
            pool = urllib3.HTTPConnectionPool(address, port, **kwargs)
        try:
            response = pool.urlopen(
                "GET", path,
                headers={"Host": host_header, "User-Agent": USER_AGENT, **(headers or {})},
                redirect=False, preload_content=False,
            )
            got = {k.lower(): v for k, v in response.headers.items()}
            if response.status in (301, 302, 303, 307, 308):
                response.release_conn()
                if not got.get("location"):
                    raise FetchError(f"redirect without a Location from {url}")
                url = urljoin(url, got["location"])
                continue
            if response.status >= 400:
                response.release_conn()
                raise HTTPStatusError(url, response.status,
                                      parse_retry_after(got.get("retry-after")))
            declared = got.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise FetchError(f"{url} is {int(declared)} bytes, over the limit of {max_bytes}")
            chunks, received = [], 0
            for chunk in _chunks(response):
                received += len(chunk)
                if received > max_bytes:
                    raise FetchError(f"{url} is over the size limit of {max_bytes} bytes")
                if time.monotonic() > deadline:
                    raise TransportError(f"{url} took longer than {total:g} s to download")
                chunks.append(chunk)
            return Response(url, response.status, b"".join(chunks), got)
        except (TimeoutError, urllib3.exceptions.TimeoutError) as exc:
            raise TransportError(f"timed out after {timeout:g} s fetching {url}") from exc
        except urllib3.exceptions.HTTPError as exc:
            raise TransportError(f"could not fetch {url}: {exc}") from exc
        finally:
            pool.close()
    raise FetchError(f"more than {MAX_REDIRECTS} redirects from {url}")


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
    attempts = max(1, int(conf.get("SSEHUB_HARVEST_RETRIES")))
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
