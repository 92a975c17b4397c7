"""Ingestion hooks: where the SDG mapper and the search indexer plug into the pipeline.

Each hook is called with the stored item inside the item's transaction (so whatever a hook
writes, such as SDG links or an index outbox row, commits or rolls back with the item). The
list lives in ``settings.SSEHUB_INGEST_HOOKS``: the SDG mapper
(``ssehub.sdg.services.ingest_hook``) runs first, then :func:`index_item`.
"""

from __future__ import annotations

from collections.abc import Sequence

from ssehub.library.models import Item


def index_item(item: Item) -> None:
    """Queue the item for the search index: an outbox row in the item's transaction.

    The search app's model signals already queue every saved item; this explicit row covers
    hooks that change an item through bulk writes (which send no signals) before it.
    """
    from ssehub.search.outbox import enqueue

    enqueue(item.pk)


def index_items(items: Sequence[Item]) -> None:
    """:func:`index_item` for a batch (one INSERT for the lot)."""
    from ssehub.search.outbox import enqueue_many

    enqueue_many([item.pk for item in items])


index_item.many = index_items  # type: ignore[attr-defined]  # see pipeline.run_hooks_many


def batch():
    """A context for batch ingestion: index updates are applied in batches (see
    ``ssehub.search.outbox.deferred``); it yields a ``flush()`` to call now and then."""
    from ssehub.search.outbox import deferred

    return deferred()
