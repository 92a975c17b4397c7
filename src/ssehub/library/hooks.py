"""Ingestion hooks: where the SDG mapper and the search indexer plug into the pipeline.

Each hook is called with the stored item inside the item's transaction (so whatever a hook
writes, such as SDG links or an index outbox row, commits or rolls back with the item). The
list lives in ``settings.SSEHUB_INGEST_HOOKS``: the SDG mapper
(``ssehub.sdg.services.ingest_hook``) runs first, then :func:`index_item`.

Hooks run when an item is made, when a file is added to it, and again when an update changes
its text (``TEXT_FIELDS``): the machine's SDG links follow what the item says (editors'
decisions stay, see ``ssehub.sdg.services``).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.utils.module_loading import import_string

from ssehub.library.models import Item

# The metadata an item's text is made of, next to its files: what the SDG mapper and the
# semantic index read (``ssehub.sdg.services.item_text``).
TEXT_FIELDS = frozenset({"title", "abstract", "keywords"})


def run_hooks(item: Item) -> None:
    """Hand the item to the SDG mapper, the indexer and any other configured hook."""
    for path in settings.SSEHUB_INGEST_HOOKS:
        import_string(path)(item)


def run_hooks_many(items: Sequence[Item]) -> None:
    """:func:`run_hooks` for a batch: a hook that offers a batch form (a ``many`` attribute
    taking the list) gets the items at once, the others one by one."""
    if not items:
        return
    for path in settings.SSEHUB_INGEST_HOOKS:
        hook = import_string(path)
        if many := getattr(hook, "many", None):
            many(items)
        else:
            for item in items:
                hook(item)


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


index_item.many = index_items  # type: ignore[attr-defined]  # see run_hooks_many


def batch():
    """A context for batch ingestion: index updates are applied in batches (see
    ``ssehub.search.outbox.deferred``); it yields a ``flush()`` to call now and then."""
    from ssehub.search.outbox import deferred

    return deferred()
