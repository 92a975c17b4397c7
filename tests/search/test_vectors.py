"""The vector store: float16 in memory with sign bits, exact scores for a small store, and the
bit prefilter for a large one finding what the exact product finds."""

from __future__ import annotations

import numpy as np

from ssehub.search import vectors
from ssehub.search.vectors import DIM, VectorStore


def _unit(rng: np.random.Generator, n: int) -> np.ndarray:
    m = rng.standard_normal((n, DIM)).astype(np.float32)
    return m / np.linalg.norm(m, axis=1, keepdims=True)


def _exact(matrix: np.ndarray, query: np.ndarray, k: int) -> list[int]:
    scores = matrix.astype(np.float16).astype(np.float32) @ query
    return [int(i) for i in np.argsort(-scores, kind="stable")[:k]]


def test_prefilter_finds_the_exact_neighbours(tmp_path, monkeypatch):
    rng = np.random.default_rng(7)
    # Clustered, as texts on a few topics are (isotropic noise is the worst case for bits).
    centres = _unit(rng, 30)
    matrix = centres[rng.integers(0, 30, 3000)] + 0.08 * rng.standard_normal((3000, DIM))
    matrix = (matrix / np.linalg.norm(matrix, axis=1, keepdims=True)).astype(np.float32)
    store = VectorStore(tmp_path)
    store.replace_all(list(range(1, 3001)), [0] * 3000, matrix)
    monkeypatch.setattr(vectors, "MIN_CANDIDATES", 300)  # force the prefilter: 3000 > 300
    assert vectors.candidates(3000) == 300
    hits = 0
    for row in rng.choice(3000, 20, replace=False):
        # A query near an item (its vector plus noise): the item and its exact neighbours.
        query = matrix[row] + 0.2 * _unit(rng, 1)[0]
        query /= np.linalg.norm(query)
        found = [i - 1 for i, _score in store.search(query, 10, -1.0)]
        assert found[0] == row
        hits += len(set(found) & set(_exact(matrix, query, 10)))
    assert hits / 200 >= 0.9


def test_small_store_is_exact_and_follows_changes(tmp_path):
    rng = np.random.default_rng(3)
    matrix = _unit(rng, 50)
    store = VectorStore(tmp_path)
    store.replace_all(list(range(1, 51)), [0] * 50, matrix)
    query = matrix[10]
    assert [i - 1 for i, _s in store.search(query, 5, -1.0)] == _exact(matrix, query, 5)
    store.delete([11])
    assert 11 not in [i for i, _s in store.search(query, 5, -1.0)]
    store.upsert([99], [1], query[None, :])
    assert store.search(query, 1, 0.5)[0][0] == 99
    found, got = store.vectors_for([99, 12345])
    assert found == [99] and got.dtype == np.float32 and got.shape == (1, DIM)
    assert store._matrix.dtype == np.float16 and store._bits.shape[1] == DIM // 64


def test_chunked_hamming_distances_equal_the_direct_count():
    """The prefilter's distances, computed chunk by chunk into reused buffers, are exactly the
    popcount of the XOR, across chunk borders and for a last partial chunk."""
    import numpy as np

    from ssehub.search import vectors

    rng = np.random.default_rng(7)
    rows = vectors.HAMMING_CHUNK * 2 + 123
    bits = rng.integers(0, 2**63, size=(rows, vectors.WORDS), dtype=np.int64).view(np.uint64)
    query = rng.integers(0, 2**63, size=(vectors.WORDS,), dtype=np.int64).view(np.uint64)
    expected = np.bitwise_count(bits ^ query).sum(axis=1)
    assert np.array_equal(vectors.hamming(bits, query), expected)
    assert np.array_equal(vectors.hamming(bits[:5], query), expected[:5])
    assert vectors.hamming(bits[:0], query).shape == (0,)
