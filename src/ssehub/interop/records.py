"""Items as readers may see them, in batches: the canonical dictionary
(:func:`ssehub.library.metadata.item_to_dict`) with the SDG links readers see.

``item_to_dict`` lists every SDG row, including machine links an editor rejected; outside the
hub only the effective links (``sdg.services.effective_links_queryset``) are published. Links
are fetched for a whole batch in one query, so a page of 100 costs the same few queries.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from ssehub.library.metadata import item_to_dict
from ssehub.library.models import Item
from ssehub.sdg.services import effective_links_queryset
from ssehub.search.services import SearchParams

PREFETCH = ("creators", "countries", "regions", "sdg_links", "files")


def items_by_ids(ids: Sequence[int]) -> list[Item]:
    """The items with these ids, in this order, with what the dictionaries read prefetched."""
    rows = (Item.objects.filter(pk__in=list(ids)).select_related("organisation", "item_type")
            .prefetch_related(*PREFETCH).defer("full_text"))
    found = {item.pk: item for item in rows}
    return [found[i] for i in ids if i in found]


def links_for(items: Iterable[Item]) -> dict[int, list[dict[str, Any]]]:
    """Effective SDG links per item id, in one query."""
    out: dict[int, list[dict[str, Any]]] = {}
    rows = (effective_links_queryset().filter(item_id__in=[i.pk for i in items])
            .order_by("item_id", "goal_id", "target_id")
            .values_list("item_id", "goal_id", "target_id", "source", "confidence"))
    for item_id, goal, target, source, confidence in rows:
        out.setdefault(item_id, []).append(
            {"goal": goal, "target": target, "source": source, "confidence": confidence})
    return out


def public_dict(item: Item, links: list[dict[str, Any]]) -> dict[str, Any]:
    data = item_to_dict(item)
    data["sdgs"] = links
    return data


def public_dicts(items: Sequence[Item]) -> list[dict[str, Any]]:
    links = links_for(items)
    return [public_dict(item, links.get(item.pk, [])) for item in items]


def bounded(params: SearchParams) -> SearchParams:
    """Years clamped to 0..9999: the search backends fail on integers beyond 64 bits (a
    ``year_from=99999999999999999999`` would be a 500), and no item has a year outside."""

    def clamp(year: int | None) -> int | None:
        return None if year is None else min(max(year, 0), 9999)

    return replace(params, year_from=clamp(params.year_from), year_to=clamp(params.year_to))
