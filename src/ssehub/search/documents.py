"""What the index knows about an item: a flat, backend-neutral document built from the database.

Built in batches with a fixed number of queries (never one per item), so a full reindex of a
million items costs a few thousand queries, not millions. ``digest`` is a hash of everything
indexed, which lets ``reindex --check`` tell a stale index entry from a current one without
trusting ``updated_at`` (changes to creators, places or SDG links do not touch it).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields

from django.conf import settings

from ssehub.core.models import Region
from ssehub.library.models import Creator, Item, ItemGoal
from ssehub.sdg.services import compose_text, effective_goals

BATCH = 500


@dataclass
class IndexDocument:
    id: int
    status: str
    title: dict[str, str]
    abstract: dict[str, str]
    body: str
    body_language: str
    keywords: list[str]
    creators: list[str]
    sdg: list[int]
    type: str
    language: list[str]
    country: list[str]
    region: list[str]
    year: int | None
    organisation: str
    organisation_id: int | None
    source: str
    created_by: int | None
    date_key: int
    created: int
    digest: int = field(default=0)

    def compute_digest(self) -> int:
        # The fields by name, as ``dataclasses.asdict`` gave them (it deep-copied every list
        # and dict first, a third of the cost of building a document): the same JSON, so
        # digests stored in an existing index stay valid.
        data = {name: getattr(self, name) for name in _DIGESTED}
        raw = json.dumps(data, sort_keys=True, ensure_ascii=False).encode()
        # 63 bits: fits a signed 64-bit column in PostgreSQL and an i64 fast field.
        return int.from_bytes(hashlib.blake2b(raw, digest_size=8).digest(), "big") >> 1

    def embedding_text(self) -> str:
        """What the encoder reads for the item's search vector: the first passage of the text
        the SDG mapper reads (title, abstract, keywords, then the start of the full text:
        about 2,000 characters, ``mapper.HEAD_CHARS``), masked as the mapper masks it. The
        mapper embeds that same string first when it maps the item, and keeps the vector,
        so the indexer reuses it instead of encoding it again (``ssehub.core.embeddings``)."""
        from ssehub.sdg.mapper import first_passage
        from ssehub.sdg.masking import encoder_input

        text = compose_text(self.title.values(), self.abstract.values(), self.keywords,
                            self.body)
        return encoder_input(first_passage(text))


_DIGESTED = tuple(f.name for f in fields(IndexDocument) if f.name != "digest")


def _region_ancestors() -> dict[str, list[str]]:
    parents = dict(Region.objects.values_list("m49", "parent_id"))
    out: dict[str, list[str]] = {}
    for code in parents:
        chain, seen = [], set()
        current: str | None = code
        while current and current not in seen:
            seen.add(current)
            chain.append(current)
            current = parents.get(current)
        out[code] = chain
    return out


# The region facet value of an item with no place on any continent (no place at all, or only
# "World"): the evidence map's "World / global" column, so that its cells open the same items.
GLOBAL_REGION = "global"
WORLD = "001"
TOP_REGIONS = frozenset({"002", "019", "142", "150", "009"})


def _with_global(regions: set[str]) -> set[str]:
    """Every place is in the World (001): as a filter it would say nothing, so it is left out,
    and a place-less item is "global" instead."""
    regions = regions - {WORLD}
    return regions if regions & TOP_REGIONS else regions | {GLOBAL_REGION}


# The item's own columns a document needs, read as tuples: building model instances and
# prefetching their relations cost three quarters of the time of building a document.
COLUMNS = ("id", "status", "title", "abstract", "full_text", "languages", "original_language",
           "keywords", "item_type_id", "pub_year", "pub_month", "pub_day", "organisation_id",
           "organisation__slug", "source_name", "provenance", "created_by_id", "created_at")


def _grouped(rows: Iterable[tuple]) -> dict[int, list[tuple]]:
    out: dict[int, list[tuple]] = {}
    for item_id, *rest in rows:
        out.setdefault(item_id, []).append(tuple(rest))
    return out


def _documents(rows: list[tuple], ancestors: dict[str, list[str]]) -> list[IndexDocument]:
    """Documents for item rows (``COLUMNS``): one query per relation for the whole batch."""
    if not rows:
        return []
    limit = settings.SSEHUB_SEARCH_MAX_BODY_CHARS
    ids = [row[0] for row in rows]
    countries = _grouped(Item.countries.through.objects.filter(item_id__in=ids).values_list(
        "item_id", "country_id", "country__region_id"))
    places = _grouped(Item.regions.through.objects.filter(item_id__in=ids).values_list(
        "item_id", "region_id"))
    creators = _grouped(Creator.objects.filter(item_id__in=ids).order_by(
        "item_id", "position", "id").values_list("item_id", "name"))
    links = _grouped(ItemGoal.objects.filter(item_id__in=ids).values_list(
        "item_id", "goal_id", "source", "rejected"))
    out = []
    for (pk, status, title, abstract, full_text, languages, original_language, keywords,
         item_type, year, month, day, organisation_id, organisation, source_name, provenance,
         created_by, created) in rows:
        item_countries = countries.get(pk, [])
        regions: set[str] = set()
        for (region,) in places.get(pk, []):
            regions.update(ancestors.get(region, [region]))
        for _iso2, region in item_countries:
            if region:
                regions.update(ancestors.get(region, [region]))
        languages = [str(code) for code in (languages or [])]
        title = title or {}
        doc = IndexDocument(
            id=pk,
            status=status,
            title={k: v for k, v in title.items() if v},
            abstract={k: v for k, v in (abstract or {}).items() if v},
            body=(full_text or "")[:limit],
            body_language=languages[0] if languages else (original_language or ""),
            keywords=[str(k) for k in (keywords or [])],
            creators=[name for (name,) in creators.get(pk, [])],
            sdg=effective_goals([_Link(*link) for link in links.get(pk, [])]),
            type=item_type or "",
            language=sorted(set(languages) | set(title.keys()) - {"und"}),
            country=sorted(iso2 for iso2, _region in item_countries),
            region=sorted(_with_global(regions)),
            year=year,
            organisation=(organisation or "") if organisation_id else "",
            organisation_id=organisation_id,
            source=source_name or provenance or "",
            created_by=created_by,
            date_key=(year or 0) * 10000 + (month or 0) * 100 + (day or 0),
            created=int(created.timestamp()) if created else 0,
        )
        doc.digest = doc.compute_digest()
        out.append(doc)
    return out


@dataclass
class _Link:
    """What :func:`effective_goals` reads of an SDG link."""

    goal_id: int
    source: str
    rejected: bool


def build(ids: Iterable[int]) -> list[IndexDocument]:
    """Documents for the given item ids (missing ids are simply absent)."""
    ids = list(ids)
    ancestors = _region_ancestors()
    out: list[IndexDocument] = []
    for start in range(0, len(ids), BATCH):
        out.extend(_documents(list(Item.objects.filter(pk__in=ids[start:start + BATCH])
                                   .values_list(*COLUMNS)), ancestors))
    return out


def iterate_all(batch: int = BATCH) -> Iterator[list[IndexDocument]]:
    """Every item's document, in batches, walking the primary key (no OFFSET scans)."""
    ancestors = _region_ancestors()
    last = 0
    while True:
        rows = list(Item.objects.filter(pk__gt=last).order_by("pk").values_list(*COLUMNS)[:batch])
        if not rows:
            return
        last = rows[-1][0]
        yield _documents(rows, ancestors)


