"""Folding and word tokenisation shared by queries and running text.

Why tokens and not regular expressions over the text: every query term is matched against whole
words (a word = a run of letters/digits, combining marks included), so "mend" can never match
inside "amendment", the work per text is linear in its length, and a match's character offsets
come straight from the word's offsets in the *original* text, even when folding changed the
length of a word ("ﬁ" -> "fi", "ß" -> "ss", a decomposed "é").

Folding: Unicode NFKD, combining marks dropped, casefold, plus the few Latin letters that NFKD
does not decompose (œ, æ, ø, ł, đ, ı...), so that "COOPÉRATIVE", "coopérative" and
"cooperative" are one word, and "œuvre" equals "oeuvre".
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterator

from .query import WORD_CHARS

WORD = re.compile(rf"{WORD_CHARS}+")
_EXTRA = str.maketrans({
    "œ": "oe", "æ": "ae", "ø": "o", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i",
    "ŀ": "l", "ĸ": "k", "ŉ": "n",
})

_CACHE_LIMIT = 200_000
_fold_cache: dict[str, str] = {}
_fold_lock = threading.Lock()


def _fold_uncached(word: str) -> str:
    if word.isascii():
        return word.lower()
    decomposed = unicodedata.normalize("NFKD", word)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped.casefold().translate(_EXTRA)


def fold(word: str) -> str:
    """Accent- and case-insensitive form of a word (cached: vocabularies repeat a lot)."""
    folded = _fold_cache.get(word)
    if folded is None:
        folded = _fold_uncached(word)
        if len(_fold_cache) >= _CACHE_LIMIT:
            with _fold_lock:
                _fold_cache.clear()
        _fold_cache[word] = folded
    return folded


def fold_text(text: str) -> str:
    """Fold a whole string (for display and tests; matching folds word by word)."""
    return _fold_uncached(text)


def words(text: str) -> Iterator[tuple[int, int, str]]:
    """Yield ``(start, end, folded_word)`` for each word of ``text``, offsets in ``text``."""
    cache = _fold_cache
    for found in WORD.finditer(text):
        word = found.group()
        folded = cache.get(word)
        if folded is None:
            folded = fold(word)
        yield found.start(), found.end(), folded
