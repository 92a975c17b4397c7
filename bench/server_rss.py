"""The search server's memory while it serves a prepared corpus (issue 4: "the server's RSS
while serving the 1M corpus"): a real `ssehub run` process, queried over HTTP.

    .venv/bin/python bench/server_rss.py bench/out/search-1000000 [--queries 200]

The folder is one that ``bench/bench_search.py --size N`` built (``ssehub.sqlite3``, ``data/``,
``index/``). The server is started on a free loopback port in its own process group with the
scheduler off; the benchmark's 200 queries (the same generator and seed as bench_search.py) are
sent to ``/api/search`` in lexical, then hybrid mode; the server's ``VmRSS`` is read after
start-up, after each mode, and its peak (``VmHWM``) at the end. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))


def _status(pid: int) -> dict[str, int]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:", "RssAnon:", "RssFile:")):
            name, value = line.split(":", 1)
            out[name] = int(value.split()[0]) // 1024  # MB
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _url(port: int, query: dict, mode: str) -> str:
    params: list[tuple[str, str]] = [("q", query["q"]), ("mode", mode)]
    for name, values in query["filters"].items():
        params += [(name, str(v)) for v in values]
    if query["years"][0]:
        params += [("year_from", str(query["years"][0])), ("year_to", str(query["years"][1]))]
    return f"http://127.0.0.1:{port}/api/search?" + urllib.parse.urlencode(params)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    from bench_search import make_queries  # the same queries as the search benchmark

    folder = args.folder.resolve()
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SSEHUB_", "DATABASE_"))}
    env.update(DATABASE_URL=f"sqlite:///{folder / 'ssehub.sqlite3'}",
               SSEHUB_DATA_DIR=str(folder / "data"), SSEHUB_INDEX_DIR=str(folder / "index"),
               SSEHUB_SCHEDULER="0", SSEHUB_SEARCH_INLINE="0")
    # A random admin password (the command creates an admin if the database has none).
    env["SSEHUB_ADMIN_PASSWORD"] = secrets.token_urlsafe(16)
    server = subprocess.Popen([str(ROOT / ".venv" / "bin" / "ssehub"), "run", "--no-demo",
                               "--port", str(port)], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    result: dict = {"folder": str(folder), "queries": args.queries}
    try:
        started = time.perf_counter()
        while True:
            try:
                home = f"http://127.0.0.1:{port}/"
                urllib.request.urlopen(home, timeout=5).read()  # noqa: S310
                break
            except OSError:
                if server.poll() is not None or time.perf_counter() - started > 300:
                    raise RuntimeError("the server did not start") from None
                time.sleep(0.2)
        result["startup_s"] = round(time.perf_counter() - started, 1)
        result["after_start_mb"] = _status(server.pid)
        queries = make_queries(args.queries)
        for mode in ("lexical", "hybrid"):
            times = []
            for query in queries:
                t0 = time.perf_counter()
                url = _url(port, query, mode)  # http://127.0.0.1 only
                with urllib.request.urlopen(url, timeout=60) as answer:  # noqa: S310
                    body = json.loads(answer.read())
                times.append((time.perf_counter() - t0) * 1000)
                assert "total" in body
            times.sort()
            result[mode] = {"p50_ms": round(statistics.median(times), 1),
                            "p95_ms": round(times[int(len(times) * 0.95) - 1], 1),
                            "rss_mb": _status(server.pid)}
        result["peak_mb"] = _status(server.pid)["VmHWM"]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
