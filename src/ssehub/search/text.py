"""Text helpers shared by every backend: accent folding, stop words and snippets.

Snippets are made here, from the text hydrated out of the database, rather than by the engine:
the index then stores no text at all (it stays a small projection of the database), and the
tantivy and PostgreSQL backends show exactly the same snippet for the same result.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from django.utils.html import escape

WORD_RE = re.compile(r"[\w]+", re.UNICODE)

# Words too common to require in a conjunctive query (they stay optional, for ranking).
# Short lists on purpose: elisions (l', d', qu') and the function words of the hub's languages.
STOPWORDS: frozenset[str] = frozenset(
    """
    a an and are as at be by for from in into is it of on or the to with without about
    au aux avec ce ces d dans de des du en et l la le les leur leurs n ne ou par pas pour qu
    que qui s sa se ses son sur un une y
    al con del el en las lo los para por que se sin su sus un una unos unas y o
    e em da das do dos na nas no nos os um uma
    """.split()  # noqa: SIM905 (a word list reads better as text)
)


def fold(text: str) -> str:
    """Lower-case and strip diacritics, so that "Coopérative" and "cooperative" meet."""
    if text.isascii():  # most words: nothing to decompose (snippets fold every word)
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    """The folded words of a text."""
    return WORD_RE.findall(fold(text))


def is_stopword(word: str) -> bool:
    parts = words(word)
    return bool(parts) and all(part in STOPWORDS or len(part) == 1 for part in parts)


def _stem_key(word: str) -> str:
    """A crude language-neutral stem for highlighting: enough to mark "cooperatives" for
    the query "coopérative" without knowing which analyser matched."""
    return word if len(word) <= 4 else word[: max(4, len(word) - 3)]


# Each character's fold cut to one character (its first), so that a folded text keeps the
# positions of the original and one regular expression finds the query's words in it.
_FOLD_ONE: dict[int, str] = {}
_FOLDED_CHARS: set[str] = set()


def fold_in_place(text: str) -> str:
    """``text`` folded character by character, the same length as ``text``."""
    for ch in set(text) - _FOLDED_CHARS:
        folded = fold(ch)
        _FOLD_ONE[ord(ch)] = folded[:1] if folded else ch
        _FOLDED_CHARS.add(ch)
    return text.translate(_FOLD_ONE)


@lru_cache(maxsize=256)
def _term_pattern(terms: tuple[str, ...]) -> re.Pattern | None:
    """Words starting with one of the terms' stems (stop words left out), or None."""
    keys = {_stem_key(t) for t in (fold(t) for t in terms) if t and not is_stopword(t)}
    if not keys:
        return None
    alternatives = "|".join(re.escape(k) for k in sorted(keys, key=len, reverse=True))
    return re.compile(rf"\b(?:{alternatives})\w*")


def _matches(text: str, terms: Iterable[str]) -> list[tuple[int, int]]:
    pattern = _term_pattern(tuple(terms))
    if pattern is None or not text:
        return []
    return [m.span() for m in pattern.finditer(fold_in_place(text))]


def has_match(text: str, terms: Iterable[str]) -> bool:
    """Whether a snippet of ``text`` would mark one of the terms."""
    pattern = _term_pattern(tuple(terms))
    return bool(text) and pattern is not None and pattern.search(fold_in_place(text)) is not None


def snippet(text: str, terms: Iterable[str], *, length: int = 240) -> str:
    """An HTML-safe excerpt of ``text`` around the densest group of query terms, with the
    matches wrapped in ``<mark>``; the start of the text when nothing matches."""
    if not text:
        return ""
    matches = _matches(text, terms)
    start = 0
    if matches:
        # The window of ``length`` characters holding the most matches.
        best, best_count, j = 0, 0, 0
        for i, (s, _e) in enumerate(matches):
            while matches[j][0] < s - length:
                j += 1
            if i - j + 1 > best_count:
                best_count, best = i - j + 1, matches[j][0]
        start = max(0, best - 40)
        if start:
            space = text.find(" ", start)
            start = space + 1 if 0 <= space < best else start
    end = min(len(text), start + length)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start + length // 2 else end
    out: list[str] = ["…" if start else ""]
    cursor = start
    for s, e in matches:
        if s < start or e > end:
            continue
        out.append(escape(text[cursor:s]))
        out.append(f"<mark>{escape(text[s:e])}</mark>")
        cursor = e
    out.append(escape(text[cursor:end]))
    out.append("…" if end < len(text) else "")
    return re.sub(r"\s+", " ", "".join(out)).strip()
