"""The SSRF guard of ssehub.core.net: which URLs may be fetched, decided before connecting.

Only literal addresses and "localhost" are used, so no test depends on DNS; a connection to
anything but 127.0.0.1 is blocked by the fixture, so a regression cannot reach a real network.
"""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ssehub.core.net import FetchError, fetch, resolve_checked


@pytest.fixture
def connects(monkeypatch):
    attempts: list = []
    real_connect = socket.socket.connect

    def connect(self, address):
        attempts.append(tuple(address[:2]))
        if address[0] != "127.0.0.1":
            raise ConnectionRefusedError(f"blocked by the test suite: {address[0]}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return attempts


@pytest.fixture
def server():
    """A loopback server answering every GET with a fixed body and recording the Host header."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            seen.append(self.headers.get("Host", ""))
            body = b"hello from loopback"
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    httpd.seen = seen
    yield httpd
    httpd.shutdown()
    httpd.server_close()


FORBIDDEN = [
    "http://127.0.0.1/",
    "http://127.255.255.254:8080/",
    "http://localhost/",
    "http://0.0.0.0/",
    "http://0/",
    "http://2130706433/",  # 127.0.0.1 as a number
    "http://0x7f000001/",  # and in hex
    "http://10.0.0.1/",
    "http://172.16.5.4/",
    "http://192.168.0.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/",  # carrier-grade NAT (shared address space)
    "http://198.18.0.1/",  # benchmarking
    "http://192.0.2.1/",  # documentation
    "http://224.0.0.1/",  # multicast
    "http://255.255.255.255/",
    "http://[::1]/",
    "http://[::]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:10.0.0.1]/",
    "http://[fe80::1]/",
    "http://[fd00::1]/",
    "http://[2002:7f00:1::1]/",  # 6to4 wrapping 127.0.0.1
    "http://[2002:a00:1::1]/",  # 6to4 wrapping 10.0.0.1
    "http://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/",  # Teredo, client 10.0.0.1
]


@pytest.mark.parametrize("url", FORBIDDEN)
def test_non_public_addresses_are_refused_without_connecting(url, settings, connects):
    settings.SSEHUB_URL_ALLOWLIST = []
    with pytest.raises(FetchError, match=r"^refused: .* non-public address"):
        fetch(url, timeout=1)
    assert connects == []


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file:///etc/passwd", "only http and https URLs can be fetched, not 'file'"),
        ("gopher://127.0.0.1:70/_x", "only http and https URLs can be fetched, not 'gopher'"),
        ("ftp://example.org/x", "only http and https URLs can be fetched, not 'ftp'"),
        ("//example.org/x", "only http and https URLs can be fetched, not 'none'"),
        ("http:///path-only", "the URL has no host"),
        ("http://user:pw@8.8.8.8/", "URLs with a user name or password are not fetched"),
        ("http://8.8.8.8@127.0.0.1/", "URLs with a user name or password are not fetched"),
    ],
)
def test_other_refusals(url, message, connects):
    with pytest.raises(FetchError) as caught:
        fetch(url, timeout=1)
    assert str(caught.value) == message
    assert connects == []


@pytest.mark.parametrize(
    ("address", "public"),
    [("8.8.8.8", True), ("1.1.1.1", True), ("2001:4860:4860::8888", True),
     ("93.184.216.34", True)],
)
def test_public_literal_addresses_pass_the_check(address, public):
    host = f"[{address}]" if ":" in address else address
    scheme, checked_host, port, resolved = resolve_checked(f"https://{host}/x")
    assert (scheme, port, resolved) == ("https", 443, address)
    assert checked_host == address


def test_allow_list_by_address_reaches_the_loopback_server(server, settings, connects):
    settings.SSEHUB_URL_ALLOWLIST = ["127.0.0.1"]
    port = server.server_address[1]
    got = fetch(f"http://127.0.0.1:{port}/hello?x=1", timeout=2)
    assert got.content == b"hello from loopback"
    assert got.content_type == "text/plain"
    assert connects == [("127.0.0.1", port)]
    assert server.seen == [f"127.0.0.1:{port}"]


def test_allow_list_by_network(server, settings):
    settings.SSEHUB_URL_ALLOWLIST = ["127.0.0.0/8"]
    port = server.server_address[1]
    assert fetch(f"http://127.0.0.1:{port}/", timeout=2).content == b"hello from loopback"


def test_allow_list_by_host_name_sends_that_host_name(server, settings, connects):
    """The check is made on the resolved address, the connection goes to that same address
    (no second lookup to rebind), and the server still sees the name in the Host header."""
    settings.SSEHUB_URL_ALLOWLIST = ["localhost", "::1"]
    port = server.server_address[1]
    infos = {info[4][0] for info in socket.getaddrinfo("localhost", port)}
    if "127.0.0.1" not in infos:
        pytest.skip("localhost does not resolve to 127.0.0.1 here")
    try:
        got = fetch(f"http://localhost:{port}/", timeout=2)
    except FetchError as exc:  # localhost may resolve to ::1 first, which the server lacks
        assert "::1" in str(exc) or "blocked" in str(exc)
        return
    assert got.content == b"hello from loopback"
    assert server.seen == [f"localhost:{port}"]


def test_an_allow_listed_name_does_not_allow_other_names(settings, connects):
    settings.SSEHUB_URL_ALLOWLIST = ["intranet.example"]
    with pytest.raises(FetchError, match="refused"):
        fetch("http://127.0.0.1/", timeout=1)
    assert connects == []


def test_garbage_in_the_allow_list_is_ignored(settings, connects):
    settings.SSEHUB_URL_ALLOWLIST = ["not a network", "", "10.0.0.0/33"]
    with pytest.raises(FetchError, match="refused"):
        fetch("http://10.1.2.3/", timeout=1)
    assert connects == []
