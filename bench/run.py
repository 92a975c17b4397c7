"""SSE Hub benchmarks (`make bench`): ingest throughput, `make run` start-up, server memory.

    .venv/bin/python bench/run.py                    # everything, writes docs/benchmarks.md
    .venv/bin/python bench/run.py --quick            # small sizes, bench/out/benchmarks-quick.md
    .venv/bin/python bench/run.py --only ingest      # one or more of: ingest, startup, memory
    BENCH_DOCS=600 .venv/bin/python bench/run.py     # corpus size (default 2,400)

Every measured thing runs in a subprocess against a fresh data folder under a temporary
directory; servers are started in their own process group, contacted on 127.0.0.1 only, and
stopped by process group. Results of the sections that ran are merged into
bench/out/results.json (gitignored) and the report is regenerated from it; the hand-written
introduction at the top of docs/benchmarks.md (above the marker line) is kept.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import platform
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
VENV_BIN = ROOT / ".venv" / "bin"
PY = str(VENV_BIN / "python")
SSEHUB = str(VENV_BIN / "ssehub")
DOCS_FILE = ROOT / "docs" / "benchmarks.md"
RESULTS = OUT / "results.json"
MARKER = "<!-- Everything below this line is written by bench/run.py: edit the intro above it. -->"

sys.path.insert(0, str(HERE))

from make_corpus import ORG_SLUGS, PLACES, Writer, make_corpus  # noqa: E402
from report import render  # noqa: E402
from server import Server, free_port, get  # noqa: E402

SIZES = {
    "full": {"docs": 2400, "rounds": 3, "profile_docs": 600, "items": 10_000, "startup_reps": 3},
    "quick": {"docs": 240, "rounds": 2, "profile_docs": 120, "items": 1_500, "startup_reps": 1},
}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def env_for(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "SSEHUB_DEBUG", "DJANGO_SETTINGS_MODULE")}
    env.update(SSEHUB_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1", **extra)
    return env


def run_json(cmd: list[str], env: dict[str, str]) -> dict:
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def migrate(data_dir: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run([SSEHUB, "migrate", "-v0"], cwd=ROOT, env=env_for(data_dir), check=True)
    return time.perf_counter() - t0


# ---------------------------------------------------------------------------------------------
# 1. Ingest throughput


def bench_ingest(size: dict, tmp: Path) -> tuple[dict, Path | None]:
    log(f"corpus of {size['docs']} documents (cached in bench/out/)")
    corpus = make_corpus(size["docs"])
    files = Path(corpus["files"])
    worker = str(HERE / "ingest_worker.py")
    rounds = []
    keep: Path | None = None
    for number in range(size["rounds"]):
        data_dir = tmp / f"ingest-{number}"
        order = ("bare", "pipeline") if number % 2 == 0 else ("pipeline", "bare")
        entry: dict = {"order": list(order)}
        for mode in order:
            if mode == "bare":
                log(f"round {number + 1}: bare extraction")
                entry["bare"] = run_json([PY, worker, "bare", str(files)],
                                         env_for(tmp / f"bare-{number}"))
            else:
                entry["migrate_seconds"] = migrate(data_dir)
                log(f"round {number + 1}: pipeline (fresh database)")
                entry["pipeline"] = run_json([PY, worker, "pipeline", str(files), "--steps"],
                                             env_for(data_dir))
        log(f"round {number + 1}: bare {entry['bare']['seconds']:.1f} s, "
            f"pipeline {entry['pipeline']['seconds']:.1f} s")
        rounds.append(entry)
        if keep is not None:
            shutil.rmtree(keep, ignore_errors=True)
        keep = data_dir
    bare = statistics.median(r["bare"]["seconds"] for r in rounds)
    pipe = statistics.median(r["pipeline"]["seconds"] for r in rounds)
    median_round = sorted(rounds, key=lambda r: r["pipeline"]["seconds"])[len(rounds) // 2]
    docs = corpus["docs"]

    log(f"profile: cProfile over the pipeline, first {size['profile_docs']} documents")
    prof_dir = tmp / "profile"
    migrate(prof_dir)
    profile = run_json([PY, worker, "profile", str(files), "--limit", str(size["profile_docs"])],
                       env_for(prof_dir, BENCH_PROFILE_OUT=str(OUT / "pipeline.prof")))
    shutil.rmtree(prof_dir, ignore_errors=True)

    log("prototypes: cheaper language detection, near-duplicate query, MinHash")
    prototypes = run_json([PY, str(HERE / "prototypes.py"), str(files), str(keep)],
                          env_for(keep))
    result = {
        "corpus": {k: corpus[k] for k in ("docs", "seed", "counts", "bytes", "mean_words")},
        "rounds": rounds,
        "bare_median_s": bare,
        "pipeline_median_s": pipe,
        "bare_docs_per_s": docs / bare,
        "pipeline_docs_per_s": docs / pipe,
        "ratio": pipe / bare,
        "round_ratios": [r["pipeline"]["seconds"] / r["bare"]["seconds"] for r in rounds],
        "steps": median_round["pipeline"].get("steps", {}),
        "sql": median_round["pipeline"].get("sql", {}),
        "median_round_docs": median_round["pipeline"]["docs"],
        "profile": profile,
        "prototypes": prototypes,
        "goal_ratio": 1.3,
    }
    return result, keep


# ---------------------------------------------------------------------------------------------
# 2. Start-up: first HTTP 200 after `ssehub run` / `make run`


def demo_available() -> bool:
    code = ("import os, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE','ssehub.settings');"
            "django.setup(); from ssehub.library.demo import load_demo")
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run([PY, "-c", code], cwd=ROOT, env=env_for(Path(tmp)),
                              capture_output=True, check=False)
    return proc.returncode == 0


def time_server(cmd: list[str], data_dir: Path, label: str, cwd: Path = ROOT,
                port: int | None = None) -> dict:
    port = port or free_port()
    cmd = [c.replace("{port}", str(port)) for c in cmd]
    log(f"start-up: {label} (port {port})")
    server = Server(cmd, port, env_for(data_dir), cwd, OUT / "logs" / f"{label}.log")
    with server:
        seconds, status = server.wait_for_200("/", timeout=900)
        exit_code = server.proc.poll() if server.proc else None
    tail = ""
    if seconds is None:
        tail = (OUT / "logs" / f"{label}.log").read_text(errors="replace")[-600:]
    return {"seconds": seconds, "last_status": status, "exit_code": exit_code, "log_tail": tail}


def bench_startup(size: dict, tmp: Path) -> dict:
    reps = size["startup_reps"]
    has_demo = demo_available()
    result: dict = {"demo_available": has_demo, "scenarios": []}
    run_cmd = [SSEHUB, "run", "--port", "{port}"]
    # Baseline in the same process: the cost of starting Python + Django at all.
    t0 = time.perf_counter()
    subprocess.run([SSEHUB, "check"], cwd=ROOT, env=env_for(tmp / "baseline"),
                   capture_output=True, check=False)
    result["baseline_check_s"] = time.perf_counter() - t0

    def scenario(name: str, cmd: list[str], demo: bool, cwd: Path = ROOT) -> None:
        first, second = [], []
        for rep in range(reps):
            folder = tmp / f"startup-{name}-{rep}"
            first.append(time_server(cmd, folder, f"{name}-first-{rep}", cwd))
            second.append(time_server(cmd, folder, f"{name}-second-{rep}", cwd))
            shutil.rmtree(folder, ignore_errors=True)
        result["scenarios"].append({"name": name, "demo": demo, "first": first,
                                    "second": second, "command": " ".join(cmd)})

    scenario("ssehub run --no-demo", [*run_cmd, "--no-demo"], demo=False)
    if has_demo:
        scenario("ssehub run (with demo)", run_cmd, demo=True)
    # `make run` in a copy of the checkout with an up-to-date .venv: the Makefile and
    # pyproject.toml next to a .venv folder whose bin/ and lib/ link to this one and which holds
    # its own install stamp, so make goes straight to `ssehub run` and never touches the shared
    # .venv (nor its stamp). `make -n` checks that first.
    copy = tmp / "clone"
    (copy / ".venv").mkdir(parents=True)
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy2(ROOT / name, copy / name)
    for name in ("bin", "lib", "pyvenv.cfg"):
        (copy / ".venv" / name).symlink_to(ROOT / ".venv" / name)
    digest = hashlib.sha1((copy / "pyproject.toml").read_bytes()).hexdigest()[:12]  # noqa: S324
    (copy / ".venv" / f".run-{digest}").touch()
    own_stamp = (ROOT / ".venv" / f".run-{digest}").exists()
    result["shared_stamp_current"] = own_stamp
    dry = subprocess.run(["make", "-n", "run", "PORT=1"], cwd=copy, capture_output=True,
                         text=True, check=False)
    if "pip install" in dry.stdout or dry.returncode != 0:
        result["make_run"] = f"skipped: `make -n run` would run: {dry.stdout.strip()[:300]}"
    elif not has_demo:
        result["make_run"] = "skipped: `make run` loads the demo; ssehub.library.demo is missing"
    else:
        result["make_run"] = "measured"
        scenario("make run", ["make", "run", "PORT={port}"], demo=True, cwd=copy)
    for item in result["scenarios"]:
        for key in ("first", "second"):
            values = [r["seconds"] for r in item[key] if r["seconds"] is not None]
            item[f"{key}_median_s"] = statistics.median(values) if values else None
    return result


# ---------------------------------------------------------------------------------------------
# 3. Peak memory of the server with 10,000 items

COUNTRIES = ["SN", "UY", "CA", "CO", "RW", "PH", "ES", "FR", "BO", "CI", "PE", "KE", "KR", "BR",
             "TN", "MX", "MG", "AR", "ML", "IN", "TG", "CL", "BF", "ZA", "EC", "CM", "IT"]
TYPES = ["report", "working-paper", "policy-brief", "case-study", "article", "book",
         "conference-paper", "learning-resource"]


def write_manifest(path: Path, rows: int, seed: int = 7) -> None:
    """Metadata-only rows, as a partner's catalogue export would give them."""
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["title", "abstract", "type", "creators", "date", "languages", "countries",
                      "sdgs", "keywords", "organisation", "doi", "licence"])
        for index in range(rows):
            lang = ("en", "fr", "es")[index % 3]
            writer = Writer(rng, lang)
            goals = sorted(rng.sample(range(1, 18), rng.randint(1, 3)))
            out.writerow([
                f"{writer.title()} [{index}]",
                " ".join(writer.paragraph() for _ in range(rng.randint(1, 2))),
                rng.choice(TYPES),
                "; ".join(writer.person() for _ in range(rng.randint(1, 3))),
                f"{rng.randint(2000, 2024)}-{rng.randint(1, 12):02d}",
                lang,
                ";".join(rng.sample(COUNTRIES, rng.randint(1, 2))),
                "; ".join(str(g) for g in goals),
                f"SSE; {rng.choice(PLACES)}",
                rng.choice(ORG_SLUGS),
                f"10.5555/sse.{seed}.{index}" if index % 4 == 0 else "",
                rng.choice(["CC-BY-4.0", "CC-BY-NC-4.0", ""]),
            ])


def ingest_manifest(manifest: Path, data_dir: Path) -> dict:
    """`ssehub ingest manifest.csv --json`, timing each 1,000 rows as they are reported."""
    cmd = [SSEHUB, "ingest", str(manifest), "--json"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env_for(data_dir), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    marks, statuses, first_failure = [], {}, ""
    count = 0
    for line in proc.stdout:
        row = json.loads(line)
        count += 1
        statuses[row["status"]] = statuses.get(row["status"], 0) + 1
        if row["status"] == "failed" and not first_failure:
            first_failure = row.get("reason", "")
        if count % 1000 == 0:
            marks.append(time.perf_counter() - t0)
    stderr = proc.stderr.read() if proc.stderr else ""
    proc.wait()
    seconds = time.perf_counter() - t0
    per_1000 = [b - a for a, b in zip([0.0, *marks], marks, strict=False)]
    return {"rows": count, "seconds": seconds, "rows_per_s": count / seconds if seconds else 0,
            "statuses": statuses, "first_failure": first_failure, "per_1000_s": per_1000,
            "exit_code": proc.returncode, "stderr_tail": stderr[-500:]}


def bench_memory(size: dict, tmp: Path, base: Path | None) -> dict:
    target = size["items"]
    data_dir = base if base is not None else tmp / "memory"
    if base is None:
        migrate(data_dir)
    db = data_dir / "ssehub.sqlite3"

    def count_items() -> int:
        with sqlite3.connect(db) as conn:
            return conn.execute("SELECT COUNT(*) FROM library_item").fetchone()[0]

    existing = count_items()
    rows = max(target - existing, 0)
    manifest = OUT / f"manifest-{rows}.csv"
    if not manifest.exists():
        write_manifest(manifest, rows)
    log(f"memory: ingesting a manifest of {rows} metadata-only rows (+{existing} documents)")
    manifest_result = ingest_manifest(manifest, data_dir)
    items = count_items()
    with sqlite3.connect(db) as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM library_item ORDER BY id")]
        file_row = conn.execute("SELECT item_id, id FROM library_itemfile LIMIT 1").fetchone()
    pages = ["/", "/items/", "/items/?page=2", "/items/?page=200", "/items/?q=cooperative",
             "/items/?sdg=8", "/items/?language=fr", "/organisations/", "/organisations/ilo/",
             "/organisations/ilo/?page=5", "/admin/login/"]
    if ids:
        for fraction in (0, 0.25, 0.5, 0.75, 0.999):
            pages.append(f"/items/{ids[int(fraction * (len(ids) - 1))]}/")
    if file_row:
        pages.append(f"/items/{file_row[0]}/files/{file_row[1]}/")
    port = free_port()
    log(f"memory: serving {items} items on port {port}")
    server = Server([SSEHUB, "run", "--no-demo", "--port", str(port)], port, env_for(data_dir),
                    ROOT, OUT / "logs" / "memory-server.log")
    requests = []
    with server:
        started, _status = server.wait_for_200("/", timeout=300)
        rss_start = server.status_kb("VmRSS")
        hwm_start = server.status_kb("VmHWM")
        for _repeat in range(2):
            for path in pages:
                status, body, seconds = get(port, path)
                requests.append({"path": path, "status": status, "bytes": body,
                                 "seconds": seconds})
        hwm = server.status_kb("VmHWM")
        rss = server.status_kb("VmRSS")
    # Keep the second pass: caches warm, the first-hit cost is in the first.
    first = {r["path"]: r for r in requests[: len(pages)]}
    second = {r["path"]: r for r in requests[len(pages):]}
    table = [{"path": p, "status": second[p]["status"], "bytes": second[p]["bytes"],
              "first_ms": first[p]["seconds"] * 1000, "second_ms": second[p]["seconds"] * 1000}
             for p in pages]
    return {
        "items": items, "documents_with_text": existing, "manifest": manifest_result,
        "started_s": started, "rss_after_start_kb": rss_start, "hwm_after_start_kb": hwm_start,
        "peak_rss_kb": hwm, "rss_end_kb": rss, "requests": table, "goal_mb": 300,
    }


# ---------------------------------------------------------------------------------------------


def machine() -> dict:
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    versions = subprocess.run(
        [PY, "-c", "import sys, django; print(sys.version.split()[0], django.get_version())"],
        capture_output=True, text=True, check=False).stdout.split()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True, check=False).stdout.strip()
    return {"cpu": cpu, "cores": os.cpu_count(), "ram_gb": round(mem_kb / 1024 / 1024, 1),
            "python": versions[0] if versions else "", "django": versions[1] if versions else "",
            "os": platform.platform(), "commit": commit}


def main() -> None:
    parser = argparse.ArgumentParser(description="SSE Hub benchmarks")
    parser.add_argument("--quick", action="store_true", help="small sizes, for trying things")
    parser.add_argument("--only", default="ingest,startup,memory",
                        help="comma-separated sections: ingest, startup, memory")
    parser.add_argument("--docs", type=int, default=None, help="corpus size (or BENCH_DOCS)")
    parser.add_argument("--items", type=int, default=None, help="items for the memory section")
    parser.add_argument("--output", type=Path, default=None, help="report file to write")
    parser.add_argument("--render-only", action="store_true",
                        help="rewrite the report from the saved results, measure nothing")
    args = parser.parse_args()
    mode = "quick" if args.quick else "full"
    size = dict(SIZES[mode])
    if args.docs or os.environ.get("BENCH_DOCS"):
        size["docs"] = args.docs or int(os.environ["BENCH_DOCS"])
    if args.items or os.environ.get("BENCH_ITEMS"):
        size["items"] = args.items or int(os.environ["BENCH_ITEMS"])
    sections = [s.strip() for s in args.only.split(",") if s.strip()]
    OUT.mkdir(parents=True, exist_ok=True)
    results_path = RESULTS if mode == "full" else OUT / "results-quick.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else {}
    command = "make bench" if len(sys.argv) == 1 else (
        ".venv/bin/python bench/run.py " + " ".join(sys.argv[1:]))
    if args.render_only:
        write_report(args.output or (DOCS_FILE if mode == "full" else
                                     OUT / "benchmarks-quick.md"), results)
        return
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="ssehub-bench-"))
    try:
        stamp = {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
                 "command": command, "machine": machine(), "size": size}
        base = None
        if "ingest" in sections:
            results["ingest"], base = bench_ingest(size, tmp)
            results["ingest"]["run"] = stamp
        if "startup" in sections:
            results["startup"] = bench_startup(size, tmp)
            results["startup"]["run"] = stamp
        if "memory" in sections:
            results["memory"] = bench_memory(size, tmp, base)
            results["memory"]["run"] = stamp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    results["last_run"] = {**stamp, "seconds": time.perf_counter() - started,
                           "sections": sections}
    results_path.write_text(json.dumps(results, indent=1, default=str))
    write_report(args.output or (DOCS_FILE if mode == "full" else OUT / "benchmarks-quick.md"),
                 results)


def write_report(target: Path, results: dict) -> None:
    intro = default_intro()
    if target.exists():
        text = target.read_text()
        if MARKER in text:
            intro = text.split(MARKER, 1)[0].rstrip() + "\n"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(intro + "\n" + MARKER + "\n\n" + render(results))
    log(f"wrote {target} (last run {results['last_run']['seconds'] / 60:.1f} min)")


def default_intro() -> str:
    return """# Benchmarks

How fast the hub ingests documents, how soon `make run` serves its first page, and how much
memory the server needs with 10,000 items. `make bench` (`.venv/bin/python bench/run.py`)
measures all three and rewrites everything below the marker line; `bench/run.py --quick` runs
small sizes into `bench/out/benchmarks-quick.md` for trying changes. The machines here are
noisy (2 shared cores), so figures are medians of repeated runs, and the ingest goal is a ratio
against bare text extraction measured in the same run, which cancels most of the noise.
"""


if __name__ == "__main__":
    main()
