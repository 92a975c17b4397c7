"""Personal survey links: ``<key>.<mac>`` where ``mac`` is an HMAC of the key.

Why not a random token stored hashed: reminders must e-mail the same link again, which a
one-way hash cannot give back. The key is random (``secrets``) and stored; the MAC is derived
from it with the site's secret key (``salted_hmac``) and never stored, so a database leak
alone does not yield working links, and a forged token fails a constant-time comparison.
"""

from __future__ import annotations

import hmac
import secrets

from django.utils.crypto import salted_hmac

SALT = "ssehub.surveys.invitation"


def new_key() -> str:
    """A random, URL-safe key (128 bits)."""
    return secrets.token_urlsafe(16)


def mac(key: str) -> str:
    return salted_hmac(SALT, key, algorithm="sha256").hexdigest()[:32]


def token_for(key: str) -> str:
    """The token of a personal link for the invitation ``key``."""
    return f"{key}.{mac(key)}"


def split(token: str) -> str | None:
    """The key of a genuine token, or None (checked in constant time)."""
    key, sep, given = (token or "").partition(".")
    if not sep or not key or len(key) > 32 or len(given) != 32:
        return None
    if not hmac.compare_digest(mac(key), given):
        return None
    return key
