"""Keeping the index in step with the database: outbox rows in, index updates out.

**Where rows are written: model signals, not calls in the services.** Items change through the
library services, but also through the admin (its inlines save creators and SDG links
directly, then call ``services.record_version``), through the SDG mapper writing machine links,
through the ingest pipeline adding a file to a near-duplicate, and through whatever a later
module does. A ``post_save``/``post_delete`` on :class:`Item` and on the rows the index reads
(creators, SDG links, files), plus ``m2m_changed`` on countries and regions, catches every one
of these paths, including ones not written yet, and always runs inside the writer's transaction
(Django sends them from within ``save()``), so the row commits or rolls back with the change.
What signals miss is ``bulk_create``/``QuerySet.update``; the item's own ``save()`` in the same
transaction covers the services' bulk writes, and any other bulk path calls :func:`enqueue`.

**Applying rows.** With ``SSEHUB_SEARCH_INLINE`` (the embedded default) a committed change is
applied right after the commit (``transaction.on_commit``); otherwise, or if that fails, the
rows wait for ``ssehub reindex --outbox`` (a worker). Drains are serialised by the backend's
lock and delete only the rows they read, so a change committed during a drain is never lost.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from django.conf import settings
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from ssehub.core import bulk
from ssehub.library.models import Creator, Item, ItemFile, ItemGoal
from ssehub.search.models import Outbox

logger = logging.getLogger(__name__)
BATCH = 200
DELETE_CHUNK = 500


_deferred: contextvars.ContextVar[bool] = contextvars.ContextVar("search_deferred", default=False)


def enqueue(item_id: int, op: str = Outbox.Op.UPSERT) -> None:
    """Record that an item changed, in the current transaction, and schedule the indexer.

    A plain INSERT (``core.bulk``): this runs from signals two to four times per item written
    (item, file, creators, SDG links), and the ORM's ``create`` cost ten times the statement
    itself."""
    enqueue_many([item_id], op)


def enqueue_many(item_ids: Sequence[int], op: str = Outbox.Op.UPSERT) -> None:
    """:func:`enqueue` for a batch of items (a harvested page): one statement."""
    if not item_ids:
        return
    bulk.insert(Outbox, ({"item_id": int(item_id), "op": str(op)} for item_id in item_ids))
    if settings.SSEHUB_SEARCH_INLINE and not _deferred.get():
        transaction.on_commit(apply_inline)


@contextmanager
def deferred() -> Iterator[Callable[[], None]]:
    """Batch work (an ingest of many files): apply the outbox when told and at the end.

    One index commit and one embedding batch per hundred items instead of one per item; the
    outbox rows are still written in each item's transaction, so nothing is lost meanwhile.
    """
    token = _deferred.set(True)
    try:
        yield apply_inline
    finally:
        _deferred.reset(token)
        apply_inline()


def apply_inline() -> None:
    """Apply the outbox after a commit; never fails the request that made the change."""
    try:
        apply_pending()
    except Exception:
        logger.exception("indexing after commit failed; the outbox keeps the work")


def apply_pending(batch: int = BATCH) -> int:
    """Apply every pending outbox row; return how many rows were applied."""
    from ssehub.search import services

    if not Outbox.objects.exists():
        return 0
    backend = services.get_backend()
    applied: list[int] = []
    with backend.writing():
        with backend.batched():
            last = 0
            while True:
                rows = list(Outbox.objects.filter(id__gt=last).order_by("id")
                            .values_list("id", "item_id")[:batch])
                if not rows:
                    break
                services.apply_changes(sorted({item_id for _id, item_id in rows}), backend)
                applied.extend(row_id for row_id, _item in rows)
                last = rows[-1][0]
        # After the index commit (the end of ``batched``), and only the rows read: a row
        # committed meanwhile (even for the same item) stays; a failure above keeps them all.
        for start in range(0, len(applied), DELETE_CHUNK):
            Outbox.objects.filter(id__in=applied[start:start + DELETE_CHUNK]).delete()
    return len(applied)


# --- signals -------------------------------------------------------------------------------

def _item_saved(sender, instance: Item, raw: bool = False, **kwargs) -> None:
    enqueue(instance.pk)


def _item_deleted(sender, instance: Item, **kwargs) -> None:
    enqueue(instance.pk, Outbox.Op.DELETE)


def _related_changed(sender, instance, **kwargs) -> None:
    if instance.item_id:
        enqueue(instance.item_id)


def _places_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if not reverse:
        enqueue(instance.pk)
    elif pk_set:
        for item_id in pk_set:
            enqueue(item_id)


def connect_signals() -> None:
    post_save.connect(_item_saved, sender=Item, dispatch_uid="search-item-saved")
    post_delete.connect(_item_deleted, sender=Item, dispatch_uid="search-item-deleted")
    for model in (Creator, ItemGoal, ItemFile):
        post_save.connect(_related_changed, sender=model,
                          dispatch_uid=f"search-{model.__name__}-saved")
        post_delete.connect(_related_changed, sender=model,
                            dispatch_uid=f"search-{model.__name__}-deleted")
    for through in (Item.countries.through, Item.regions.through):
        m2m_changed.connect(_places_changed, sender=through,
                            dispatch_uid=f"search-{through.__name__}")
