"""Fetching user-supplied URLs without letting them reach inside the network (SSRF guard).

A URL is fetched only if every address its host resolves to is public, unless the host or a
network containing the address is listed in ``settings.SSEHUB_URL_ALLOWLIST``. The connection is
made to the address that was checked (not re-resolved), so DNS rebinding cannot slip past, and
every redirect is checked again.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import urllib3
from django.conf import settings

MAX_REDIRECTS = 5
USER_AGENT = "SSEHub/0.1 (+https://github.com/ssehub)"


class FetchError(Exception):
    """A URL that could not be fetched; the message says why, for the user."""


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


def _is_public(address: ipaddress._BaseAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
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
        raise FetchError(f"cannot resolve host {host!r}: {exc.strerror}") from exc
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    for address in addresses:
        if not _is_public(address) and not _allowlisted(host, address):
            raise FetchError(
                f"refused: {host} resolves to the non-public address {address} "
                "(allow it with SSEHUB_URL_ALLOWLIST if it is meant to be reached)"
            )
    return parts.scheme, host, port, str(addresses[0])


def fetch(url: str, *, max_bytes: int | None = None, timeout: float | None = None) -> Fetched:
    """GET a URL with the SSRF guard, a timeout and a size cap; follow checked redirects."""
    max_bytes = max_bytes or settings.SSEHUB_MAX_FILE_BYTES
    timeout = timeout or settings.SSEHUB_FETCH_TIMEOUT
    for _hop in range(MAX_REDIRECTS + 1):
        scheme, host, port, address = resolve_checked(url)
        parts = urlsplit(url)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
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
                "GET", path, headers={"Host": host_header, "User-Agent": USER_AGENT},
                redirect=False, preload_content=False,
            )
            if response.status in (301, 302, 303, 307, 308):
                location = response.headers.get("Location")
                response.release_conn()
                if not location:
                    raise FetchError(f"redirect without a Location from {url}")
                url = urljoin(url, location)
                continue
            if response.status >= 400:
                raise FetchError(f"HTTP {response.status} from {url}")
            declared = response.headers.get("Content-Length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise FetchError(f"{url} is {int(declared)} bytes, over the limit of {max_bytes}")
            chunks, total = [], 0
            for chunk in response.stream(64 * 1024):
                total += len(chunk)
                if total > max_bytes:
                    raise FetchError(f"{url} is over the size limit of {max_bytes} bytes")
                chunks.append(chunk)
            return Fetched(url, b"".join(chunks), response.headers.get("Content-Type", ""))
        except (TimeoutError, urllib3.exceptions.TimeoutError) as exc:
            raise FetchError(f"timed out after {timeout:g} s fetching {url}") from exc
        except urllib3.exceptions.HTTPError as exc:
            raise FetchError(f"could not fetch {url}: {exc}") from exc
        finally:
            pool.close()
    raise FetchError(f"more than {MAX_REDIRECTS} redirects from {url}")
