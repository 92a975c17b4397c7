"""Harvest throughput: the full pipeline next to bare Sickle, over the same local OAI-PMH server.

    .venv/bin/python bench/bench_harvest.py [--records 20000] [--page-size 100] [--skip-sdg]
        [--rounds 3] [--latency 0.1]

A loopback OAI-PMH server (``tests/harvest/servers.py``) serves generated oai_dc records in
pages with resumption tokens. Each measurement runs in its own process (so the server thread
and the client never share a GIL) against a fresh, migrated data folder:

- ``bare``: ``Sickle(url).ListRecords(metadataPrefix="oai_dc")`` iterated to the end (Sickle
  parses each record into a dict; nothing is stored). The floor of any harvester.
- ``pipeline_fast``: ``ssehub.harvest.runner.run_source`` with SSEHUB_SDG_AUTOMAP=0 and
  SSEHUB_SEARCH_SEMANTIC=0: fetch, strict parse, map, ``ingest_one`` for every record (validate,
  dedup lookups, item + version + status rows), provenance row, per-page checkpoint, index.
- ``pipeline_full``: the same with the default SDG mapping and semantic embedding.
- ``rerun``: a second incremental run over the same data (every record unchanged).
- ``full_rerun``: a run with ``--full`` over the same data (every record fetched and compared
  again; nothing to write).
- ``changed``: the source then serves every record revised (new title, new datestamp): an
  incremental run updates every item (a new version each, provenance, the index).
- ``clear``: then the source is cleared (``harvest.clearing.clear``: every item withdrawn in
  one transaction), next to the first 1,000 items withdrawn one by one first
  (``library.services.change_status`` each, as the admin's item action does).

- ``pipeline_thread``: ``pipeline_fast``'s first run with its pages read ahead by a thread
  (``SSEHUB_HARVEST_READ_AHEAD=thread``, as in the web server) instead of a forked process
  (what the command line does).

- ``pipeline_inline``: the same with its index updates applied by the run's own process
  (``SSEHUB_HARVEST_INDEXER=inline``) instead of a forked follower (``ssehub.search.follower``).

- ``floor`` (SQLite only): the rows ``pipeline_fast`` stored (items, creators, status entries,
  versions, provenance), copied from its database into a fresh, migrated one by plain
  ``sqlite3`` multi-row INSERTs, a transaction per page of 100 items, as the pipeline commits
  them: the database's own work for what the pipeline stores, with no Python above it and no
  search index. What the goal leaves the pipeline can be read against it.

With ``--latency S`` (default 0.1), the same records again from a server that takes S
seconds to answer each page, as a remote repository does (the issue quotes DSpace at 89 ms
for an early page): bare Sickle, the pipeline (read-ahead in a process), the same with a
thread, and with its read-ahead switched off (``serial``), to show what fetching the next page
while storing this one is worth.

The zero-latency runs above are repeated ``--rounds`` times, interleaved, and each reported by
its median (its rounds' times listed); the re-runs, the floor and the latency runs once.

Prints one JSON object; records/s and the ratio pipeline time / bare time (goal ≤ 1.5).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SSEHUB_", "DATABASE_URL"))}
    env.update(DJANGO_SETTINGS_MODULE="ssehub.settings", SSEHUB_DATA_DIR=str(data_dir),
               SSEHUB_URL_ALLOWLIST="127.0.0.1", SSEHUB_LOG_LEVEL="ERROR",
               PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "src")]), **extra)
    return env


def _worker(mode: str, url: str) -> dict:
    """Runs inside the measured subprocess."""
    if mode == "bare":
        from sickle import Sickle

        start, cpu = time.perf_counter(), _cpu()
        count = sum(1 for _record in Sickle(url).ListRecords(metadataPrefix="oai_dc"))
        return {"records": count, "seconds": time.perf_counter() - start,
                "cpu": _cpu_since(cpu)}
    import django

    django.setup()
    from ssehub.harvest import readahead, services
    from ssehub.harvest.runner import run_source, summary
    from ssehub.search import follower

    source = services.add_source("oai", "bench", url)
    out: dict = {"read_ahead": readahead.chosen(),
                 "indexer": "inline" if follower.why_not() else "follower process"}
    runs = [("first", False), ("rerun", False)] if mode == "pipeline" else [("first", False)]
    if mode == "pipeline" and os.environ.get("BENCH_REVISED_URL"):
        runs += [("full_rerun", True), ("changed", False)]
    for label, full in runs:
        if label == "changed":
            source.url = os.environ["BENCH_REVISED_URL"]
            source.save(update_fields=["url"])
        start, cpu = time.perf_counter(), _cpu()
        result = summary(run_source(source, full=full))
        seconds = time.perf_counter() - start
        result["errors"] = result["errors"][:3]
        out[label] = {"seconds": seconds, "cpu": _cpu_since(cpu), **result}
    if mode == "pipeline" and os.environ.get("BENCH_REVISED_URL"):
        out["clear"] = _clear(source)
    return out


CLEAR_BASELINE = 1000  # items withdrawn one by one, the way before change_status_many


def _clear(source) -> dict:
    """Withdrawing a harvested source's items (``clear``): ``harvest.clearing.clear`` on
    every item, next to ``library.services.change_status`` one item at a time (what the
    admin's item action does) on the first ``CLEAR_BASELINE`` of them, put back after."""
    from django.db import transaction

    from ssehub.harvest import clearing
    from ssehub.library import services as library
    from ssehub.library.models import Item, Status

    ids = list(Item.objects.filter(harvest_records__source=source)
               .order_by("pk").values_list("pk", flat=True))
    sample = list(Item.objects.filter(pk__in=ids[:CLEAR_BASELINE]))
    start = time.perf_counter()
    with transaction.atomic():
        for item in sample:
            library.change_status(item, Status.WITHDRAWN, note="bench: one by one")
    one_by_one = time.perf_counter() - start
    library.change_status_many([item.pk for item in sample], Status.PUBLISHED)
    start = time.perf_counter()
    done = clearing.clear(clearing.SYSTEM, source)
    seconds = time.perf_counter() - start
    return {"items": len(done.withdraw), "seconds": seconds,
            "one_by_one_items": len(sample), "one_by_one_seconds": one_by_one}


def _cpu() -> tuple[float, float]:
    """CPU seconds (user + system) of this process, and of its children waited for."""
    me, children = (resource.getrusage(who) for who in (resource.RUSAGE_SELF,
                                                         resource.RUSAGE_CHILDREN))
    return me.ru_utime + me.ru_stime, children.ru_utime + children.ru_stime


def _cpu_since(before: tuple[float, float]) -> dict[str, float]:
    """CPU spent since ``before``: by this process (``run``), and by the processes it forked
    and waited for (``helpers``: the read-ahead reader and the index follower, both joined
    before a run returns)."""
    now = _cpu()
    return {"run": now[0] - before[0], "helpers": now[1] - before[1]}


# The tables a harvest writes per record, in the order of their foreign keys.
FLOOR_TABLES = ("library_item", "library_creator", "library_statuschange",
                "library_itemversion", "harvest_recordstate")
PAGE = 100


def _floor(stored: str, empty: str) -> dict:
    """Copy what the pipeline stored into an empty database, page by page (see ``floor``)."""
    import sqlite3

    src = sqlite3.connect(stored)
    item_ids = [row[0] for row in src.execute("SELECT id FROM library_item ORDER BY id")]
    page_of = {item_id: i // PAGE for i, item_id in enumerate(item_ids)}
    pages: list[list[tuple[str, list[str], list[tuple]]]] = [
        [] for _ in range(len(item_ids) // PAGE + 1)]
    for table in FLOOR_TABLES:
        # Only the first harvest's versions and status entries: the database has had
        # re-harvests and the clearing since.
        where = {"library_itemversion": " WHERE number = 1",
                 "library_statuschange": " WHERE from_status = ''"}.get(table, "")
        cursor = src.execute(f"SELECT * FROM {table}{where} ORDER BY id")  # noqa: S608
        columns = [d[0] for d in cursor.description]
        key = columns.index("id" if table == "library_item" else "item_id")
        rows: list[list[tuple]] = [[] for _ in pages]
        for row in cursor:
            rows[page_of[row[key]]].append(row)
        for i, chunk in enumerate(rows):
            pages[i].append((table, columns, chunk))
    sources = src.execute("SELECT * FROM harvest_source").fetchall()
    src.close()
    dst = sqlite3.connect(empty, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
        dst.execute(f"PRAGMA {pragma}")
    if sources:
        marks = ", ".join("?" * len(sources[0]))
        dst.executemany(f"INSERT INTO harvest_source VALUES ({marks})", sources)  # noqa: S608
    start = time.perf_counter()
    for page in pages:
        dst.execute("BEGIN IMMEDIATE")
        for table, columns, rows in page:
            per = max(1, 999 // len(columns))
            one = "(" + ", ".join("?" * len(columns)) + ")"
            for at in range(0, len(rows), per):
                batch = rows[at:at + per]
                dst.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES "  # noqa: S608
                            + ", ".join([one] * len(batch)), [v for r in batch for v in r])
        dst.execute("COMMIT")
    seconds = time.perf_counter() - start
    counts = {t: dst.execute(f"SELECT count(*) FROM {t}").fetchone()[0]  # noqa: S608
              for t in FLOOR_TABLES}
    dst.close()
    return {"seconds": seconds, "rows": counts}


def revised(records: int) -> list:
    """The generated records as their source revised them: a new title, a later datestamp."""
    from tests.harvest.servers import generated

    out = generated(records, datestamp="2024-02-01")
    for record in out:
        record.titles = [(lang, f"{title} (revised)") for lang, title in record.titles]
    return out


def _measure(mode: str, url: str, tmp: Path, **env: str) -> dict:
    data_dir = Path(tempfile.mkdtemp(prefix=f"{mode}-", dir=tmp))
    if mode != "bare":  # pipeline, once
        subprocess.run([PY, "-m", "ssehub.cli", "migrate", "-v0"], cwd=ROOT,
                       env=_env(data_dir), check=True)
    proc = subprocess.run([PY, __file__, "--worker", mode, url], cwd=ROOT,
                          env=_env(data_dir, **env), capture_output=True, text=True,
                          check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{proc.stderr[-3000:]}")
    return {**json.loads(proc.stdout.strip().splitlines()[-1]), "data_dir": str(data_dir)}


def _measure_floor(stored_dir: str, tmp: Path) -> dict | None:
    stored = Path(stored_dir) / "ssehub.sqlite3"
    if not stored.exists():  # the pipeline ran on another database
        return None
    data_dir = Path(tempfile.mkdtemp(prefix="floor-", dir=tmp))
    subprocess.run([PY, "-m", "ssehub.cli", "migrate", "-v0"], cwd=ROOT,
                   env=_env(data_dir), check=True)
    proc = subprocess.run([PY, __file__, "--worker", "floor",
                           f"{stored}|{data_dir / 'ssehub.sqlite3'}"], cwd=ROOT,
                          env=_env(data_dir), capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"floor failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--skip-sdg", action="store_true",
                        help="leave out the run with SDG mapping and embeddings (slow)")
    parser.add_argument("--latency", type=float, default=0.1,
                        help="seconds per page of the remote-like server (0: leave out)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="interleaved rounds of the zero-latency runs (medians reported)")
    parser.add_argument("--worker", nargs=2, metavar=("MODE", "URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        mode, url = args.worker
        print(json.dumps(_floor(*url.split("|")) if mode == "floor" else _worker(mode, url)))
        return
    sys.path[:0] = [str(ROOT), str(ROOT / "src")]
    from tests.harvest.servers import OAIServer, generated

    server = OAIServer(generated(args.records), page_size=args.page_size)
    changed = OAIServer(revised(args.records), page_size=args.page_size)
    results: dict = {"records": args.records, "page_size": args.page_size}
    try:
        with tempfile.TemporaryDirectory(prefix="bench-harvest-") as tmp_name:
            tmp = Path(tmp_name)
            samples = _rounds(args.rounds, server.url, changed.url, tmp, not args.skip_sdg)
            bare = _median_run(samples["bare"])
            results["rounds"] = args.rounds
            results["bare_sickle"] = {**bare, "records_per_s": bare["records"] / bare["seconds"]}
            for name in ("pipeline_thread", "pipeline_inline"):
                results[name] = _first(_median_run(samples[name]), bare)
            for name in ("pipeline_fast", "pipeline_full"):
                if name not in samples:
                    continue
                run = samples[name][0]  # the round that also re-ran the source
                first, rerun = run["first"], run["rerun"]
                results[name] = {
                    **_first(_median_run(samples[name]), bare),
                    "rerun_seconds": rerun["seconds"], "rerun_unchanged": rerun["unchanged"],
                    "rerun_records_per_s": rerun["seen"] / rerun["seconds"],
                    "errors": first["errors"],
                }
                if name == "pipeline_fast":
                    floor = _measure_floor(run["data_dir"], tmp)
                    if floor is not None:
                        results["floor"] = {**floor,
                                            "ratio_to_bare": floor["seconds"] / bare["seconds"]}
                if "clear" in run:
                    results[name]["clear"] = run["clear"]
                for label in ("full_rerun", "changed"):
                    if label in run:
                        results[name][label] = {
                            k: run[label][k] for k in ("seconds", "outcome", "seen", "created",
                                                       "updated", "unchanged", "failed")}
            if args.latency > 0:
                results["latency"] = _with_latency(args, tmp)
    finally:
        server.close()
        changed.close()
    print(json.dumps(results, indent=2))


_FAST = {"SSEHUB_SDG_AUTOMAP": "0", "SSEHUB_SEARCH_SEMANTIC": "0"}


def _rounds(rounds: int, url: str, revised_url: str, tmp: Path, with_sdg: bool) -> dict:
    """Every zero-latency measurement, ``rounds`` times, interleaved (each round in another
    order), so that a slow spell of this noisy machine falls on all of them alike; the first
    round's pipeline runs also re-run the source (incremental, ``--full``, revised).

    Why: single runs of the pipeline and its variants, one after the other, differed by more
    than what the variants were measured for (a follower's gain came out as a loss once)."""
    configs: list[tuple[str, str, dict]] = [
        ("bare", "bare", {}),
        ("pipeline_fast", "pipeline", {**_FAST, "BENCH_REVISED_URL": revised_url}),
        ("pipeline_thread", "once", {**_FAST, "SSEHUB_HARVEST_READ_AHEAD": "thread"}),
        ("pipeline_inline", "once", {**_FAST, "SSEHUB_HARVEST_INDEXER": "inline"}),
    ]
    if with_sdg:
        configs.append(("pipeline_full", "pipeline", {}))
    samples: dict[str, list[dict]] = {name: [] for name, _mode, _env in configs}
    for round_ in range(max(1, rounds)):
        shift = round_ % len(configs)
        for name, mode, env in configs[shift:] + configs[:shift]:
            if round_ and mode == "pipeline":
                mode = "once"
                env = {k: v for k, v in env.items() if k != "BENCH_REVISED_URL"}
            samples[name].append(_measure(mode, url, tmp, **env))
    for runs in samples.values():  # the round with the re-runs first
        runs.sort(key=lambda run: "rerun" not in run)
    return samples


def _median_run(runs: list[dict]) -> dict:
    """The run of median time among ``runs`` (the lower middle one of an even count), with
    every run's seconds under ``rounds_seconds``."""
    def seconds(run: dict) -> float:
        return run["first"]["seconds"] if "first" in run else run["seconds"]

    ordered = sorted(runs, key=seconds)
    middle = dict(ordered[(len(ordered) - 1) // 2])
    middle["rounds_seconds"] = [round(seconds(run), 3) for run in runs]
    return middle


def _first(run: dict, bare: dict) -> dict:
    """A measured process's first run, against bare Sickle."""
    first = run["first"]
    return {"seconds": first["seconds"], "outcome": first["outcome"],
            "created": first["created"], "failed": first["failed"],
            "records_per_s": first["seen"] / first["seconds"],
            "ratio_to_bare": first["seconds"] / bare["seconds"], "read_ahead": run["read_ahead"],
            "indexer": run.get("indexer"), "rounds_seconds": run.get("rounds_seconds"),
            "cpu": first.get("cpu")}


def _with_latency(args: argparse.Namespace, tmp: Path) -> dict:
    from tests.harvest.servers import OAIServer, generated

    server = OAIServer(generated(args.records), page_size=args.page_size, latency=args.latency)
    try:
        bare = _measure("bare", server.url, tmp)
        out: dict = {"seconds_per_page": args.latency, "bare_sickle": {
            **bare, "records_per_s": bare["records"] / bare["seconds"]}}
        for label, how in (("pipeline", "auto"), ("thread", "thread"), ("serial", "off")):
            run = _measure("once", server.url, tmp, **_FAST, SSEHUB_HARVEST_READ_AHEAD=how)
            out[label] = _first(run, bare)
    finally:
        server.close()
    return out


if __name__ == "__main__":
    main()
