"""Start a server in its own process group, wait for its first HTTP 200, read its memory, stop it.

Only loopback addresses are ever contacted.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def get(port: int, path: str, timeout: float = 60.0) -> tuple[int, int, float]:
    """(status, body bytes, seconds) of GET http://127.0.0.1:port/path; status 0 if refused."""
    url = f"http://{HOST}:{port}{path}"
    t0 = time.perf_counter()
    try:
        with _OPENER.open(url, timeout=timeout) as response:  # noqa: S310 (loopback only)
            body = response.read()
            return response.status, len(body), time.perf_counter() - t0
    except urllib.error.HTTPError as exc:
        return exc.code, len(exc.read() or b""), time.perf_counter() - t0
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return 0, 0, time.perf_counter() - t0


class Server:
    """A command that serves on ``port``, started in a new session (its own process group)."""

    def __init__(self, cmd: list[str], port: int, env: dict[str, str], cwd: Path, log: Path):
        self.cmd, self.port, self.env, self.cwd, self.log = cmd, port, env, cwd, log
        self.proc: subprocess.Popen | None = None
        self.started = 0.0

    def start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        handle = self.log.open("wb")
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(self.cmd, cwd=self.cwd, env=self.env, stdout=handle,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        handle.close()

    def wait_for_200(self, path: str = "/", timeout: float = 600.0) -> tuple[float | None, int]:
        """Seconds from start to the first 200 on ``path`` (None if never), last status seen."""
        assert self.proc is not None
        status = 0
        deadline = self.started + timeout
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                return None, status
            status, _size, _sec = get(self.port, path, timeout=30)
            if status == 200:
                return time.perf_counter() - self.started, status
            time.sleep(0.05)
        return None, status

    def status_kb(self, field: str) -> int | None:
        """A field of /proc/<pid>/status (VmHWM, VmRSS) in kB, of the process we started."""
        if self.proc is None:
            return None
        try:
            text = Path(f"/proc/{self.proc.pid}/status").read_text()
        except OSError:
            return None
        for line in text.splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        return None

    def stop(self) -> None:
        """SIGTERM the process group we created, then SIGKILL if it lingers."""
        if self.proc is None or self.proc.poll() is not None:
            return
        pgid = self.proc.pid  # start_new_session: the group id is the leader's pid
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pgid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
