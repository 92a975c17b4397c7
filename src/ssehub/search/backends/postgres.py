"""The PostgreSQL backend: the database as the only server.

One row per item in ``search_document`` (created by migration 0002, on PostgreSQL only): a
``tsvector`` built per language configuration (english, french, spanish, portuguese, russian,
arabic; ``simple`` for the rest) with weights A title, B keywords/authors/abstract, C full
text, GIN-indexed; facet values as columns and arrays (GIN for the multi-valued ones). Text is
accent-folded in Python before ``to_tsvector``, and query words likewise, so no ``unaccent``
extension (and no superuser) is needed.

The parsed query (never the user's string) becomes SQL with every word passed as a parameter:
a word is ``plainto_tsquery`` OR-ed over the configurations (the query's language is unknown),
a phrase ``phraseto_tsquery``, a prefix ``to_tsquery(cfg, word || ':*')``. The AST is used
rather than ``websearch_to_tsquery`` so that ``title:``/``author:`` fields and the stop-word
rule behave exactly as with tantivy. Facets are counted in one SQL statement over the matching
set (a CTE), ranking is ``ts_rank`` with the weights above.
"""

# SQL here is assembled only from constants of this module and the fixed facet names in
# FACETS; every value that comes from a user or a document is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection, transaction
from django.db.utils import DatabaseError

from ssehub.search.backends.base import (
    FACETS,
    BackendQuery,
    BackendResult,
    IndexUnavailable,
    SearchBackend,
)
from ssehub.search.documents import IndexDocument
from ssehub.search.query import Phrase, Term
from ssehub.search.text import fold

TABLE = "search_document"
CONFIGS = {"en": "english", "fr": "french", "es": "spanish", "pt": "portuguese",
           "ru": "russian", "ar": "arabic"}
QUERY_CONFIGS = [*CONFIGS.values(), "simple"]
ARRAYS = {"sdg": "int[]", "language": "text[]", "country": "text[]", "region": "text[]"}
RANK_WEIGHTS = "{0.1, 0.2, 0.5, 1.0}"  # D, C, B, A
LOCK_KEY = 0x55E5EA4C  # pg_advisory_lock key of the indexer

CREATE_SQL = [
    f"""CREATE TABLE IF NOT EXISTS {TABLE} (
        item_id bigint PRIMARY KEY,
        status text NOT NULL,
        org_id bigint,
        created_by bigint,
        sdg int[] NOT NULL DEFAULT '{{}}',
        type text NOT NULL DEFAULT '',
        language text[] NOT NULL DEFAULT '{{}}',
        country text[] NOT NULL DEFAULT '{{}}',
        region text[] NOT NULL DEFAULT '{{}}',
        year int,
        organisation text NOT NULL DEFAULT '',
        source text NOT NULL DEFAULT '',
        date_key bigint NOT NULL DEFAULT 0,
        created bigint NOT NULL DEFAULT 0,
        digest bigint NOT NULL DEFAULT 0,
        tsv tsvector NOT NULL,
        title_tsv tsvector NOT NULL,
        author_tsv tsvector NOT NULL
    )""",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_tsv ON {TABLE} USING gin (tsv)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_title ON {TABLE} USING gin (title_tsv)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_author ON {TABLE} USING gin (author_tsv)",
    *(f"CREATE INDEX IF NOT EXISTS {TABLE}_{name} ON {TABLE} USING gin ({name})"
      for name in ARRAYS),
    f"CREATE INDEX IF NOT EXISTS {TABLE}_status ON {TABLE} (status)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_created ON {TABLE} (created DESC)",
    f"CREATE INDEX IF NOT EXISTS {TABLE}_date ON {TABLE} (date_key DESC)",
]


def config_for(language: str) -> str:
    return CONFIGS.get((language or "").lower().split("-")[0], "simple")


class PostgresBackend(SearchBackend):
    name = "postgres"

    # --- housekeeping ----------------------------------------------------------------------
    @contextmanager
    def writing(self) -> Iterator[None]:
        """One indexer at a time across every machine sharing the database."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [LOCK_KEY])
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall() if cursor.description else []
        except DatabaseError as exc:
            raise IndexUnavailable(f"search table unavailable: {exc}") from exc

    def reset(self) -> None:
        with transaction.atomic():
            for statement in CREATE_SQL:
                self._execute(statement)
            self._execute(f"TRUNCATE {TABLE}")

    def check(self) -> None:
        with transaction.atomic():
            self._execute(f"SELECT 1 FROM {TABLE} LIMIT 1")

    def count(self) -> int:
        return self._execute(f"SELECT count(*) FROM {TABLE}")[0][0]

    def digests(self) -> dict[int, int]:
        return dict(self._execute(f"SELECT item_id, digest FROM {TABLE}"))

    # --- writing ---------------------------------------------------------------------------
    def _row(self, doc: IndexDocument) -> tuple[str, list[Any]]:
        """The VALUES part for one document: tsvectors built in SQL, text as parameters."""
        pieces: list[str] = []
        params: list[Any] = []
        for weight, pairs in (
            ("A", [(config_for(lang), text) for lang, text in doc.title.items()]),
            ("B", [("simple", " ".join([*doc.keywords, *doc.creators]))]
             + [(config_for(lang), text) for lang, text in doc.abstract.items()]),
            ("C", [(config_for(doc.body_language), doc.body)]),
        ):
            for config, text in pairs:
                if text:
                    pieces.append(f"setweight(to_tsvector(%s::regconfig, %s), '{weight}')")
                    params += [config, fold(text)]
        tsv = " || ".join(pieces) or "''::tsvector"
        title_pieces = []
        for lang, text in doc.title.items():
            title_pieces.append("to_tsvector(%s::regconfig, %s)")
            params += [config_for(lang), fold(text)]
        title_tsv = " || ".join(title_pieces) or "''::tsvector"
        params.append(fold(" ".join(doc.creators)))
        values = (f"(%s, %s, %s, %s, %s::int[], %s, %s::text[], %s::text[], %s::text[], %s, %s, "
                  f"%s, %s, %s, %s, {tsv}, {title_tsv}, to_tsvector('simple', %s))")
        head = [doc.id, doc.status, doc.organisation_id, doc.created_by, list(doc.sdg), doc.type,
                list(doc.language), list(doc.country), list(doc.region), doc.year,
                doc.organisation, doc.source, doc.date_key, doc.created, doc.digest]
        return values, head + params

    def _insert(self, docs: Sequence[IndexDocument]) -> None:
        columns = ("item_id, status, org_id, created_by, sdg, type, language, country, region, "
                   "year, organisation, source, date_key, created, digest, tsv, title_tsv, "
                   "author_tsv")
        updates = ", ".join(f"{c.strip()} = EXCLUDED.{c.strip()}"
                            for c in columns.split(",")[1:])
        for start in range(0, len(docs), 100):
            rows = [self._row(doc) for doc in docs[start:start + 100]]
            sql = (f"INSERT INTO {TABLE} ({columns}) VALUES "
                   + ", ".join(values for values, _p in rows)
                   + f" ON CONFLICT (item_id) DO UPDATE SET {updates}")
            self._execute(sql, [p for _v, params in rows for p in params])

    def upsert(self, docs: Sequence[IndexDocument]) -> None:
        if docs:
            with transaction.atomic():
                self._insert(list(docs))

    def delete(self, ids: Iterable[int]) -> None:
        ids = [int(i) for i in ids]
        if ids:
            self._execute(f"DELETE FROM {TABLE} WHERE item_id = ANY(%s)", [ids])

    def rebuild(self, batches: Iterable[Sequence[IndexDocument]]) -> int:
        written = 0
        # One transaction: searches see the old index until the new one is complete.
        with transaction.atomic():
            for statement in CREATE_SQL:
                self._execute(statement)
            self._execute(f"DELETE FROM {TABLE}")
            for batch in batches:
                self._insert(list(batch))
                written += len(batch)
        return written

    # --- query translation -----------------------------------------------------------------
    def _tsquery(self, option: Term | Phrase) -> tuple[str, list[Any]]:
        if isinstance(option, Phrase):
            text = " ".join(option.words)
            parts = ["phraseto_tsquery(%s::regconfig, %s)"] * len(QUERY_CONFIGS)
            params = [p for cfg in QUERY_CONFIGS for p in (cfg, text)]
        elif option.prefix:
            parts = ["to_tsquery(%s::regconfig, %s)"] * len(QUERY_CONFIGS)
            # Parsed words are \w+ only, so the ':*' operand cannot inject tsquery syntax.
            params = [p for cfg in QUERY_CONFIGS for p in (cfg, f"{option.text}:*")]
        else:
            parts = ["plainto_tsquery(%s::regconfig, %s)"] * len(QUERY_CONFIGS)
            params = [p for cfg in QUERY_CONFIGS for p in (cfg, option.text)]
        return "(" + " || ".join(parts) + ")", params

    def _match(self, option: Term | Phrase) -> tuple[str, list[Any], bool]:
        """SQL matching one option, its parameters, and whether it ranks (full-text column)."""
        column = {"title": "title_tsv", "author": "author_tsv"}.get(option.field or "", "tsv")
        if option.field == "author":
            sql, params = (f"{'phraseto' if isinstance(option, Phrase) else 'plainto'}"
                           "_tsquery('simple', %s)",
                           [" ".join(option.words) if isinstance(option, Phrase)
                            else option.text])
            if isinstance(option, Term) and option.prefix:
                sql, params = "to_tsquery('simple', %s)", [f"{option.text}:*"]
        else:
            sql, params = self._tsquery(option)
        return f"{column} @@ {sql}", params, column == "tsv"

    def _where(
        self, request: BackendQuery
    ) -> tuple[str, list[Any], str, list[Any], str, list[Any]]:
        """WHERE clause and its parameters, the ranking tsquery and its parameters, and the
        lexical part alone (what tells a lexical match from a semantic candidate)."""
        parsed = request.query
        must: list[str] = []
        must_params: list[Any] = []
        negative: list[str] = []
        negative_params: list[Any] = []
        rank_parts: list[str] = []
        rank_params: list[Any] = []
        for clause in parsed.clauses:
            sqls, params = [], []
            for option in clause.options:
                sql, p, ranks = self._match(option)
                sqls.append(sql)
                params += p
                if ranks and not clause.negated:
                    tsq, tp = self._tsquery(option)
                    rank_parts.append(tsq)
                    rank_params += tp
            expression = "(" + " OR ".join(sqls) + ")"
            if clause.negated:
                negative.append(expression)
                negative_params += params
            elif not clause.optional:
                must.append(expression)
                must_params += params
        positive = "TRUE" if parsed.is_empty else ("(" + " AND ".join(must) + ")" if must
                                                    else "FALSE")
        positive_params = [] if parsed.is_empty else must_params
        lexical, lexical_params = positive, list(positive_params)
        if request.extra_ids:
            positive = f"({positive} OR item_id = ANY(%s))"
            positive_params = [*positive_params, [int(i) for i in request.extra_ids]]
        where = [positive]
        params: list[Any] = list(positive_params)
        for expression in negative:
            where.append(f"NOT {expression}")
        params += negative_params
        for name, values in request.filters.items():
            if name not in FACETS or not values:
                continue
            if FACETS[name] == "int":
                values = [int(v) for v in values if str(v).lstrip("-").isdigit()]
            else:
                values = [str(v) for v in values]
            if name in ARRAYS:
                where.append(f"{name} && %s::{ARRAYS[name]}")
            else:
                where.append(f"{name} = ANY(%s)")
            params.append(values)
        low, high = request.year_range
        if low is not None:
            where.append("year >= %s")
            params.append(low)
        if high is not None:
            where.append("year <= %s")
            params.append(high)
        visibility = request.visibility
        if not visibility.everything:
            allowed = ["status = 'published'"]
            if visibility.organisation_ids:
                allowed.append("org_id = ANY(%s)")
                params.append(sorted(visibility.organisation_ids))
            if visibility.user_id:
                allowed.append("created_by = %s")
                params.append(visibility.user_id)
            where.append("(" + " OR ".join(allowed) + ")")
        if request.only_ids is not None:
            where.append("item_id = ANY(%s)")
            params.append([int(i) for i in request.only_ids])
        rank = " || ".join(rank_parts) if rank_parts else ""
        return " AND ".join(where), params, rank, rank_params, lexical, lexical_params

    # --- searching -------------------------------------------------------------------------
    def search(self, request: BackendQuery) -> BackendResult:
        where, params, rank, rank_params, lexical, lexical_params = self._where(request)
        total = self._execute(f"SELECT count(*) FROM {TABLE} WHERE {where}", params)[0][0]
        hits: list[tuple[int, float]] = []
        if request.limit > 0:
            order_sql = {"date": "date_key DESC, item_id DESC",
                         "recent": "created DESC, item_id DESC"}.get(request.sort)
            if request.sort == "relevance" and request.query.is_empty:
                order_sql = "created DESC, item_id DESC"
            if order_sql is None and rank:
                # Lexical matches score above zero, semantic-only candidates exactly zero.
                score_sql = (f"CASE WHEN {lexical} THEN "
                             f"ts_rank('{RANK_WEIGHTS}', tsv, {rank}) + 1e-6 ELSE 0 END")
                select_params = [*lexical_params, *rank_params]
                order_sql = "score DESC, item_id"
            else:
                score_sql, select_params = "0.0", []
                order_sql = order_sql or "item_id"
            rows = self._execute(
                f"SELECT item_id, {score_sql} AS score FROM {TABLE} WHERE {where} "
                f"ORDER BY {order_sql} LIMIT %s OFFSET %s",
                [*select_params, *params, request.limit, request.offset])
            hits = [(int(i), float(score)) for i, score in rows]
        facets = self.facet_counts(request) if request.facets else {}
        return BackendResult(total=total, hits=hits, facets=facets)

    def _facets(
        self, request: BackendQuery, names: Sequence[str]
    ) -> dict[str, list[tuple[str | int, int]]]:
        names = [name for name in names if name in FACETS]
        where, params = self._where(request)[:2]
        parts = []
        for name in names:
            size = 60 if name == "year" else request.facet_size
            order = "value DESC" if name == "year" else "count(*) DESC, value"
            if name in ARRAYS:
                source = f"matched m, unnest(m.{name}) AS value"
            else:
                source = f"(SELECT {name} AS value FROM matched) m"
            parts.append(
                f"(SELECT '{name}' AS facet, value::text, count(*) AS n FROM {source} "
                f"WHERE value IS NOT NULL AND value::text <> '' GROUP BY value "
                f"ORDER BY {order} LIMIT {int(size)})")
        sql = (f"WITH matched AS MATERIALIZED (SELECT {', '.join(names)} FROM {TABLE} "
               f"WHERE {where}) " + " UNION ALL ".join(parts))
        out: dict[str, list[tuple[str | int, int]]] = {name: [] for name in names}
        for facet, value, count in self._execute(sql, params):
            out[facet].append((int(value) if FACETS[facet] == "int" else value, int(count)))
        return out
