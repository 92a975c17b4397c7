"""Comparing people's names: case, accents, commas and spacing do not make two people
different (used for conflicts of interest and the blind check of first pages)."""

from __future__ import annotations

import unicodedata


def normalise_name(name: str) -> str:
    text = unicodedata.normalize("NFKD", name or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    if "," in text:  # "Dupont, Marie" -> "marie dupont"
        last, _sep, first = text.partition(",")
        text = f"{first} {last}"
    return " ".join(text.replace(".", " ").split())
