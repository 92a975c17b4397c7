"""The evidence map: how many items there are per SDG × world region, so editors see gaps.

Counted in the database in two queries (one for the cells, one for the column totals), never
one per cell. An item's places are its countries' regions and its explicit regions, each rolled
up the UN M49 tree to a top-level region (Africa, Americas, Asia, Europe, Oceania); an item
with no place, or only "World" (001), counts as global. An item in two regions counts once in
each, and once per goal (the SDG links readers see: editors' decisions over the machine's).
Only items the viewer may see are counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Case, CharField, Value, When

from ssehub.core.models import Region
from ssehub.library.models import Item
from ssehub.library.permissions import visible_items
from ssehub.sdg.models import Goal
from ssehub.sdg.services import effective_links_queryset

TOP_REGIONS = ("002", "019", "142", "150", "009")  # documents.TOP_REGIONS, in column order
WORLD = "001"
COLUMNS = (*TOP_REGIONS, WORLD)


@dataclass
class Cell:
    region: str
    count: int
    share: float = 0.0  # of the largest cell, 0..1 (colour intensity)


@dataclass
class Row:
    goal: Goal
    cells: list[Cell] = field(default_factory=list)


@dataclass
class EvidenceMap:
    regions: list[tuple[str, str]]  # (code, label) in column order
    rows: list[Row]
    totals: list[Cell]
    maximum: int


def top_level_of() -> dict[str, str]:
    """Every M49 region code → its top-level region (or World for 001 and unknown roots)."""
    parents = dict(Region.objects.values_list("m49", "parent_id"))
    out: dict[str, str] = {}
    for code in parents:
        current, seen = code, set()
        while current and current not in TOP_REGIONS and current not in seen:
            seen.add(current)
            current = parents.get(current)
        out[code] = current if current in TOP_REGIONS else WORLD
    return out


def _rollup(column: str, tops: dict[str, str]) -> Case | Value:
    groups: dict[str, list[str]] = {}
    for code, top in tops.items():
        groups.setdefault(top, []).append(code)
    if not groups:  # no regions loaded: nothing rolls up
        return Value(None, output_field=CharField())
    return Case(*[When(**{f"{column}__in": sorted(codes)}, then=Value(top))
                  for top, codes in sorted(groups.items())],
                default=Value(None), output_field=CharField())


def _places_sql() -> tuple[str, list]:
    """SQL of the distinct (item_id, top-level region) pairs, from countries and regions."""
    tops = top_level_of()
    by_country = (Item.countries.through.objects
                  .annotate(top=_rollup("country__region_id", tops))
                  .filter(top__isnull=False).values_list("item_id", "top"))
    by_region = (Item.regions.through.objects
                 .annotate(top=_rollup("region_id", tops))
                 .filter(top__isnull=False).values_list("item_id", "top"))
    return by_country.union(by_region).query.sql_with_params()


def counts(user) -> tuple[dict[tuple[int, str], int], dict[str, int]]:
    """(goal, region) → distinct items, and region → distinct items with any goal."""
    links_sql, links_params = (
        effective_links_queryset().filter(item__in=visible_items(user))
        .order_by().values_list("item_id", "goal_id").distinct().query.sql_with_params())
    places_sql, places_params = _places_sql()
    # Items with no top-level place (nor a country with a region) are global: COALESCE.
    base = (f"FROM ({links_sql}) links LEFT JOIN ({places_sql}) places "
            f"ON places.item_id = links.item_id")
    region = f"COALESCE(places.top, '{WORLD}')"
    params = [*links_params, *places_params]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT links.goal_id, {region}, COUNT(DISTINCT links.item_id) "
                       f"{base} GROUP BY links.goal_id, {region}", params)
        cells = {(int(goal), str(code)): int(n) for goal, code, n in cursor.fetchall()}
        cursor.execute(f"SELECT {region}, COUNT(DISTINCT links.item_id) {base} "
                       f"GROUP BY {region}", params)
        totals = {str(code): int(n) for code, n in cursor.fetchall()}
    return cells, totals


CACHE_SECONDS = 300


def cached_counts(user) -> tuple[dict[tuple[int, str], int], dict[str, int]]:
    """:func:`counts`, kept a few minutes per kind of viewer (the two queries take about a
    second per 100k items on SQLite: fine for an overview, not for every page view)."""
    from django.core.cache import cache

    from ssehub.search.services import visibility_for

    visibility = visibility_for(user)
    if visibility.everything:
        who = "all"
    elif visibility.user_id is None:
        who = "public"
    else:
        who = f"user-{visibility.user_id}"
    key = f"ssehub:evidence-map:{who}"
    found = cache.get(key)
    if found is None:
        found = counts(user)
        cache.set(key, found, CACHE_SECONDS)
    return found


def evidence_map(user, *, fresh: bool = False) -> EvidenceMap:
    cells, totals = counts(user) if fresh else cached_counts(user)
    labels = {r.m49: str(r) for r in Region.objects.filter(m49__in=COLUMNS)}
    maximum = max(cells.values(), default=0)
    rows = []
    for goal in Goal.objects.order_by("number"):
        row = Row(goal)
        for code in COLUMNS:
            n = cells.get((goal.number, code), 0)
            row.cells.append(Cell(code, n, n / maximum if maximum else 0.0))
        rows.append(row)
    return EvidenceMap(
        regions=[(code, labels.get(code, code)) for code in COLUMNS],
        rows=rows,
        totals=[Cell(code, totals.get(code, 0)) for code in COLUMNS],
        maximum=maximum,
    )
