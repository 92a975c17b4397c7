"""Read-side queries of the portal, kept out of the views so they can be reused and swapped.

The item-list filtering lives in :func:`filter_items` on purpose: a real search engine (tantivy
or PostgreSQL full-text) replaces the naive ``icontains`` text match in a later issue, and only
this function should have to change.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Count, Q, QuerySet

from ssehub.core.models import Organisation
from ssehub.library.models import Item, Status
from ssehub.library.permissions import visible_items
from ssehub.sdg.models import Goal
from ssehub.sdg.services import effective_links_queryset

LATEST_COUNT = 6


@dataclass(frozen=True)
class ItemFilters:
    """The filters of the item list, already cleaned (see ``forms.ItemFilterForm``)."""

    q: str = ""
    type: str = ""
    sdg: int | None = None
    language: str = ""
    organisation: str = ""
    year: int | None = None
    country: str = ""

    @property
    def active(self) -> bool:
        return any(value not in ("", None) for value in self.__dict__.values())


def _json_text_variants(text: str) -> set[str]:
    """The forms a piece of text may take inside JSON stored as text.

    SQLite keeps JSON as written by ``json.dumps`` (non-ASCII escaped as ``\\u00e9``), while
    PostgreSQL's jsonb prints it back unescaped; matching both finds "coopérative" on either.
    """
    escaped = json.dumps(text)[1:-1]
    return {text, escaped}


def text_query(q: str) -> Q:
    """Naive text match on title, abstract and publisher (the swap point for real search)."""
    query = Q()
    for variant in _json_text_variants(q):
        query |= Q(title__icontains=variant) | Q(abstract__icontains=variant)
    query |= Q(publisher__icontains=q)
    return query


def _language_query(code: str) -> Q:
    if connection.features.supports_json_field_contains:
        return Q(languages__contains=[code])
    # SQLite has no JSON containment: match the quoted code in the stored JSON list.
    return Q(languages__icontains=f'"{code}"')


def filter_items(queryset: QuerySet[Item], filters: ItemFilters) -> QuerySet[Item]:
    """Apply the item-list filters to an already permission-restricted queryset."""
    if filters.q:
        queryset = queryset.filter(text_query(filters.q))
    if filters.type:
        queryset = queryset.filter(item_type_id=filters.type)
    if filters.sdg:
        queryset = queryset.filter(
            pk__in=effective_links_queryset().filter(goal_id=filters.sdg).values("item_id")
        )
    if filters.language:
        queryset = queryset.filter(_language_query(filters.language))
    if filters.organisation:
        queryset = queryset.filter(organisation__slug=filters.organisation)
    if filters.year:
        queryset = queryset.filter(pub_year=filters.year)
    if filters.country:
        queryset = queryset.filter(countries__iso2=filters.country.upper())
    return queryset.distinct()


def list_items(user, filters: ItemFilters) -> QuerySet[Item]:
    """The items the user may see, filtered, with what the list template shows."""
    queryset = visible_items(user).select_related("item_type", "organisation")
    return filter_items(queryset, filters).prefetch_related("creators", "sdg_links__goal")


def latest_published(limit: int = LATEST_COUNT) -> list[Item]:
    """The newest published items: the home page shows the same to everyone."""
    return list(
        Item.objects.filter(status=Status.PUBLISHED)
        .select_related("item_type", "organisation")
        .prefetch_related("creators")
        .order_by("-created_at", "-id")[:limit]
    )


def sdg_tiles(user) -> list[dict[str, Any]]:
    """The 17 goals with the number of items the user may see for each (distinct items)."""
    counts = dict(
        effective_links_queryset().filter(item__in=visible_items(user))
        .values("goal_id")
        .annotate(n=Count("item_id", distinct=True))
        .values_list("goal_id", "n")
    )
    return [
        {"goal": goal, "count": counts.get(goal.number, 0)}
        for goal in Goal.objects.order_by("number")
    ]


def organisation_items(organisation: Organisation) -> QuerySet[Item]:
    """An organisation's public page lists its published items only."""
    return (
        organisation.items.filter(status=Status.PUBLISHED)
        .select_related("item_type")
        .prefetch_related("creators")
        .order_by("-created_at", "-id")
    )


def organisations_by_role() -> dict[str, list[Organisation]]:
    """Task Force members and observers (and others that published), for the index page."""
    published = Count("items", filter=Q(items__status=Status.PUBLISHED))
    groups: dict[str, list[Organisation]] = {role: [] for role in Organisation.Role.values}
    for org in Organisation.objects.annotate(published=published).order_by("acronym", "slug"):
        if org.role != Organisation.Role.OTHER or org.published:
            groups[org.role].append(org)
    return groups


def item_for_page(pk: int) -> Item:
    """One item with everything the item page shows, fetched in a handful of queries."""
    return (
        Item.objects.select_related("item_type", "organisation", "created_by")
        .prefetch_related(
            "creators", "countries", "regions", "files",
            "sdg_links__goal", "sdg_links__target",
        )
        .get(pk=pk)
    )
