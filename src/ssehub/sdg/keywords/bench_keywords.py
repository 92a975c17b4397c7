"""Throughput of the keyword layer: paragraphs per second on ~80-word paragraphs.

Not a test (timings are never asserted in tests). Run::

    python -m ssehub.sdg.keywords.bench_keywords [--n 5000]

It reads real paragraphs from ../shared/data/sdg/train/ when present (the synthetic SDG
articles, split into ~80-word paragraphs; the Canadian French indicator metadata) and falls
back to generated text, then times :func:`match` and :func:`goal_scores` on one core.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import random
import re
import sys
import time
from pathlib import Path

from ssehub.sdg import keywords
from ssehub.sdg.keywords.rules import rule_set

TRAIN = Path(__file__).resolve().parents[5] / "shared" / "data" / "sdg" / "train"


def _chunks(text: str, size: int = 80) -> list[str]:
    words = text.split()
    return [" ".join(words[i:i + size]) for i in range(0, len(words) - size // 2, size)]


def english_paragraphs(n: int) -> list[str]:
    """~80-word English paragraphs, goal numbers masked like the training data."""
    path = TRAIN / "sdg_llm_synthetic_seacelo.csv.gz"
    out: list[str] = []
    if path.exists():
        csv.field_size_limit(sys.maxsize)
        with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                text = re.sub(r"\b(SDG|Goal)\s*\d+", r"\1", row["text"])
                out.extend(_chunks(text))
                if len(out) >= n:
                    break
    if len(out) < n:
        vocabulary = re.findall(r"\w+", "water poverty energy renewable cooperative decent "
                                "work climate change education health women equality forest "
                                "ocean city data the of and a in to for with on policy access")
        rng = random.Random(42)
        while len(out) < n:
            out.append(" ".join(rng.choice(vocabulary) for _ in range(80)))
    return out[:n]


def french_paragraphs(n: int) -> list[str]:
    path = TRAIN / "national_indicator_metadata_uk_ca.csv"
    out: list[str] = []
    if path.exists():
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                if row.get("lang") == "fr":
                    out.extend(_chunks(row["text"]))
    while out and len(out) < n:
        out.extend(out[: n - len(out)])
    return out[:n]


def _time(label: str, paragraphs: list[str], function, lang: str | None) -> None:
    for text in paragraphs[:200]:  # warm the word caches, as a running server would be
        function(text, lang)
    start, cpu = time.perf_counter(), time.process_time()
    hits = 0
    for text in paragraphs:
        hits += bool(function(text, lang))
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu  # less sensitive to other processes on a shared machine
    words = sum(len(p.split()) for p in paragraphs) / max(1, len(paragraphs))
    print(f"{label:<34} {len(paragraphs) / elapsed:7.0f} paragraphs/s wall, "
          f"{len(paragraphs) / cpu:7.0f} per CPU-second "
          f"({words:.0f} words avg, {hits / max(1, len(paragraphs)):.0%} with a hit)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=5000)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    for lang in (None, "en", "fr", "es"):
        rule_set(lang)
    print(f"load + compile {len(keywords.all_rules())} rules: "
          f"{time.perf_counter() - start:.2f} s")
    english = english_paragraphs(args.n)
    _time("match, EN paragraphs, lang=en", english, keywords.match, "en")
    _time("match, EN paragraphs, lang=None", english, keywords.match, None)
    _time("goal_scores, EN, lang=en", english, keywords.goal_scores, "en")
    french = french_paragraphs(args.n)
    if french:
        _time("match, FR paragraphs, lang=fr", french, keywords.match, "fr")
    big = "\n\n".join(english[:2000])
    start = time.perf_counter()
    keywords.match(big)
    print(f"one text of {len(big) / 1e6:.1f} MB: {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
