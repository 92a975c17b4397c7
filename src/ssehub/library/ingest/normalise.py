"""Text normalisation: one Unicode form, no control characters, tidy white space."""

from __future__ import annotations

import re
import unicodedata

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u3000]+")
_HYPHEN_BREAK = re.compile(r"(\w)-\n(\w)")
_BLANK_LINES = re.compile(r"\n{3,}")
_SCRIPT = re.compile(r"<(script|style|iframe|noscript|object|embed)\b.*?(</\1\s*>|$)", re.I | re.S)
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]*(\s[^<>]*)?/?>")


def normalise_text(text: str) -> str:
    """NFC, no control characters, words rejoined across hyphenated line breaks."""
    text = unicodedata.normalize("NFC", text or "")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    text = _HYPHEN_BREAK.sub(r"\1\2", text)
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", text).strip()


def normalise_line(text: str) -> str:
    """One line of metadata: NFC, no control characters, single spaces."""
    text = _CONTROL.sub("", unicodedata.normalize("NFC", text or ""))
    return re.sub(r"\s+", " ", text).strip()


def strip_markup(text: str) -> str:
    """A metadata value (title, abstract, author) without HTML tags or script/style content.

    An HTML <title> is raw text, so ``<title>A <script>x()</script></title>`` reaches us as
    that literal string; only a letter right after ``<`` counts as a tag, so "a < b" stays."""
    return normalise_line(_TAG.sub(" ", _SCRIPT.sub(" ", text or "")))
