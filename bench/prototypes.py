"""Measure cheaper variants of the pipeline's costly steps, without touching src/.

    SSEHUB_DATA_DIR=<an ingested data dir> .venv/bin/python bench/prototypes.py CORPUS_DIR DATA_DIR

* language detection: what the pipeline does now (the text's first 3,000 characters, then
  the title and the abstract separately) against detecting on a shorter sample, and against
  reusing the text's language for the title and abstract; with agreement on the corpus.
* near-duplicate lookup: the current ORM query (32 OR'ed band conditions) against one
  ``hash IN (...)`` query filtered in Python, for new documents against the ingested library.
* MinHash: shingling against hashing, to see which half costs.

Prints one JSON object.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

SAMPLE_DOCS = 240


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ssehub.settings")
    import django

    django.setup()


def per_call_ms(func, values, repeat: int = 1) -> float:
    best = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for value in values:
            func(value)
        best.append((time.perf_counter() - t0) / max(len(values), 1) * 1000)
    return min(best)


def language_prototypes(texts: list[tuple[str, str, str, str]]) -> dict:
    from langdetect import DetectorFactory, LangDetectException, detect_langs

    from ssehub.library import language

    def detect_sample(chars: int):
        def run(text: str) -> str:
            DetectorFactory.seed = 0
            try:
                return detect_langs(text[:chars])[0].lang
            except LangDetectException:
                return ""
        return run

    language.detect("warm up the langdetect profiles")
    bodies = [t[0] for t in texts]
    titles = [t[1] for t in texts]
    abstracts = [t[2] for t in texts if t[2]]
    truth = [t[3] for t in texts]
    current = [language.detect(b) for b in bodies]
    out = {
        "docs": len(texts),
        "current_text_ms": per_call_ms(language.detect, bodies),
        "current_title_ms": per_call_ms(language.detect, titles),
        "current_abstract_ms": per_call_ms(language.detect, abstracts),
        "current_agreement_with_truth": sum(a == b for a, b in zip(current, truth, strict=True))
        / len(truth),
        "title_agreement_with_truth": sum(language.detect(t) == lang for t, lang in
                                          zip(titles, truth, strict=True)) / len(truth),
        "samples": [],
    }
    for chars in (1500, 1000, 500, 300):
        run = detect_sample(chars)
        got = [run(b) for b in bodies]
        out["samples"].append({
            "chars": chars, "ms": per_call_ms(run, bodies),
            "agreement_with_current": sum(a == b for a, b in zip(got, current, strict=True))
            / len(current),
            "agreement_with_truth": sum(a == b for a, b in zip(got, truth, strict=True))
            / len(truth),
        })
    return out


def near_duplicate_prototypes(signatures: list) -> dict:
    from django.db import connection

    from ssehub.library.ingest import dedup, pipeline
    from ssehub.library.models import ItemFile, TextBand

    def current(sig):
        return pipeline._near_duplicate(sig)

    def one_in_query(sig):
        wanted = dict(dedup.bands(sig))
        hits = TextBand.objects.filter(hash__in=list(wanted.values())).values_list(
            "file_id", "band", "hash")
        ids = {f for f, band, value in hits if wanted.get(band) == value}
        best, best_score = None, 0.0
        if ids:
            for file_id, blob in ItemFile.objects.filter(id__in=ids).exclude(
                    minhash=None).values_list("item_id", "minhash")[:50]:
                score = dedup.similarity(sig, dedup.from_bytes(blob))
                if score > best_score:
                    best, best_score = file_id, score
        return best, best_score

    def query_build_only(sig):
        from django.db.models import Q

        query = Q()
        for band, value in dedup.bands(sig):
            query |= Q(band=band, hash=value)
        qs = ItemFile.objects.filter(id__in=TextBand.objects.filter(query).values("file_id"))
        return str(qs.query)

    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM library_textband")
        bands = cursor.fetchone()[0]
    candidates = []
    for sig in signatures:
        wanted = dict(dedup.bands(sig))
        hits = TextBand.objects.filter(hash__in=list(wanted.values())).values_list(
            "file_id", "band", "hash")
        candidates.append(len({f for f, band, value in hits if wanted.get(band) == value}))
    agree = sum((current(s)[1] >= 0.8) == (one_in_query(s)[1] >= 0.8) for s in signatures)
    return {
        "lookups": len(signatures), "textband_rows": bands,
        "current_ms": per_call_ms(current, signatures, repeat=2),
        "current_query_build_ms": per_call_ms(query_build_only, signatures, repeat=2),
        "one_in_query_ms": per_call_ms(one_in_query, signatures, repeat=2),
        "same_verdict": agree / max(len(signatures), 1),
        "candidates_median": statistics.median(candidates),
        "candidates_mean": statistics.mean(candidates),
        "candidates_max": max(candidates),
    }


def minhash_prototypes(bodies: list[str]) -> dict:
    from ssehub.library.ingest import dedup

    return {
        "signature_ms": per_call_ms(dedup.signature, bodies, repeat=2),
        "shingles_ms": per_call_ms(dedup.shingles, bodies, repeat=2),
        "mean_shingles": statistics.mean(len(dedup.shingles(b)) for b in bodies),
    }


def main() -> None:
    corpus, _data_dir = Path(sys.argv[1]), Path(sys.argv[2])
    _setup()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from ingest_worker import _kind, corpus_files
    from make_corpus import document
    from ssehub.library.ingest import dedup
    from ssehub.library.ingest.extract import extract

    files = corpus_files(corpus)
    step = max(len(files) // SAMPLE_DOCS, 1)
    texts = []
    for path in files[::step][:SAMPLE_DOCS]:
        got = extract(_kind(path), path.read_bytes())
        truth = path.parent.name  # files/<kind>/<lang>/doc-N.<kind>
        texts.append((got.text, got.title, got.abstract, truth))
    # New documents, not in the library: the normal case for the near-duplicate lookup.
    fresh = []
    for index in range(10_000_000, 10_000_000 + 120):
        doc = document(index, seed=99)
        body = doc["abstract"] + "\n" + "\n".join(p for _n, ps in doc["sections"] for p in ps)
        fresh.append(dedup.signature(body))
    out = {
        "language": language_prototypes(texts),
        "near_duplicate": near_duplicate_prototypes([s for s in fresh if s is not None]),
        "minhash": minhash_prototypes([t[0] for t in texts]),
    }
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
