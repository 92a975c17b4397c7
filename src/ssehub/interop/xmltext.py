"""Text safe to put in XML 1.0: lxml refuses control characters, and a record that cannot be
serialised must not break a whole OAI page or feed, so they are dropped (with lone surrogates)."""

from __future__ import annotations

import re

# Characters outside the XML 1.0 Char production.
_INVALID = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def clean(value: object) -> str:
    """``value`` as a string holding only characters XML 1.0 allows."""
    if value is None:
        return ""
    return _INVALID.sub("", str(value))
