"""Fixtures for the ingestion tests: counting what is stored, and real HTTP servers on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ssehub.library.models import Item, ItemFile, ItemVersion, TextBand


@pytest.fixture
def stored(settings):
    """A snapshot function: how many items, files, bands, versions and blobs exist now."""

    def snapshot() -> dict[str, int]:
        files_dir = Path(settings.FILES_DIR)
        blobs = [p for p in files_dir.rglob("*") if p.is_file()] if files_dir.exists() else []
        return {
            "items": Item.objects.count(),
            "files": ItemFile.objects.count(),
            "bands": TextBand.objects.count(),
            "versions": ItemVersion.objects.count(),
            "blobs": len(blobs),
        }

    return snapshot


class Site:
    """A real HTTP server on 127.0.0.1 (port 0) serving a dict of path → (status, headers, body).

    ``hits`` lists every request path it received, so a test can prove that a refused URL was
    never connected to.
    """

    def __init__(self):
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.custom: dict[str, Callable[[BaseHTTPRequestHandler], None]] = {}
        self.hits: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                site.hits.append(self.path)
                if self.path in site.custom:
                    site.custom[self.path](self)
                    return
                status, headers, body = site.routes.get(self.path, (404, {}, b"not found"))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def add(self, path: str, body: bytes, content_type: str = "application/octet-stream",
            status: int = 200, headers: dict[str, str] | None = None) -> str:
        self.routes[path] = (status, {"Content-Type": content_type, **(headers or {})}, body)
        return self.url(path)

    def add_handler(self, path: str, handler: Callable[[BaseHTTPRequestHandler], None]) -> str:
        """Serve ``path`` with a function writing the raw response (drips, no length...)."""
        self.custom[path] = handler
        return self.url(path)

    def redirect(self, path: str, location: str, status: int = 302) -> str:
        return self.add(path, b"", status=status, headers={"Location": location})

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def site() -> Callable[[], Site]:
    sites: list[Site] = []

    def make() -> Site:
        sites.append(Site())
        return sites[-1]

    yield make
    for s in sites:
        s.close()


class SilentServer:
    """Accepts connections on 127.0.0.1 and never answers: the fetch must time out."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        self.accepted = threading.Event()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        self.sock.settimeout(0.1)
        while not self.stop.is_set():
            try:
                conn, _addr = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.held.append(conn)
            self.accepted.set()

    def url(self, path: str = "/report.pdf") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def close(self):
        self.stop.set()
        self.thread.join(2)
        for conn in self.held:
            conn.close()
        self.sock.close()


@pytest.fixture
def silent_server():
    server = SilentServer()
    yield server
    server.close()


@pytest.fixture
def no_connections(monkeypatch):
    """Record every outgoing connect(); a refused URL must not cause any. As a safety net, a
    connection to anything but 127.0.0.1 is blocked here, so a regression in the guard can
    never make the test suite reach into a real network."""
    attempts: list = []
    real_connect = socket.socket.connect

    def connect(self, address):
        attempts.append(tuple(address[:2]))
        if address[0] != "127.0.0.1":
            raise ConnectionRefusedError(f"blocked by the test suite: {address[0]}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return attempts
