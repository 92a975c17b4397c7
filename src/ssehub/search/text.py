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
# positions of the original and the query's words can be found in it. str.translate is only
# fast with a plain dict that holds every character of the text (a missing key costs an
# exception, a dict subclass a Python call per character): the table is filled in advance
# for ASCII and the Latin blocks, and with any other character the first time a text has it.
_FOLD_ONE: dict[int, str] = {}
_TABLED_UP_TO = 0x24F  # Basic Latin to Latin Extended-B
_UNTABLED = re.compile(r"[^\x00-\u024f]")


def _add_to_fold_table(chars: Iterable[str]) -> None:
    for ch in chars:
        if ord(ch) not in _FOLD_ONE:
            folded = fold(ch)
            _FOLD_ONE[ord(ch)] = folded[:1] if folded else ch


_add_to_fold_table(chr(code) for code in range(_TABLED_UP_TO + 1))


def _single_byte_table(codec: str) -> tuple[bytes, re.Pattern]:
    """A bytes.translate table doing the fold for the texts a single-byte codec can encode
    (most Western European text in cp1252), and the characters it cannot do (whose fold the
    codec cannot encode, such as µ → μ)."""
    table, unsafe = bytearray(range(256)), []
    for code in range(256):
        try:
            ch = bytes([code]).decode(codec)
        except UnicodeDecodeError:
            continue
        folded = _FOLD_ONE.get(ord(ch)) or (fold(ch)[:1] or ch)
        try:
            table[code] = folded.encode(codec)[0]
        except UnicodeEncodeError:
            unsafe.append(ch)
    return bytes(table), re.compile("[" + re.escape("".join(unsafe)) + "]" if unsafe
                                    else r"(?!x)x")


_CP1252_TABLE, _CP1252_UNSAFE = _single_byte_table("cp1252")


def fold_in_place(text: str) -> str:
    """``text`` folded character by character, the same length as ``text``."""
    if text.isascii():  # lower() keeps an ASCII text's length, and is what fold() does
        return text.lower()
    try:  # bytes.translate runs ~10x faster than str.translate with a dict
        if not _CP1252_UNSAFE.search(text):
            return text.encode("cp1252").translate(_CP1252_TABLE).decode("cp1252")
    except UnicodeEncodeError:
        pass  # a character outside cp1252 (Greek, CJK...): the general path below folds it
    if _UNTABLED.search(text):
        _add_to_fold_table(set(text))
    return text.translate(_FOLD_ONE)


_WORD_CHAR = re.compile(r"\w")
_WORD_REST = re.compile(r"\w*")


@lru_cache(maxsize=256)
def _term_keys(terms: tuple[str, ...]) -> tuple[str, ...]:
    """The stems of the terms (stop words left out), longest first."""
    keys = {_stem_key(t) for t in (fold(t) for t in terms) if t and not is_stopword(t)}
    return tuple(sorted(keys, key=len, reverse=True))


def _spans(folded: str, keys: tuple[str, ...], first_only: bool = False) -> list[tuple[int, int]]:
    """(start, end) of the words of ``folded`` that start with one of the keys: what the
    pattern ``\\b(?:key1|key2)\\w*`` finds, but with str.find (a regular expression that
    starts with \\b scans a 4,000-character text several times slower)."""
    spans: dict[int, int] = {}
    for key in keys:
        i = folded.find(key)
        while i >= 0:
            if (i == 0 or not _WORD_CHAR.match(folded, i - 1)) and i not in spans:
                spans[i] = _WORD_REST.match(folded, i + len(key)).end()
                if first_only:
                    return [(i, spans[i])]
            i = folded.find(key, i + 1)
    return sorted(spans.items())


def _matches(text: str, terms: Iterable[str]) -> list[tuple[int, int]]:
    keys = _term_keys(tuple(terms))
    if not keys or not text:
        return []
    return _spans(fold_in_place(text), keys)


def has_match(text: str, terms: Iterable[str]) -> bool:
    """Whether a snippet of ``text`` would mark one of the terms."""
    keys = _term_keys(tuple(terms))
    return bool(text) and bool(keys) and bool(_spans(fold_in_place(text), keys, True))


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
