"""The search service: what the portal page, the JSON API and the CLI all call.

``search()`` parses the query, applies the reader's permissions and filters, runs the lexical
backend and (for hybrid) the semantic store, fuses both rankings with reciprocal rank fusion,
hydrates the page of results from the database in one query and makes the snippets. The
indexing side (``apply_changes``, ``rebuild``, ``check``) is here too, so the outbox drain, the
``reindex`` command and the tests share one code path.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.db import connection
from django.db.models import Max
from django.utils import translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from ssehub.core.i18n import pick
from ssehub.core.roles import is_editor, organisation_ids
from ssehub.library.models import Item, Status
from ssehub.library.permissions import can_view
from ssehub.search import documents
from ssehub.search.backends.base import (
    FACETS,
    BackendQuery,
    IndexUnavailable,
    SearchBackend,
    Visibility,
)
from ssehub.search.models import Outbox
from ssehub.search.query import ParsedQuery, parse
from ssehub.search.text import fold, has_match, snippet
from ssehub.search.vectors import Encoder, VectorStore, text_digest

logger = logging.getLogger(__name__)

BACKENDS = {
    "tantivy": "ssehub.search.backends.tantivy_backend.TantivyBackend",
    "postgres": "ssehub.search.backends.postgres.PostgresBackend",
}
MAX_PAGE_SIZE = 100
MAX_WINDOW = 1000  # results reachable by paging; past that, refine the query
RRF_K = 60
SEMANTIC_K = 100
EMBED_BATCH = 64
SORTS = ("relevance", "date")
MODES = ("hybrid", "lexical", "semantic")

_backends: dict[tuple[str, str], SearchBackend] = {}
_backends_lock = threading.Lock()


# --- configuration ---------------------------------------------------------------------------

def index_dir() -> Path:
    return Path(settings.SSEHUB_INDEX_DIR)


def get_backend() -> SearchBackend:
    """The configured backend (``SSEHUB_SEARCH_BACKEND``), one instance per process."""
    name = settings.SSEHUB_SEARCH_BACKEND
    if name == "postgres" and connection.vendor != "postgresql":
        logger.warning("SSEHUB_SEARCH_BACKEND=postgres needs a PostgreSQL database; "
                       "using tantivy")
        name = "tantivy"
    if name not in BACKENDS:
        raise ValueError(f"unknown search backend {name!r} (choose from {', '.join(BACKENDS)})")
    key = (name, str(index_dir()))
    with _backends_lock:
        backend = _backends.get(key)
        if backend is None:
            backend = _backends[key] = import_string(BACKENDS[name])(index_dir())
        return backend


def vector_store() -> VectorStore:
    return VectorStore.at(index_dir())


def semantic_enabled() -> bool:
    return bool(settings.SSEHUB_SEARCH_SEMANTIC)


def visibility_for(user) -> Visibility:
    if is_editor(user):
        return Visibility(everything=True)
    if user is None or not user.is_authenticated:
        return Visibility()
    return Visibility(organisation_ids=frozenset(organisation_ids(user)), user_id=user.pk)


# --- indexing --------------------------------------------------------------------------------

def _embed(docs: Sequence[documents.IndexDocument], store: VectorStore,
           reuse: dict[int, int] | None = None) -> tuple[list[int], list[int], np.ndarray]:
    """Vectors for the documents whose text changed since they were embedded."""
    texts = {d.id: d.embedding_text() for d in docs}
    digests = {i: text_digest(t) for i, t in texts.items()}
    known = reuse if reuse is not None else store.digests_for(list(texts))
    todo = [i for i in texts if known.get(i) != digests[i]]
    vectors = [Encoder.encode_items([texts[i] for i in todo[s:s + EMBED_BATCH]])
               for s in range(0, len(todo), EMBED_BATCH)]
    matrix = np.concatenate(vectors) if vectors else np.zeros((0, 512), np.float32)
    return todo, [digests[i] for i in todo], matrix


def apply_changes(item_ids: Sequence[int], backend: SearchBackend | None = None) -> None:
    """Make the index show these items as the database has them now (or drop them)."""
    backend = backend or get_backend()
    docs = documents.build(item_ids)
    present = {d.id for d in docs}
    gone = [i for i in item_ids if i not in present]
    backend.upsert(docs)
    backend.delete(gone)
    if semantic_enabled():
        store = vector_store()
        ids, digests, matrix = _embed(docs, store)
        store.upsert(ids, digests, matrix)
        store.delete([i for i in gone if i in store.digests_for(gone)])


def rebuild(advance: Callable[[int], None] = lambda n=1: None, embed: bool = True) -> int:
    """Rebuild the whole index (and embed what changed) from the database."""
    backend = get_backend()
    high_water = Outbox.objects.aggregate(m=Max("id"))["m"] or 0
    store = vector_store()
    old = store.digests() if embed and semantic_enabled() else {}
    new_ids: list[int] = []
    new_digests: list[int] = []
    chunks: list[np.ndarray] = []
    kept_ids: list[int] = []

    def batches() -> Iterator[list[documents.IndexDocument]]:
        for batch in documents.iterate_all():
            if embed and semantic_enabled():
                ids, digests, matrix = _embed(batch, store, reuse=old)
                changed = set(ids)
                kept_ids.extend(d.id for d in batch if d.id not in changed)
                new_ids.extend(ids)
                new_digests.extend(digests)
                chunks.append(matrix.astype(np.float16))
            yield batch
            advance(len(batch))

    with backend.writing():
        try:
            written = backend.rebuild(batches())
        except IndexUnavailable:
            backend.reset()
            written = backend.rebuild(batches())
        if embed and semantic_enabled():
            kept, kept_vectors = store.vectors_for(kept_ids)
            all_ids = [*kept, *new_ids]
            all_digests = [old[i] for i in kept] + new_digests
            matrix = np.concatenate([kept_vectors.astype(np.float16), *chunks]) if (
                kept or chunks) else np.zeros((0, 512), np.float16)
            store.replace_all(all_ids, all_digests, matrix)
        Outbox.objects.filter(id__lte=high_water).delete()
    return written


@dataclass
class CheckReport:
    indexed: int = 0
    expected: int = 0
    missing: list[int] = field(default_factory=list)
    stale: list[int] = field(default_factory=list)
    extra: list[int] = field(default_factory=list)
    vectors_missing: list[int] = field(default_factory=list)
    vectors_stale: list[int] = field(default_factory=list)
    pending: int = 0
    error: str = ""

    @property
    def ok(self) -> bool:
        return not (self.missing or self.stale or self.extra or self.vectors_missing
                    or self.vectors_stale or self.error)

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "ok": self.ok}


def check(advance: Callable[[int], None] = lambda n=1: None) -> CheckReport:
    """Compare the index with the database: missing, stale and extra documents."""
    report = CheckReport(pending=Outbox.objects.count())
    backend = get_backend()
    try:
        indexed = backend.digests()
    except IndexUnavailable as exc:
        report.error = str(exc)
        return report
    report.indexed = len(indexed)
    vectors = vector_store().digests() if semantic_enabled() else {}
    seen: set[int] = set()
    for batch in documents.iterate_all():
        for doc in batch:
            seen.add(doc.id)
            digest = indexed.get(doc.id)
            if digest is None:
                report.missing.append(doc.id)
            elif digest != doc.digest:
                report.stale.append(doc.id)
            if semantic_enabled():
                vector = vectors.get(doc.id)
                if vector is None:
                    report.vectors_missing.append(doc.id)
                elif vector != text_digest(doc.embedding_text()):
                    report.vectors_stale.append(doc.id)
        advance(len(batch))
    report.expected = len(seen)
    report.extra = sorted(set(indexed) - seen)
    return report


def ensure_index(backend: SearchBackend) -> str:
    """Make a missing or unreadable index usable: rebuild it when the library is small enough
    to do so within a request, otherwise report. Returns a message for the reader ("" if the
    index was fine)."""
    try:
        backend.check()
        return ""
    except IndexUnavailable as exc:
        logger.warning("search index unavailable: %s", exc)
    if Item.objects.count() > settings.SSEHUB_SEARCH_AUTO_REBUILD_MAX:
        raise IndexUnavailable(_("The search index is unavailable. An administrator has to "
                                 "rebuild it with “ssehub reindex”."))
    backend.reset()
    rebuild()
    return _("The search index was missing or damaged and has been rebuilt.")


# --- searching -------------------------------------------------------------------------------

def _year(value: int | None) -> int | None:
    """Years outside 0..9999 mean nothing (and overflow the index's 64-bit fields)."""
    if value is None:
        return None
    return min(max(value, 0), 9999)


@dataclass
class SearchParams:
    q: str = ""
    page: int = 1
    page_size: int = 10
    filters: dict[str, list[str]] = field(default_factory=dict)
    year_from: int | None = None
    year_to: int | None = None
    sort: str = "relevance"
    mode: str = "hybrid"

    @classmethod
    def from_querydict(cls, data) -> SearchParams:
        """Read request parameters leniently: anything malformed falls back to the default."""
        def integer(name: str, default: int | None) -> int | None:
            try:
                return int(str(data.get(name, "")).strip())
            except ValueError:
                return default

        filters: dict[str, list[str]] = {}
        for name in FACETS:
            values = [v.strip()[:100] for v in data.getlist(name) if v and v.strip()]
            if values:
                filters[name] = values[:20]
        return cls(
            q=data.get("q", "") or "",
            page=integer("page", 1) or 1,
            page_size=integer("page_size", 10) or 10,
            filters=filters,
            year_from=_year(integer("year_from", None)),
            year_to=_year(integer("year_to", None)),
            sort=data.get("sort") if data.get("sort") in SORTS else "relevance",
            mode=data.get("mode") if data.get("mode") in MODES else "hybrid",
        )


@dataclass
class Hit:
    id: int
    title: str
    score: float
    snippet: str
    item: Item | None = None

    def as_dict(self) -> dict[str, Any]:
        url = self.item.get_absolute_url() if self.item is not None else ""
        return {"id": self.id, "title": self.title, "score": round(self.score, 6),
                "snippet": self.snippet, "url": url}


@dataclass
class FacetValue:
    value: str | int
    count: int
    label: str = ""
    selected: bool = False


@dataclass
class SearchResponse:
    total: int = 0
    results: list[Hit] = field(default_factory=list)
    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    page: int = 1
    page_size: int = 10
    pages: int = 0
    mode: str = "lexical"
    sort: str = "relevance"
    query: str = ""
    browse: bool = False
    messages: list[str] = field(default_factory=list)
    unavailable: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "results": [hit.as_dict() for hit in self.results],
            "facets": {
                name: [{"value": f.value, "count": f.count, "label": f.label} for f in values]
                for name, values in self.facets.items()
            },
            "page": self.page,
            "page_size": self.page_size,
            "mode": self.mode,
            "messages": self.messages,
        }


def _clean_filters(filters: dict[str, list[str]], messages: list[str]) -> dict[str, list]:
    out: dict[str, list] = {}
    for name, values in filters.items():
        if name not in FACETS:
            continue
        if FACETS[name] == "int":
            good = [int(v) for v in values if v.isdigit() and len(v) < 10]
            if len(good) < len(values):
                messages.append(_("Ignored a filter value that is not a number: %(name)s.")
                                % {"name": name})
            if good:
                out[name] = good
        else:
            out[name] = values
    return out


def rrf(rankings: Sequence[Sequence[int]], weights: Sequence[float] | None = None,
        k: int = RRF_K) -> list[tuple[int, float]]:
    """Reciprocal rank fusion: each list adds ``weight / (k + rank)`` to an item's score.

    Rank-based, so BM25 scores and cosine similarities need no calibration against each other.
    """
    weights = weights or [1.0] * len(rankings)
    scores: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, item_id in enumerate(ranking, start=1):
            scores[item_id] = scores.get(item_id, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))


def _exact_title_first(fused: list[tuple[int, float]], parsed: ParsedQuery,
                       lexical: Sequence[int]) -> list[tuple[int, float]]:
    """A query that is an item's whole title ranks that item first, whatever the vectors say."""
    wanted = " ".join(fold(parsed.text).split())
    if len(wanted) < 8 or not lexical:
        return fused
    candidates = Item.objects.filter(pk__in=list(lexical[:10])).values_list("pk", "title")
    exact = {pk for pk, titles in candidates
             if any(" ".join(fold(t).split()).strip(" .") == wanted.strip(" .")
                    for t in (titles or {}).values() if t)}
    if not exact:
        return fused
    top = [pair for pair in fused if pair[0] in exact]
    return top + [pair for pair in fused if pair[0] not in exact]


HEAD_CHARS = 4000  # the start of the full text, for snippets when the abstract has no match
# What a result shows (the result list, the feeds, the JSON answer, saved-search digests) and
# the permission check needs; the other columns stay deferred (loaded on access).
PAGE_ITEM_FIELDS = ("id", "title", "abstract", "item_type", "pub_year", "pub_month", "pub_day",
                    "organisation", "status", "created_by", "created_at", "updated_at")
PAGE_ORGANISATION_FIELDS = ("id", "slug", "acronym", "name")


@dataclass(frozen=True)
class _PagePlan:
    """How to read a page of items: the columns a result shows of the item, its type and its
    organisation, plus the head of the full text, with the converters Django's compiler would
    apply to each column."""

    select: str
    # (model, attnames, (position, converters, column) of the converted columns,
    #  the foreign key from Item (None for Item itself), position of the primary key)
    parts: tuple[tuple[type, tuple[str, ...], tuple, Any, int], ...]


_page_plans: dict[tuple[str, str], _PagePlan] = {}
_page_sql: dict[tuple[str, str, int], str] = {}


def _page_plan(conn) -> _PagePlan:
    key = (conn.alias, conn.vendor)
    plan = _page_plans.get(key)
    if plan is not None:
        return plan
    from ssehub.core.models import Organisation
    from ssehub.library.models import ItemType

    qn = conn.ops.quote_name
    tables = (("i", Item, [Item._meta.get_field(n) for n in PAGE_ITEM_FIELDS], None),
              ("t", ItemType, list(ItemType._meta.concrete_fields),
               Item._meta.get_field("item_type")),
              ("o", Organisation,
               [Organisation._meta.get_field(n) for n in PAGE_ORGANISATION_FIELDS],
               Item._meta.get_field("organisation")))
    columns: list[str] = []
    parts = []
    for alias, model, fields, relation in tables:
        # Model.from_db takes the loaded values in the model's field order.
        fields = sorted(fields, key=list(model._meta.concrete_fields).index)
        converters = []
        for f in fields:
            columns.append(f"{alias}.{qn(f.column)}")
            col = f.get_col(alias)  # as the compiler does: the backend's, then the field's
            funcs = (*conn.ops.get_db_converters(col), *col.get_db_converters(conn))
            if funcs:
                converters.append((len(converters), funcs, col))
            else:
                converters.append(None)
        parts.append((model, tuple(f.attname for f in fields),
                      tuple(c for c in converters if c is not None), relation,
                      fields.index(model._meta.pk)))
    columns.append(f"SUBSTR(i.{qn('full_text')}, 1, {HEAD_CHARS})")
    type_fk = Item._meta.get_field("item_type")
    org_fk = Item._meta.get_field("organisation")
    # Names from the models' metadata, quoted; the ids are parameters.
    select = (
        f"SELECT {', '.join(columns)} FROM {qn(Item._meta.db_table)} i"  # noqa: S608
        f" LEFT OUTER JOIN {qn(ItemType._meta.db_table)} t"
        f" ON t.{qn(ItemType._meta.pk.column)} = i.{qn(type_fk.column)}"
        f" LEFT OUTER JOIN {qn(Organisation._meta.db_table)} o"
        f" ON o.{qn(Organisation._meta.pk.column)} = i.{qn(org_fk.column)}"
        f" WHERE i.{qn(Item._meta.pk.column)} IN "
    )
    plan = _page_plans[key] = _PagePlan(select, tuple(parts))
    return plan


def _page_items(ids: Sequence[int]) -> dict[int, Item]:
    """The items of a result page in one SELECT of only the columns a result needs
    (``PAGE_ITEM_FIELDS``), with their type and organisation (what ``select_related`` would
    give) and ``head``, the start of the full text; the other columns, the full text among
    them, stay deferred.

    The ORM's queryset for this costs three times the query itself (compiling ~50 columns
    and the default ordering for every search): the SQL is built once per page size here, and
    rows become model instances through ``Model.from_db`` with Django's own converters.
    """
    ids = list(dict.fromkeys(int(i) for i in ids))
    if not ids:
        return {}
    plan = _page_plan(connection)
    key = (connection.alias, connection.vendor, len(ids))
    sql = _page_sql.get(key)
    if sql is None:
        sql = _page_sql[key] = plan.select + "(" + ", ".join(["%s"] * len(ids)) + ")"
    with connection.cursor() as cursor:
        cursor.execute(sql, ids)
        rows = cursor.fetchall()
    db = connection.alias
    items: dict[int, Item] = {}
    seen: dict[tuple[type, Any], Any] = {}  # the page's types and organisations, one of each
    for row in rows:
        start = 0
        objects = []
        for model, names, converters, _relation, pk_at in plan.parts:
            end = start + len(names)
            pk = row[start + pk_at]
            if model is not Item and (pk is None or (model, pk) in seen):
                objects.append(seen.get((model, pk)))
                start = end
                continue
            values = list(row[start:end])
            start = end
            for n, funcs, col in converters:
                for func in funcs:
                    values[n] = func(values[n], col, connection)
            obj = seen[model, pk] = model.from_db(db, names, values)
            objects.append(obj)
        item = objects[0]
        for part, related in zip(plan.parts[1:], objects[1:], strict=True):
            part[3].set_cached_value(item, related)
        item.head = row[start]
        items[item.pk] = item
    return items


def _hydrate(ids: Sequence[int], scores: dict[int, float], parsed: ParsedQuery,
             user, visibility: Visibility) -> list[Hit]:
    """One query for the whole page; items no longer visible (index lagging) are dropped."""
    items = _page_items(ids)
    terms = parsed.highlight_terms()
    language = translation.get_language()  # once, not twice per hit
    hits = []
    for item_id in ids:
        item = items.get(item_id)
        if item is None:
            continue
        if not (visibility.everything or item.status == Status.PUBLISHED or can_view(user, item)):
            continue
        abstract = pick(item.abstract, language)
        text = abstract
        if terms and item.head:
            text = abstract if abstract and has_match(abstract, terms) else item.head
        title = pick(item.title, language) or item.display_title  # (the "untitled" label)
        hits.append(Hit(item_id, title, scores.get(item_id, 0.0),
                        snippet(text or item.head or "", terms), item))
    return hits


LABEL_CACHE_SECONDS = 60
_label_cache: dict[tuple[str, str], tuple[float, dict]] = {}


def _labels(name: str, values: list) -> dict:
    """Display labels of facet values, cached per facet and language for a minute: they are
    reference data (goals, types, countries, regions, organisations) and fetching them cost
    more than the search itself (one query per facet per request)."""
    if not values:
        return {}
    if connection.in_atomic_block:
        # Inside a transaction the rows may be uncommitted (and rolled back later, which no
        # signal reports): read them, but cache only what every connection sees.
        return _fetch_labels(name, values)
    key = (name, translation.get_language() or "")
    now = time.monotonic()
    stamp, known = _label_cache.get(key, (0.0, {}))
    if now - stamp > LABEL_CACHE_SECONDS:
        stamp, known = now, {}
    missing = [v for v in values if v not in known]
    if missing:
        known = {**known, **_fetch_labels(name, missing)}
        _label_cache[key] = (stamp, known)
    return {v: known[v] for v in values if v in known}


def clear_label_cache(**_kwargs) -> None:
    """Signal receiver: a label changed in this process (another one sees it within a
    minute)."""
    _label_cache.clear()


def _fetch_labels(name: str, values: list) -> dict:
    from ssehub.core.models import Country, Organisation, Region
    from ssehub.library.models import ItemType
    from ssehub.sdg.models import Goal

    if name == "sdg":
        goals = Goal.objects.filter(number__in=values)
        return {g.number: str(g) for g in goals}
    if name == "type":
        return {t.slug: str(t) for t in ItemType.objects.filter(slug__in=values)}
    if name == "country":
        return {c.iso2: str(c) for c in Country.objects.filter(iso2__in=values)}
    if name == "region":
        out = {r.m49: str(r) for r in Region.objects.filter(m49__in=values)}
        if documents.GLOBAL_REGION in values:
            out[documents.GLOBAL_REGION] = _("World / global")
        return out
    if name == "organisation":
        orgs = Organisation.objects.filter(slug__in=values)
        return {o.slug: o.acronym or str(o) for o in orgs}
    if name == "language":
        from django.utils.translation import get_language_info

        out = {}
        for code in values:
            try:
                out[code] = get_language_info(code)["name_translated"]
            except KeyError:
                out[code] = code
        return out
    return {}


def search(params: SearchParams, user=None, *, with_facets: bool = True) -> SearchResponse:
    """Run a search for ``user`` (None: the public). Never raises for bad input."""
    messages: list[str] = []
    if len(params.q) > settings.SSEHUB_SEARCH_MAX_QUERY_CHARS:
        messages.append(_("Your query was too long and has been cut to %(n)d characters.")
                        % {"n": settings.SSEHUB_SEARCH_MAX_QUERY_CHARS})
    parsed = parse(params.q[: settings.SSEHUB_SEARCH_MAX_QUERY_CHARS])
    if parsed.truncated and not messages:
        messages.append(_("Your query had too many terms; only the first ones were used."))
    page_size = min(max(1, params.page_size), MAX_PAGE_SIZE)
    page = max(1, params.page)
    offset = (page - 1) * page_size
    visibility = visibility_for(user)
    filters = _clean_filters(params.filters, messages)
    browse = parsed.is_empty and not parsed.negative
    sort = params.sort if params.sort in SORTS else "relevance"
    response = SearchResponse(page=page, page_size=page_size, query=params.q, sort=sort,
                              browse=browse, messages=messages)
    backend = get_backend()
    with backend.reading():
        return _search(params, user, backend, parsed, response, visibility, filters, offset,
                       page_size, with_facets)


def _search(params: SearchParams, user, backend, parsed: ParsedQuery,
            response: SearchResponse, visibility: Visibility, filters: dict, offset: int,
            page_size: int, with_facets: bool) -> SearchResponse:
    messages, page, sort, browse = response.messages, response.page, response.sort, response.browse
    try:
        note = ensure_index(backend)
    except IndexUnavailable as exc:
        response.unavailable = True
        messages.append(str(exc))
        return response
    if note:
        messages.append(note)
    if offset >= MAX_WINDOW:
        messages.append(_("Only the first %(n)d results can be paged through; please refine "
                          "your search.") % {"n": MAX_WINDOW})
        offset = MAX_WINDOW  # still count and facet, return no hits
    year_range = (params.year_from, params.year_to)
    base = dict(query=parsed, filters=filters, year_range=year_range, visibility=visibility,
                facets=list(FACETS) if with_facets else [])

    use_semantic = (not parsed.is_empty and params.mode in ("hybrid", "semantic")
                    and semantic_enabled() and len(vector_store()) > 0)
    response.mode = params.mode if use_semantic else ("browse" if browse else "lexical")
    try:
        if not use_semantic:
            result = backend.search(BackendQuery(
                **base, sort="recent" if browse and sort == "relevance" else sort,
                offset=offset, limit=page_size if offset < MAX_WINDOW else 0))
            order = [item_id for item_id, _score in result.hits]
            scores = dict(result.hits)
        else:
            vector = Encoder.encode([parsed.text or params.q[:1000]])[0]
            semantic = vector_store().search(vector, SEMANTIC_K,
                                             settings.SSEHUB_SEARCH_SEMANTIC_MIN)
            semantic_ids = [i for i, _s in semantic]
            by_relevance = sort == "relevance"
            window = min(MAX_WINDOW, max(200, offset + page_size))
            exclusions = ParsedQuery(parsed.negative)
            if params.mode == "hybrid":
                # Lexical matches or semantic candidates, under the same filters and exclusions.
                result = backend.search(BackendQuery(
                    **base, extra_ids=semantic_ids, sort=sort,
                    offset=0 if by_relevance else offset,
                    limit=window if by_relevance else page_size))
            else:
                result = backend.search(BackendQuery(
                    **{**base, "query": exclusions}, only_ids=semantic_ids,
                    sort="recent" if by_relevance else sort,
                    offset=0 if by_relevance else offset,
                    limit=len(semantic_ids) if by_relevance else page_size))
            if not by_relevance:
                order = [item_id for item_id, _score in result.hits]
                scores = {}
            else:
                if params.mode == "hybrid":
                    lex_ranking = [i for i, s in result.hits if s > 0]
                    allowed = set()
                    if semantic_ids:
                        allowed = {i for i, _s in backend.search(BackendQuery(
                            query=exclusions, filters=filters, year_range=year_range,
                            visibility=visibility, only_ids=semantic_ids,
                            limit=len(semantic_ids))).hits}
                else:
                    lex_ranking = []
                    allowed = {i for i, _s in result.hits}
                sem_ranking = [i for i in semantic_ids if i in allowed]
                fused = rrf([lex_ranking, sem_ranking],
                            [1.0, settings.SSEHUB_SEARCH_SEMANTIC_WEIGHT])
                fused = _exact_title_first(fused, parsed, lex_ranking)
                page_pairs = fused[offset: offset + page_size]
                order = [i for i, _s in page_pairs]
                scores = dict(page_pairs)
    except IndexUnavailable as exc:
        logger.warning("search failed: %s", exc)
        response.unavailable = True
        messages.append(_("The search index is unavailable. An administrator has to rebuild "
                          "it with “ssehub reindex”."))
        return response
    response.total = result.total
    response.pages = min(-(-result.total // page_size), -(-MAX_WINDOW // page_size))
    if page > 1 and offset >= result.total and result.total:
        messages.append(_("There is no page %(page)d: the results end on page %(last)d.")
                        % {"page": page, "last": response.pages})
    response.results = _hydrate(order, scores, parsed, user, visibility)
    for name, buckets in result.facets.items():
        labels = _labels(name, [value for value, _count in buckets])
        chosen = {str(v) for v in filters.get(name, [])}
        response.facets[name] = [
            FacetValue(value, count, str(labels.get(value, value)), str(value) in chosen)
            for value, count in buckets
        ]
    return response
