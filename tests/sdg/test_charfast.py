"""The word-by-word character n-gram TF-IDF gives scikit-learn's matrix, on real text in the
hub's three languages, odd whitespace, short words and words seen for the first time."""

from __future__ import annotations

import numpy as np

from ssehub.library.demo import loader
from ssehub.sdg.model import load_model
from ssehub.sdg.model.charfast import CharNgramTfidf

ODD = [
    "",
    "a",
    "Coopératives\tde\n\nproduction  et  d'économie SOCIALE — à São Paulo",
    "x yz abcd abcde abcdef " * 3,
    "Economía social y solidaria: cooperativas, mutuales y ONG en América Latina.",
    "SDG 8 decent work; 8.5 full employment!! 100% (women & youth)",
]


def _texts() -> list[str]:
    texts = list(ODD)
    for entry in loader.read_entries():
        for name in ("title", "abstract"):
            value = entry.metadata.get(name) or {}
            texts.extend(v for v in (value.values() if isinstance(value, dict) else [value]) if v)
    return texts


def test_same_matrix_as_scikit_learn():
    model = load_model()
    texts = _texts()
    assert len(texts) > 30
    fast = CharNgramTfidf(model.char)
    for _ in range(2):  # the second pass reads every word from the cache
        got = fast.transform(texts)
        want = model.char.transform(texts)
        assert got.shape == want.shape
        assert np.array_equal(got.indptr, want.indptr)
        assert np.array_equal(got.indices, want.indices)
        assert np.allclose(got.data, want.data, rtol=0, atol=1e-7)
