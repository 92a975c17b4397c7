"""Survey limits, read from Django settings first, then the environment, then a default.

They live here rather than in ``settings.py`` so that the surveys app stays self-contained
(the harvest app does the same); tests override them with pytest-django's ``settings``.
"""

from __future__ import annotations

import os

from django.conf import settings

DEFAULTS: dict[str, int] = {
    # Bytes of an uploaded or imported XLSForm file (a large real form is well under 2 MB).
    "SSEHUB_SURVEY_MAX_FILE_BYTES": 10 * 1024 * 1024,
    # Rows per sheet: the biggest real forms have a few thousand (mostly choices); a sheet
    # over the limit is refused rather than read into memory.
    "SSEHUB_SURVEY_MAX_ROWS": 20_000,
    # Columns per sheet (many languages x label, hint, media... stays far below).
    "SSEHUB_SURVEY_MAX_COLUMNS": 1_000,
    # Bytes of one file answered to a file/image/audio/video question.
    "SSEHUB_SURVEY_MAX_UPLOAD_BYTES": 5 * 1024 * 1024,
    # Days between two reminders sent by ``ssehub survey remind --due`` / the scheduler.
    "SSEHUB_SURVEY_REMINDER_DAYS": 7,
    # Published reports hide a question, or a cross-tab column, answered by fewer than this
    # many responses: a count of one or two would tell who answered what.
    "SSEHUB_SURVEY_MIN_GROUP": 3,
}


def get(name: str) -> int:
    """The setting ``name``: Django settings, else the environment, else the default."""
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name)
    if value is None:
        value = DEFAULTS[name]
    return int(value)
