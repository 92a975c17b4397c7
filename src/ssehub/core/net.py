"""Fetching user-supplied URLs without letting them reach inside the network (SSRF guard).

A URL is fetched only if every address its host resolves to is public, unless the host or a
network containing the address is listed in ``settings.SSEHUB_URL_ALLOWLIST``. The connection is
made to the address that was checked (not re-resolved), so DNS rebinding cannot slip past, and
every redirect is checked again.
"""

from __future__ import annotations

import email.utils
import ipaddress
import socket
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import urllib3
from django.conf import settings

MAX_REDIRECTS = 5
TOTAL_FACTOR = 10  # a whole download may take this many times SSEHUB_FETCH_TIMEOUT
USER_AGENT = "SSEHub/0.1 (+https://github.com/ssehub)"


class FetchError(Exception):
    """A URL that could not be fetched; the message says why, for the user."""


class UnresolvedHost(FetchError):
    """The URL's host name does not resolve (now: it may later, unlike a refused address)."""


@dataclass
class Fetched:
    url: str
    content: bytes
    content_type: str


def _allowlisted(host: str, address: ipaddress._BaseAddress) -> bool:
    for entry in settings.SSEHUB_URL_ALLOWLIST:
        if entry.lower() == host.lower():
            return True
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address carries (mapped, 6to4, Teredo): each must be public too."""
    out = []
    if address.ipv4_mapped:
        out.append(address.ipv4_mapped)
    if address.sixtofour:
        out.append(address.sixtofour)
    if address.teredo:
        out.extend(address.teredo)
    return out


def _is_public(address: ipaddress._BaseAddress) -> bool:
    """Globally routable unicast only: not loopback, private, link-local, shared (CGNAT
    100.64/10), benchmarking, documentation, reserved, multicast or unspecified."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if address.ipv4_mapped:
            return _is_public(address.ipv4_mapped)
        if not all(_is_public(inner) for inner in embedded):
            return False
    return (
        address.is_global
        and not address.is_multicast
        and not address.is_reserved
        and not address.is_unspecified
    )


def resolve_checked(url: str) -> tuple[str, str, int, str]:
    """Return (scheme, host, port, address) for a URL that may be fetched, or raise FetchError."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FetchError(f"only http and https URLs can be fetched, not {parts.scheme or 'none'!r}")
    host = parts.hostname
    if not host:
        raise FetchError("the URL has no host")
    if parts.username or parts.password:
        raise FetchError("URLs with a user name or password are not fetched")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UnresolvedHost(f"cannot resolve host {host!r}: {exc.strerror}") from exc
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    for address in addresses:
        if not _is_public(address) and not _allowlisted(host, address):
            raise FetchError(
                f"refused: {host} resolves to the non-public address {address} "
                "(allow it with SSEHUB_URL_ALLOWLIST if it is meant to be reached)"
            )
    return parts.scheme, host, port, str(addresses[0])


def _chunks(response, size: int = 64 * 1024):
    """The body as it arrives: ``read1`` returns what one read gives (``stream`` would wait
    for a full chunk, so a server sending a byte at a time would keep it there)."""
    if hasattr(response, "read1"):  # urllib3 >= 2.3
        while chunk := response.read1(size):
            yield chunk
    else:
        yield from response.stream(size)


RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


class HTTPStatusError(FetchError):
    """The server answered with an error status (``retry_after``: seconds it asked to wait)."""

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
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names

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


def request(url: str, *, headers: dict[str, str] | None = None, max_bytes: int | None = None,
            timeout: float | None = None) -> Response:
    """One guarded GET: every hop (each redirect too) resolved, checked and connected to the
    checked address; a timeout per wait and a deadline for the whole download; a size cap.
    Returns 2xx and 304 answers; raises :class:`HTTPStatusError` for 4xx/5xx and
    :class:`TransportError` for timeouts and broken connections (both are FetchErrors)."""
    max_bytes = max_bytes or settings.SSEHUB_MAX_FILE_BYTES
    timeout = timeout or settings.SSEHUB_FETCH_TIMEOUT
    # The timeout bounds each wait for the server; a server that sends a byte now and then
    # would never trip it, so the whole download also has a deadline.
    total = getattr(settings, "SSEHUB_FETCH_TOTAL_TIMEOUT", None) or timeout * TOTAL_FACTOR
    deadline = time.monotonic() + total
    for _hop in range(MAX_REDIRECTS + 1):
        scheme, host, port, address = resolve_checked(url)
        parts = urlsplit(url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        host_header = host if port in (80, 443) else f"{host}:{port}"
        if ":" in host and not host.startswith("["):
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


def fetch(url: str, *, max_bytes: int | None = None, timeout: float | None = None) -> Fetched:
    """GET a URL with the SSRF guard, a timeout and a size cap; the bytes or a FetchError."""
    response = request(url, max_bytes=max_bytes, timeout=timeout)
    return Fetched(response.url, response.content, response.content_type)
