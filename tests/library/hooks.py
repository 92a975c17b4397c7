"""Ingest hooks for tests (settings.SSEHUB_INGEST_HOOKS takes dotted paths)."""

from __future__ import annotations

CALLS: list[tuple[int, int]] = []


def record(item) -> None:
    """Remember which item the hook saw, and how many files it had at that moment."""
    CALLS.append((item.pk, item.files.count()))


def explode(item) -> None:
    raise RuntimeError(f"the SDG mapper is down (item {item.pk})")
