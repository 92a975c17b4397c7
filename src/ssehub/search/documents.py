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
from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.db.models import Prefetch

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
        data = asdict(self)
        data.pop("digest")
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


def _documents(items: Iterable[Item], ancestors: dict[str, list[str]]) -> Iterator[IndexDocument]:
    limit = settings.SSEHUB_SEARCH_MAX_BODY_CHARS
    for item in items:
        countries = sorted(c.iso2 for c in item.countries.all())
        regions: set[str] = set()
        for region in item.regions.all():
            regions.update(ancestors.get(region.m49, [region.m49]))
        for country in item.countries.all():
            if country.region_id:
                regions.update(ancestors.get(country.region_id, [country.region_id]))
        regions = _with_global(regions)
        languages = [str(code) for code in (item.languages or [])]
        body_language = languages[0] if languages else (item.original_language or "")
        created = item.created_at
        doc = IndexDocument(
            id=item.pk,
            status=item.status,
            title={k: v for k, v in (item.title or {}).items() if v},
            abstract={k: v for k, v in (item.abstract or {}).items() if v},
            body=(item.full_text or "")[:limit],
            body_language=body_language,
            keywords=[str(k) for k in (item.keywords or [])],
            creators=[c.name for c in item.creators.all()],
            sdg=effective_goals(item.sdg_links.all()),
            type=item.item_type_id or "",
            language=sorted(set(languages) | set((item.title or {}).keys()) - {"und"}),
            country=countries,
            region=sorted(regions),
            year=item.pub_year,
            organisation=item.organisation.slug if item.organisation_id else "",
            organisation_id=item.organisation_id,
            source=item.source_name or item.provenance or "",
            created_by=item.created_by_id,
            date_key=(item.pub_year or 0) * 10000 + (item.pub_month or 0) * 100
            + (item.pub_day or 0),
            created=int(created.timestamp()) if created else 0,
        )
        doc.digest = doc.compute_digest()
        yield doc


def queryset():
    return Item.objects.select_related("organisation").prefetch_related(
        "countries", "regions",
        Prefetch("creators", queryset=Creator.objects.only("id", "item_id", "name", "position")),
        Prefetch("sdg_links", queryset=ItemGoal.objects.only(
            "id", "item_id", "goal_id", "source", "rejected")),
    )


def build(ids: Iterable[int]) -> list[IndexDocument]:
    """Documents for the given item ids (missing ids are simply absent)."""
    ids = list(ids)
    ancestors = _region_ancestors()
    out: list[IndexDocument] = []
    for start in range(0, len(ids), BATCH):
        out.extend(_documents(queryset().filter(pk__in=ids[start:start + BATCH]), ancestors))
    return out


def iterate_all(batch: int = BATCH) -> Iterator[list[IndexDocument]]:
    """Every item's document, in batches, walking the primary key (no OFFSET scans)."""
    ancestors = _region_ancestors()
    last = 0
    while True:
        items = list(queryset().filter(pk__gt=last).order_by("pk")[:batch])
        if not items:
            return
        last = items[-1].pk
        yield list(_documents(items, ancestors))
