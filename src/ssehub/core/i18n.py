"""Multilingual values: metadata is stored per language as ``{"en": ..., "fr": ...}``."""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from django.utils import translation

UI_LANGUAGES = [code for code, _name in settings.LANGUAGES]


def pick(values: Mapping[str, str] | None, language: str | None = None) -> str:
    """Return the value in ``language`` (default: the active one), else English, else any.

    A reader sees the abstract in their own language when the hub has it, and otherwise the
    original rather than nothing.
    """
    if not values:
        return ""
    language = (language or translation.get_language() or "en").split("-")[0]
    for code in (language, "en", *values.keys()):
        value = values.get(code)
        if value:
            return value
    return ""


def pick_language(values: Mapping[str, str] | None, language: str | None = None) -> str:
    """Return the language code of the value that :func:`pick` would choose."""
    if not values:
        return ""
    language = (language or translation.get_language() or "en").split("-")[0]
    for code in (language, "en", *values.keys()):
        if values.get(code):
            return code
    return ""
