"""Text handling shared by training and prediction: goal-number masking, passages, language.

Masking is applied at train *and* predict time: the synthetic articles name their goal outright
("SDG 5", "Goal 5") in 98.5% of cases, so a model trained on raw text learns the number instead of
the topic; masking the same patterns at prediction time keeps the two sides consistent.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

# Goal-number masking lives in ssehub.sdg.masking (no model imports): re-exported here.
from ssehub.sdg.masking import (  # noqa: F401
    CODE_RE,
    ENCODER_CHARS,
    MENTION_RE,
    encoder_input,
    mask_goal_mentions,
)

_WS = re.compile(r"\s+")
_BLANK = re.compile(r"\n\s*\n")
_SENT = re.compile(r"(?<=[.!?;])\s+")


def clean(text: str) -> str:
    """Normalise whitespace and drop control characters (binary garbage becomes spaces)."""
    text = "".join(
        ch if (ch.isprintable() or ch in "\n\t") else " " for ch in text
    )
    return _WS.sub(" ", text).strip()


def split_paragraphs(text: str, min_words: int = 25) -> list[str]:
    """Blank-line paragraphs with at least ``min_words`` words (headings are dropped)."""
    out = []
    for block in _BLANK.split(text or ""):
        block = clean(block)
        if len(block.split()) >= min_words:
            out.append(block)
    return out


def iter_passages(text: str, max_words: int = 150) -> Iterator[str]:
    """Yield passages of at most ``max_words`` words, cut at sentence ends when possible.

    A generator, so a 5 MB text is never held twice: each passage is produced and consumed in
    turn. Paragraph breaks are respected; long paragraphs are cut at sentence boundaries, and
    sentences longer than ``max_words`` are cut by words.
    """
    buf: list[str] = []
    count = 0
    for block in _BLANK.split(text or ""):
        for sentence in _SENT.split(block):
            words = clean(sentence).split()
            while words:
                room = max_words - count
                if len(words) <= room:
                    buf.extend(words)
                    count += len(words)
                    words = []
                elif count == 0:
                    buf, words = words[:max_words], words[max_words:]
                    count = len(buf)
                if count >= max_words or (words and count):
                    yield " ".join(buf)
                    buf, count = [], 0
        # end of paragraph: flush if the passage is already half full
        if count >= max_words // 2:
            yield " ".join(buf)
            buf, count = [], 0
    if buf:
        yield " ".join(buf)


def split_passages(text: str, max_words: int = 150) -> list[str]:
    """List form of :func:`iter_passages` (convenient for short and medium texts)."""
    return list(iter_passages(text, max_words=max_words))


_WORD = re.compile(r"[^\W\d_]{2,}", re.UNICODE)
STOPWORDS = {
    lang: frozenset(words.split(" "))
    for lang, words in {
        "en": "the of and to in is that for are with as on by this be from or which have an it",
        "fr": "le la les des et du dans un une est pour que qui sur par au aux en ces ce",
        "es": "el la los las de del y en un una es para que por con se al su sus como",
    }.items()
}


def word_quality(text: str) -> float:
    """Share of characters that belong to real-looking words (0 for garbage, ~0.8 for prose).

    Why: binary garbage and number tables must never get a confident SDG label, whatever the
    classifiers say about them; the predictor scales its scores by this confidence.
    """
    if not text:
        return 0.0
    sample = text[:20000]
    letters = sum(len(w) for w in _WORD.findall(sample) if _plausible(w))
    return letters / max(len(sample), 1)


_VOWEL = re.compile(r"[aeiouy]")
_CONSONANT_RUN = re.compile(r"[bcdfghjklmnpqrstvwxz]{5,}")


@lru_cache(maxsize=100_000)
def _plausible(word: str) -> bool:
    """A word with vowels and no long consonant run (cheap check against random letters).

    Cached: prose repeats its words, and this ran for every word of every passage."""
    w = word.lower()
    if not w.isascii():
        w = unicodedata.normalize("NFKD", w)
        w = "".join(c for c in w if not unicodedata.combining(c))
        if not w.isascii():
            return True  # other scripts: no opinion here
    if len(w) > 25 or not _VOWEL.search(w):
        return False
    return _CONSONANT_RUN.search(w) is None


def guess_language(text: str) -> str:
    """'en', 'fr', 'es' or '' by stop-word counts: cheap, deterministic, good enough to weight
    the lexical (English-trained) model down on French and Spanish text."""
    words = [w.lower() for w in _WORD.findall(text[:5000])]
    if not words:
        return ""
    scores = {lang: sum(w in stop for w in words) for lang, stop in STOPWORDS.items()}
    best = max(scores, key=lambda k: scores[k])
    if scores[best] < max(1, len(words) // 20):
        return ""
    return best
