"""Where the hub's lexical search time goes, step by step, on a bench_search corpus.

    .venv/bin/python bench/search_breakdown.py --size 100000

Uses the database and index that ``bench_search.py --size N`` left in bench/out/search-N/ (run
it first; nothing is rebuilt here). Times each step of ``services.search`` (mode lexical, the
public) with wrappers around the service's and the tantivy backend's functions and around the
searcher's ``search`` and ``aggregate`` calls, over the benchmark's 200 queries after 20
warm-up ones, 3 rounds; prints the mean per query of the median round. Timers add a little
overhead of their own; read the shares, not the last digit.
"""

from __future__ import annotations

import argparse
import functools
import gc
import sys
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_search as b  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    work = b.OUT / f"search-{args.size}"
    if not (work / "index").is_dir():
        raise SystemExit(f"no corpus in {work}: run bench_search.py --size {args.size} first")
    b.setup_django(work)
    from ssehub.search import services
    from ssehub.search.backends import tantivy_backend as tb

    acc: dict[str, float] = defaultdict(float)

    def wrap(owner, name: str, label: str) -> None:
        fn = getattr(owner, name)

        @functools.wraps(fn)
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                acc[label] += time.perf_counter() - start

        setattr(owner, name, timed)

    class TimedSearcher:
        """The pinned tantivy searcher, with its two costly calls timed (tantivy's Searcher
        cannot be patched: it is a Rust object)."""

        LABELS = {"search": "tantivy: top 10 + count",
                  "aggregate": "tantivy: facet aggregations"}

        def __init__(self, searcher):
            self._searcher = searcher

        def __getattr__(self, name):
            attribute = getattr(self._searcher, name)
            label = self.LABELS.get(name)
            if label is None:
                return attribute

            def timed_call(*args, **kwargs):
                start = time.perf_counter()
                try:
                    return attribute(*args, **kwargs)
                finally:
                    acc[label] += time.perf_counter() - start

            return timed_call

    original = tb.TantivyBackend._searcher

    def searcher(self):
        start = time.perf_counter()
        try:
            found = original(self)
            return found if isinstance(found, TimedSearcher) else TimedSearcher(found)
        finally:
            acc["index reader (reload)"] += time.perf_counter() - start

    tb.TantivyBackend._searcher = searcher
    wrap(services, "ensure_index", "health check (ensure_index)")
    wrap(tb.TantivyBackend, "_query", "query building")
    wrap(services, "_hydrate", "page: hydration + snippets")
    wrap(services, "snippet", "page: of which snippets")
    wrap(services, "has_match", "page: of which snippets")
    wrap(services, "_labels", "facet labels")
    wrap(services, "parse", "query parsing")

    queries = b.make_queries(200)

    def one(query: dict) -> None:
        services.search(services.SearchParams(
            q=query["q"], filters=query["filters"], mode="lexical",
            year_from=query["years"][0], year_to=query["years"][1]), None)

    for query in queries[:20]:
        one(query)
    rounds = []
    for _round in range(args.rounds):
        acc.clear()
        gc.collect()
        samples = []
        for query in queries:
            start = time.perf_counter()
            one(query)
            samples.append(time.perf_counter() - start)
        rounds.append((sum(samples), dict(acc), b.percentiles(samples)))
    rounds.sort(key=lambda r: r[0])
    total, steps, pct = rounds[len(rounds) // 2]
    n = len(queries)
    print(f"code: {services.__file__}")
    print(f"median round: p50/p95/p99 {pct['p50_ms']} / {pct['p95_ms']} / {pct['p99_ms']} ms")
    print(f"  {'total (mean per query)':34s} {total / n * 1e3:6.2f} ms")
    for label, seconds in sorted(steps.items(), key=lambda kv: -kv[1]):
        print(f"  {label:34s} {seconds / n * 1e3:6.2f} ms  {seconds / total * 100:4.0f}%")


if __name__ == "__main__":
    main()
