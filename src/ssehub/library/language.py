"""Language detection for metadata fields and extracted text.

langdetect is seeded so that the same text always gets the same answer (it is random by
default), and it is only asked about texts long enough for an answer to mean something.
"""

from __future__ import annotations

from langdetect import DetectorFactory, LangDetectException, detect_langs

DetectorFactory.seed = 0

MIN_CHARS = 12
SAMPLE_CHARS = 1000  # enough for a stable answer (measured in bench/); langdetect is ~linear


def detect(text: str, min_probability: float = 0.7) -> str:
    """Return an ISO 639-1 code for ``text``, or "" when the text is too short or unclear."""
    text = (text or "").strip()
    if len(text) < MIN_CHARS or not any(ch.isalpha() for ch in text):
        return ""
    try:
        candidates = detect_langs(text[:SAMPLE_CHARS])
    except LangDetectException:
        return ""
    best = candidates[0]
    if best.prob < min_probability:
        return ""
    return best.lang.split("-")[0]
