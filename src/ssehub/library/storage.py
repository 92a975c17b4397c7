"""Content-addressed file store: every file is kept once, under its SHA-256, in the data folder.

Writing goes to a temporary file first and is renamed into place, so a crash never leaves a
half-written blob under a valid name; storing the same bytes twice is a no-op.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from django.conf import settings


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def blob_path(sha256: str) -> Path:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError(f"not a SHA-256: {sha256!r}")
    return Path(settings.FILES_DIR) / sha256[:2] / sha256[2:4] / sha256


def store(data: bytes, digest: str | None = None) -> str:
    """Store ``data`` and return its SHA-256 (``digest``: already computed by the caller)."""
    digest = digest or sha256_bytes(data)
    path = blob_path(digest)
    if path.exists() and path.stat().st_size == len(data):
        return digest
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return digest


def open_blob(sha256: str):
    return blob_path(sha256).open("rb")


def exists(sha256: str) -> bool:
    return blob_path(sha256).exists()
