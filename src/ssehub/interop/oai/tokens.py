"""Resumption tokens that are cursors, not offsets.

A token carries the request it continues (verb, prefix, set, from, until) and the position
after the last record sent: its datestamp (``updated_at`` to the microsecond) and id. The next
page is then ``WHERE (updated_at, id) > (t, i) ORDER BY updated_at, id LIMIT n``, an index
seek, so a page deep in a million records costs what the first one does (DSpace-style offsets
get slower with depth). Nothing is kept on the server: tokens never expire with a session and
survive restarts. They are signed so that a damaged or forged token is reported as
``badResumptionToken`` instead of being half-understood.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from django.core import signing

SALT = "ssehub.interop.oai.token"
VERSION = 1
MAX_TOKEN_CHARS = 2000


class InvalidToken(ValueError):
    """The token was not issued by this hub (or was altered, or is from another version)."""


@dataclass(frozen=True)
class Cursor:
    verb: str
    prefix: str
    set_spec: str
    from_: str
    until: str
    after_datestamp: datetime
    after_id: int
    cursor: int  # records sent before the page this token asks for


def encode(cursor: Cursor) -> str:
    data = asdict(cursor)
    data["after_datestamp"] = cursor.after_datestamp.isoformat()
    return signing.dumps({"v": VERSION, **data}, salt=SALT, compress=True)


def decode(token: str) -> Cursor:
    if not token or len(token) > MAX_TOKEN_CHARS:
        raise InvalidToken("empty or oversized token")
    try:
        data = signing.loads(token, salt=SALT)
    except (signing.BadSignature, ValueError, UnicodeError) as exc:
        raise InvalidToken("not a token of this repository") from exc
    if not isinstance(data, dict) or data.pop("v", None) != VERSION:
        raise InvalidToken("token of another version")
    try:
        data["after_datestamp"] = datetime.fromisoformat(data["after_datestamp"])
        cursor = Cursor(**data)
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidToken("incomplete token") from exc
    if cursor.after_datestamp.tzinfo is None or not isinstance(cursor.after_id, int):
        raise InvalidToken("incomplete token")
    return cursor
