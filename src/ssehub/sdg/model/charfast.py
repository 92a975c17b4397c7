"""The character n-gram TF-IDF of the SDG model, computed word by word with a cache.

Why: scikit-learn's ``char_wb`` analyser builds every 3-5-gram of every word of every text in
Python and looks each one up in the vocabulary; it was 82% of the lexical path's time (see
docs/benchmarks.md, SDG section). With ``char_wb`` the n-grams of a text are exactly the union
of the n-grams of its words (each word padded with one space on each side), so the feature ids
of a word can be computed once and reused: real text repeats its words (Zipf), so most words
after the first few hundred paragraphs are cache hits. The counts then go through the fitted
vectoriser's own ``TfidfTransformer`` (sublinear tf, IDF, l2 norm), so the matrix is the one
``vectorizer.transform`` returns (tests/sdg/test_charfast.py compares them on real text).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from itertools import chain

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

CACHE_WORDS = 200_000  # distinct words remembered (a few hundred bytes each)


class CharNgramTfidf:
    """``transform`` equal to a fitted ``TfidfVectorizer(analyzer="char_wb")``'s, faster."""

    def __init__(self, vectorizer: TfidfVectorizer) -> None:
        if vectorizer.analyzer != "char_wb":
            raise ValueError("only char_wb vectorisers can be computed word by word")
        if not hasattr(vectorizer, "vocabulary_"):
            vectorizer._validate_vocabulary()  # a vectoriser given its vocabulary, not fitted
        self.vectorizer = vectorizer
        self.vocabulary: dict[str, int] = vectorizer.vocabulary_
        self.min_n, self.max_n = vectorizer.ngram_range
        self.preprocess = vectorizer.build_preprocessor()
        self._ids: dict[str, list[int]] = {}

    def _word_ids(self, word: str) -> list[int]:
        """Vocabulary ids of the n-grams of one word, as scikit-learn's ``char_wb`` makes them."""
        ids = self._ids.get(word)
        if ids is not None:
            return ids
        padded = f" {word} "
        length = len(padded)
        grams: list[str] = []
        for n in range(self.min_n, self.max_n + 1):
            grams.append(padded[:n])
            offset = 0
            while offset + n < length:
                offset += 1
                grams.append(padded[offset:offset + n])
            if offset == 0:  # a word shorter than n: counted once, like scikit-learn
                break
        vocabulary = self.vocabulary
        ids = [vocabulary[g] for g in grams if g in vocabulary]
        if len(self._ids) < CACHE_WORDS:
            self._ids[word] = ids
        return ids

    def counts(self, texts: Sequence[str]) -> sp.csr_matrix:
        """The raw n-gram counts (what ``CountVectorizer.transform`` would give)."""
        indptr = [0]
        indices: list[int] = []
        values: list[int] = []
        for text in texts:
            # scikit-learn collapses whitespace runs, then splits on whitespace: split() alone
            # gives the same words. Counter counts in C.
            words = self.preprocess(text).split()
            counter = Counter(chain.from_iterable(map(self._word_ids, words)))
            indices.extend(counter)
            values.extend(counter.values())
            indptr.append(len(indices))
        matrix = sp.csr_matrix(
            (np.asarray(values, dtype=np.intc), np.asarray(indices, dtype=np.int32),
             np.asarray(indptr, dtype=np.int32)),
            shape=(len(texts), len(self.vocabulary)), dtype=self.vectorizer.dtype,
        )
        matrix.sort_indices()
        return matrix

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        return self.vectorizer._tfidf.transform(self.counts(texts), copy=False)
