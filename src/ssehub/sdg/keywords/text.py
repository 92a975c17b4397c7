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
from itertools import accumulate

from .query import WORD_CHARS

WORD = re.compile(rf"{WORD_CHARS}+")
_SPLIT = re.compile(rf"({WORD_CHARS}+)")
BLANK_LINE = re.compile(r"\n[^\S\n]*\n")
BLOCK_CHARS = 200_000
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


def tokenize(text: str) -> tuple[list[int], list[int], list[str], list[str]]:
    """``(starts, ends, folded_words, separators)`` of ``text`` in one C-speed pass.

    Why not ``finditer``: splitting with a capturing group and accumulating the piece lengths
    gives every word's offsets without a Python-level step per word, which is most of the cost
    of matching a short paragraph. An ASCII text is lower-cased once (same length, so the
    offsets hold); other texts fold word by word through the cache. ``separators[i]`` is the
    text between word ``i`` and word ``i + 1``.
    """
    ascii_only = text.isascii()
    parts = _SPLIT.split(text.lower() if ascii_only else text)
    offsets = list(accumulate(map(len, parts), initial=0))
    count = len(parts) // 2
    starts = offsets[1:2 * count:2]
    ends = offsets[2:2 * count + 1:2]
    found = parts[1::2]
    folded = found if ascii_only else list(map(fold, found))
    return starts, ends, folded, parts[2::2]


def blocks(text: str, size: int = BLOCK_CHARS) -> Iterator[tuple[int, str]]:
    """Cut a long text into ``(offset, block)`` pieces of about ``size`` characters at
    whitespace (a blank line when there is one), so memory does not grow with the text."""
    start, n = 0, len(text)
    while start < n:
        end = min(n, start + size)
        if end < n:
            cut = text.rfind("\n\n", start + size // 2, end)
            if cut < 0:
                cut = max(text.rfind(" ", start + size // 2, end),
                          text.rfind("\n", start + size // 2, end))
            if cut > start:
                end = cut
        yield start, text[start:end]
        start = end
