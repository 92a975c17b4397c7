"""The embedded default: a tantivy index in ``<index dir>/tantivy``.

Text is indexed per language (``title_fr``, ``abstract_fr``, ``body_fr``...), each with its own
analyser: a Unicode word tokenizer, lower-casing, accent folding and the language's Snowball
stemmer; Chinese (and Japanese, Korean) is cut into single characters so phrases act as
n-grams; any other language gets the folding analyser without a stemmer. A query term is
analysed once per language with that language's analyser and searched in its fields, so
« coopératives » meets "cooperatives" in the French and the English fields alike; only the
languages the index records as holding text are searched (``LANGUAGES_FILE``). Scoring is
BM25 with field boosts (title > keywords, author > abstract > full text). Facets are fast fields
counted by tantivy's aggregations in one pass; nothing but the item id is stored, results are
hydrated from the database.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import tantivy
from tantivy import Occur, Query

from ssehub.search.backends.base import (
    FACETS,
    BackendQuery,
    BackendResult,
    IndexUnavailable,
    SearchBackend,
)
from ssehub.search.documents import IndexDocument
from ssehub.search.query import ParsedQuery, Phrase, Term

logger = logging.getLogger(__name__)

# Bumped when what is indexed changes, so that an older index is rebuilt (automatically for a
# library under SSEHUB_SEARCH_AUTO_REBUILD_MAX items, else `ssehub reindex`). 2: the "global"
# region of place-less items, World (001) no longer indexed.
SCHEMA_VERSION = "2"
STEMMED = {"en": "english", "fr": "french", "es": "spanish", "pt": "portuguese",
           "ar": "arabic", "ru": "russian"}
CJK = {"zh", "ja", "ko"}
LANGUAGES = [*STEMMED, "zh", "xx"]  # xx: any other language, folded but not stemmed
BOOSTS = {"title": 3.0, "keywords": 2.0, "author": 2.0, "abstract": 1.6, "body": 1.0}
TEXT_KINDS = ("title", "abstract", "body")
HEAP = 64_000_000
# The languages whose fields hold text in this index (JSON list), so that a query skips the
# per-language fields no document uses: writers add to it before they commit, under the
# index's writer lock; a rebuild sets it. Missing (an index from before it existed, or one
# the writer could not vouch for): every language is searched.
LANGUAGES_FILE = "ssehub-languages.json"


class IndexBusy(Exception):
    """Another process holds the index writer; the outbox keeps the work for later."""


def _analyzer(language: str) -> tantivy.TextAnalyzer:
    if language == "zh":
        tokenizer = tantivy.Tokenizer.regex(
            r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}]|[\p{L}\p{N}]+")
    else:
        tokenizer = tantivy.Tokenizer.simple()
    builder = tantivy.TextAnalyzerBuilder(tokenizer).filter(tantivy.Filter.remove_long(60))
    builder = builder.filter(tantivy.Filter.lowercase()).filter(tantivy.Filter.ascii_fold())
    if language in STEMMED:
        builder = builder.filter(tantivy.Filter.stemmer(STEMMED[language]))
    return builder.build()


ANALYZERS = {lang: _analyzer(lang) for lang in LANGUAGES}


def field_language(code: str) -> str:
    code = (code or "").lower().split("-")[0]
    if code in STEMMED:
        return code
    return "zh" if code in CJK else "xx"


def _doc_languages(doc: IndexDocument) -> set[str]:
    """The field languages a document's text goes to (as ``TantivyBackend._document``)."""
    out = {field_language(lang) for values in (doc.title, doc.abstract) for lang in values}
    if doc.body:
        out.add(field_language(doc.body_language))
    return out


def _schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_unsigned_field("id", stored=True, indexed=True, fast=True)
    sb.add_integer_field("digest", fast=True)
    sb.add_text_field("status", tokenizer_name="raw", fast=True)
    sb.add_unsigned_field("org_id", indexed=True, fast=True)
    sb.add_unsigned_field("created_by", indexed=True, fast=True)
    for kind in TEXT_KINDS:
        for lang in LANGUAGES:
            sb.add_text_field(f"{kind}_{lang}", tokenizer_name=f"ssehub_{lang}")
    sb.add_text_field("keywords", tokenizer_name="ssehub_xx")
    sb.add_text_field("author", tokenizer_name="ssehub_xx")
    for name, kind in FACETS.items():
        if name == "year":
            sb.add_integer_field("year", indexed=True, fast=True)
        elif kind == "int":
            sb.add_unsigned_field(name, indexed=True, fast=True)
        else:
            sb.add_text_field(name, tokenizer_name="raw", fast=True)
    sb.add_integer_field("date_key", fast=True)
    sb.add_integer_field("created", fast=True)
    return sb.build()


def _field_analyzer(field: str) -> tuple[str, tantivy.TextAnalyzer]:
    lang = field.rsplit("_", 1)[1] if "_" in field else "xx"
    return lang, ANALYZERS[lang]


class TantivyBackend(SearchBackend):
    name = "tantivy"
    _lock = threading.Lock()
    _indexes: dict[str, tantivy.Index] = {}

    def __init__(self, directory: Path):
        super().__init__(directory)
        self.path = self.directory / "tantivy"
        self.schema = _schema()
        self._pinned = threading.local()
        # The index and the (mtime, size, inode) of its meta.json, taken just before its
        # reader was last reloaded: a commit (from this process or another one) replaces
        # meta.json, so one stat tells whether there is anything new to load and most
        # requests skip the reload (stat first, reload second: the reader is never older than
        # the stamp).
        self._loaded_meta: tuple[tantivy.Index, tuple[int, int, int]] | None = None
        # The recorded languages, read just after the reader was reloaded (writers record
        # before committing, so the list covers at least what the reader holds); None: all.
        self._languages: frozenset[str] | None = None

    # --- opening ---------------------------------------------------------------------------
    def _version_file(self) -> Path:
        return self.path / "ssehub-schema-version"

    def reset(self) -> None:
        with self._lock:
            self._indexes.pop(str(self.path), None)
            self._loaded_meta = None
            shutil.rmtree(self.path, ignore_errors=True)
        self._open(create=True)

    def _open(self, create: bool = False) -> tantivy.Index:
        key = str(self.path)
        with self._lock:
            index = self._indexes.get(key)
            if index is not None and self._version_file().exists():
                return index
            self._indexes.pop(key, None)
            self._loaded_meta = None
            exists = self.path.is_dir() and self._version_file().exists()
            if exists and self._version_file().read_text().strip() != SCHEMA_VERSION:
                if not create:
                    raise IndexUnavailable("the index was built by another version: reindex")
                exists = False
            if not exists and not create:
                raise IndexUnavailable(f"no search index at {self.path}")
            if not exists:
                shutil.rmtree(self.path, ignore_errors=True)
                self.path.mkdir(parents=True, exist_ok=True)
            try:
                index = tantivy.Index(self.schema, path=str(self.path), reuse=exists)
            except (ValueError, OSError) as exc:
                raise IndexUnavailable(f"the search index is unreadable: {exc}") from exc
            for lang, analyzer in ANALYZERS.items():
                index.register_tokenizer(f"ssehub_{lang}", analyzer)
            if not exists:
                self._version_file().write_text(SCHEMA_VERSION)
            self._indexes[key] = index
            return index

    def _writer(self, index: tantivy.Index, threads: int = 1):
        try:
            return index.writer(heap_size=HEAP * max(1, threads), num_threads=threads)
        except ValueError as exc:
            if "lock" in str(exc).lower():
                raise IndexBusy(str(exc)) from exc
            raise IndexUnavailable(str(exc)) from exc

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Reload the index once and use that searcher for the whole request: a search, its
        facet aggregations and the health check see the same commit, and the reload (a
        fraction of a millisecond, but per call) is paid once."""
        if getattr(self._pinned, "searcher", None) is not None:
            yield
            return
        try:
            self._pinned.searcher = self._searcher()
        except IndexUnavailable:
            self._pinned.searcher = None  # each call reports it (ensure_index rebuilds)
        self._pinned.languages = self._languages
        self._pinned.lexical = {}
        try:
            yield
        finally:
            self._pinned.searcher = None
            self._pinned.lexical = {}

    def _searcher(self) -> tantivy.Searcher:
        pinned = getattr(self._pinned, "searcher", None)
        if pinned is not None:
            return pinned
        index = self._open()
        try:
            stamp = self._meta_stamp()
            loaded = self._loaded_meta
            if stamp is None or loaded is None or loaded[0] is not index or loaded[1] != stamp:
                index.reload()
                self._languages = self._recorded_languages()
                self._loaded_meta = (index, stamp) if stamp is not None else None
            return index.searcher()
        except (ValueError, OSError) as exc:
            self._indexes.pop(str(self.path), None)
            self._loaded_meta = None
            raise IndexUnavailable(f"the search index is unreadable: {exc}") from exc

    def _recorded_languages(self) -> frozenset[str] | None:
        try:
            data = json.loads((self.path / LANGUAGES_FILE).read_text())
        except (OSError, ValueError):
            return None
        if not isinstance(data, list) or not all(isinstance(x, str) for x in data):
            return None
        return frozenset(data)

    def _record_languages(self, languages: Iterable[str]) -> None:
        """Write the list atomically (a reader sees the old one or the new one)."""
        target = self.path / LANGUAGES_FILE
        temporary = target.with_name(f".{LANGUAGES_FILE}.{os.getpid()}")
        temporary.write_text(json.dumps(sorted(languages)))
        os.replace(temporary, target)

    def _searched_languages(self) -> list[str]:
        pinned = getattr(self._pinned, "searcher", None) is not None
        known = getattr(self._pinned, "languages", None) if pinned else self._languages
        return LANGUAGES if known is None else [lang for lang in LANGUAGES if lang in known]

    def _meta_stamp(self) -> tuple[int, int, int] | None:
        try:
            st = (self.path / "meta.json").stat()
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    # --- writing ---------------------------------------------------------------------------
    def _document(self, doc: IndexDocument) -> tantivy.Document:
        d = tantivy.Document()
        d.add_unsigned("id", doc.id)
        d.add_integer("digest", doc.digest)
        d.add_text("status", doc.status)
        if doc.organisation_id:
            d.add_unsigned("org_id", doc.organisation_id)
        if doc.created_by:
            d.add_unsigned("created_by", doc.created_by)
        for kind, values in (("title", doc.title), ("abstract", doc.abstract)):
            for lang, text in values.items():
                d.add_text(f"{kind}_{field_language(lang)}", text)
        if doc.body:
            d.add_text(f"body_{field_language(doc.body_language)}", doc.body)
        for keyword in doc.keywords:
            d.add_text("keywords", keyword)
        for name in doc.creators:
            d.add_text("author", name)
        for goal in doc.sdg:
            d.add_unsigned("sdg", int(goal))
        for name in ("language", "country", "region"):
            for value in getattr(doc, name):
                d.add_text(name, value)
        for name in ("type", "organisation", "source"):
            if getattr(doc, name):
                d.add_text(name, getattr(doc, name))
        if doc.year:
            d.add_integer("year", doc.year)
        d.add_integer("date_key", doc.date_key)
        d.add_integer("created", doc.created)
        return d

    def upsert(self, docs: Sequence[IndexDocument]) -> None:
        self._write(docs, [])

    def delete(self, ids: Iterable[int]) -> None:
        self._write([], list(ids))

    def _write(self, docs: Sequence[IndexDocument], deletes: Sequence[int]) -> None:
        if not docs and not deletes:
            return
        with self.batched():  # a commit of its own, or part of the caller's batch
            self._stage(self._open(create=True), self._pinned.writer, docs, deletes)

    def _stage(self, index: tantivy.Index, writer, docs: Sequence[IndexDocument],
               deletes: Sequence[int]) -> None:
        """Queue the deletes and additions in ``writer`` and record any new language before the
        commit that makes them visible. Tantivy orders operations, so a delete also removes a
        copy of the same item added earlier in the same commit."""
        # By query: delete_documents_by_term misses u64 terms in tantivy-py 0.27.
        stale = sorted({int(i) for i in (*deletes, *(d.id for d in docs))})
        writer.delete_documents_by_query(Query.term_set_query(self.schema, "id", stale))
        for doc in docs:
            writer.add_document(self._document(doc))
        added = set().union(*(_doc_languages(d) for d in docs))
        recorded = self._recorded_languages()
        if recorded is not None and not added <= recorded:
            self._record_languages(recorded | added)
        elif recorded is None and added:
            index.reload()  # under the writer lock: no commit can come in between
            if index.searcher().num_docs == 0:  # else: an older index, left unrecorded
                self._record_languages(added)

    @contextmanager
    def batched(self) -> Iterator[None]:
        """One writer and one commit for every write inside (an outbox drain of thousands of
        rows): each commit writes and syncs new segment files and waits for merges, about
        50-130 ms here, so per-200-rows commits cost an ingest 0.6-3 ms per document."""
        if getattr(self._pinned, "writer", None) is not None:
            yield
            return
        index = self._open(create=True)
        writer = self._writer(index)
        self._pinned.writer = writer
        try:
            yield
            writer.commit()
            writer.wait_merging_threads()
        except BaseException:
            writer.rollback()
            raise
        finally:
            self._pinned.writer = None
            del writer
        index.reload()

    def rebuild(self, batches: Iterable[Sequence[IndexDocument]]) -> int:
        index = self._open(create=True)
        writer = self._writer(index, threads=2)
        written = 0
        languages: set[str] = set()
        try:
            writer.delete_all_documents()
            for batch in batches:
                for doc in batch:
                    writer.add_document(self._document(doc))
                    languages |= _doc_languages(doc)
                written += len(batch)
            # Until the commit, readers still see the old documents: record both, or nothing
            # if the old ones are not recorded (then every language is searched meanwhile).
            recorded = self._recorded_languages()
            if recorded is not None:
                self._record_languages(recorded | languages)
            writer.commit()
            self._record_languages(languages)  # still under the writer lock
            writer.wait_merging_threads()
        except BaseException:
            writer.rollback()
            raise
        finally:
            del writer
        index.reload()
        return written

    # --- reading ---------------------------------------------------------------------------
    def count(self) -> int:
        return self._searcher().num_docs

    def check(self) -> None:
        if getattr(self._pinned, "searcher", None) is not None:
            return  # this request's reading() opened and loaded the index already
        self._searcher().search(Query.all_query(), 1, count=False)

    def digests(self) -> dict[int, int]:
        searcher = self._searcher()
        total = searcher.num_docs
        if not total:
            return {}
        hits = searcher.search(Query.all_query(), total, count=False).hits
        addresses = [address for _score, address in hits]
        ids = searcher.fast_field_values("id", addresses)
        digests = searcher.fast_field_values("digest", addresses)
        return dict(zip(ids, digests, strict=True))

    # --- query translation -----------------------------------------------------------------
    def _fields_for(self, field: str | None) -> list[str]:
        languages = self._searched_languages()  # a field no document uses matches nothing
        if field == "title":
            return [f"title_{lang}" for lang in languages]
        if field == "author":
            return ["author"]
        return [f"{kind}_{lang}" for kind in TEXT_KINDS for lang in languages] + ["keywords"]

    def _option(self, option: Term | Phrase) -> Query | None:
        subqueries: list[tuple[Occur, Query]] = []
        text = " ".join(option.words) if isinstance(option, Phrase) else option.text
        analysed: dict[str, list[str]] = {}  # per language: title, abstract, body share it
        for name in self._fields_for(option.field):
            lang, analyzer = _field_analyzer(name)
            boost = BOOSTS[name.split("_")[0]]
            tokens = analysed.get(lang)
            if tokens is None:
                tokens = analysed[lang] = analyzer.analyze(text)
            if isinstance(option, Term) and option.prefix:
                if lang == "zh":
                    continue
                tokens = tokens[:1]
                if tokens:
                    pattern = re.escape(tokens[0]) + ".*"
                    subqueries.append((Occur.Should, Query.boost_query(
                        Query.regex_query(self.schema, name, pattern), boost)))
                continue
            if not tokens:
                continue
            if len(tokens) == 1:
                query = Query.term_query(self.schema, name, tokens[0])
            else:
                query = Query.phrase_query(self.schema, name, tokens)
            subqueries.append((Occur.Should, Query.boost_query(query, boost)))
        if not subqueries:
            return None
        return Query.boolean_query(subqueries)

    def _lexical(self, request: BackendQuery) -> tuple[Query | None, list[Query]]:
        """The positive part of the query (None: nothing can match) and the exclusions.

        Built once per request: the search and each facet pass reuse it (a word becomes
        a term query on 25 fields, so building it costs as much as a small search)."""
        parsed = request.query
        memo = getattr(self._pinned, "lexical", None)
        if memo is not None:
            known = memo.get(id(parsed))
            if known is not None and known[0] is parsed:
                return known[1]
        built = self._build_lexical(parsed)
        if memo is not None:
            memo[id(parsed)] = (parsed, built)
        return built

    def _build_lexical(self, parsed: ParsedQuery) -> tuple[Query | None, list[Query]]:
        clauses: list[tuple[Occur, Query]] = []
        negative: list[Query] = []
        for clause in parsed.clauses:
            options = [q for q in (self._option(o) for o in clause.options) if q is not None]
            if not options:
                continue
            query = options[0] if len(options) == 1 else Query.boolean_query(
                [(Occur.Should, q) for q in options])
            if clause.negated:
                negative.append(query)
            else:
                clauses.append((Occur.Should if clause.optional else Occur.Must, query))
        if parsed.is_empty:
            return Query.all_query(), negative
        if not clauses:
            return None, negative  # every word analysed away: nothing can match
        return Query.boolean_query(clauses), negative

    def _any_of(self, name: str, values: list) -> Query:
        """Documents with one of these values in the field. A term query per value: tantivy
        intersects it lazily with the rest of the query, where a term set query first reads
        the whole posting list into a bit set (~0.2 ms for a common facet value at 100k
        items, in the search and again in each facet pass). Many values: a term set."""
        values = list(dict.fromkeys(values))
        if not values or len(values) > 8:
            return Query.term_set_query(self.schema, name, values)
        if len(values) == 1:
            return Query.term_query(self.schema, name, values[0])
        return Query.boolean_query(
            [(Occur.Should, Query.term_query(self.schema, name, v)) for v in values])

    def _filters(self, request: BackendQuery) -> list[tuple[Occur, Query]]:
        out: list[Query] = []
        for name, values in request.filters.items():
            if name not in FACETS or not values:
                continue
            if FACETS[name] == "int":
                ints = [int(v) for v in values if str(v).lstrip("-").isdigit()]
                out.append(self._any_of(name, ints))
            else:
                out.append(self._any_of(name, [str(v) for v in values]))
        low, high = request.year_range
        if low is not None or high is not None:
            out.append(Query.range_query(self.schema, "year", tantivy.FieldType.Integer,
                                         low, high))
        visibility = request.visibility
        if not visibility.everything:
            allowed: list[tuple[Occur, Query]] = [
                (Occur.Should, Query.term_query(self.schema, "status", "published"))]
            if visibility.organisation_ids:
                allowed.append((Occur.Should, Query.term_set_query(
                    self.schema, "org_id", sorted(visibility.organisation_ids))))
            if visibility.user_id:
                allowed.append((Occur.Should, Query.term_query(
                    self.schema, "created_by", visibility.user_id)))
            out.append(Query.boolean_query(allowed))
        if request.only_ids is not None:
            out.append(Query.term_set_query(self.schema, "id", [int(i) for i in request.only_ids]))
        return [(Occur.Must, Query.const_score_query(q, 0.0)) for q in out]

    def _query(self, request: BackendQuery) -> Query:
        positive, negative = self._lexical(request)
        if request.extra_ids:
            extra = Query.const_score_query(
                Query.term_set_query(self.schema, "id", [int(i) for i in request.extra_ids]), 0.0)
            positive = extra if positive is None else Query.boolean_query(
                [(Occur.Should, positive), (Occur.Should, extra)])
        if positive is None:
            return Query.empty_query()
        clauses = [(Occur.Must, positive), *self._filters(request)]
        clauses += [(Occur.MustNot, q) for q in negative]
        return clauses[0][1] if len(clauses) == 1 else Query.boolean_query(clauses)

    # --- searching -------------------------------------------------------------------------
    def search(self, request: BackendQuery) -> BackendResult:
        searcher = self._searcher()
        query = self._query(request)
        order = {"date": "date_key", "recent": "created"}.get(request.sort)
        if request.sort == "relevance" and request.query.is_empty:
            order = "created"
        try:
            result = searcher.search(
                query, limit=max(1, request.limit), count=True, offset=request.offset,
                order_by_field=order,
            )
        except ValueError as exc:
            raise IndexUnavailable(f"search failed: {exc}") from exc
        addresses = [address for _key, address in result.hits]
        ids = searcher.fast_field_values("id", addresses) if addresses else []
        scores = [float(key) if order is None else 0.0 for key, _a in result.hits]
        hits = list(zip(ids, scores, strict=True))[: request.limit]
        facets = self.facet_counts(request) if request.facets else {}
        return BackendResult(total=result.count or 0, hits=hits, facets=facets)

    def _facets(
        self, request: BackendQuery, names: Sequence[str]
    ) -> dict[str, list[tuple[str | int, int]]]:
        searcher = self._searcher()
        spec = {}
        for name in names:
            terms: dict = {"field": name, "size": request.facet_size}
            if name == "year":
                terms = {"field": name, "size": 60, "order": {"_key": "desc"}}
            spec[name] = {"terms": terms}
        result = searcher.aggregate(self._query(request), spec)
        out: dict[str, list[tuple[str | int, int]]] = {}
        for name in names:
            buckets = result.get(name, {}).get("buckets", [])
            out[name] = [
                (int(b["key"]) if FACETS[name] == "int" else b["key"], int(b["doc_count"]))
                for b in buckets
            ]
        return out
