"""The one small interface every search backend implements.

A backend stores :class:`~ssehub.search.documents.IndexDocument` projections and answers
:class:`BackendQuery`: a parsed query (never a raw string), filters, who is asking, facets,
sort and a window. Everything else (hybrid ranking, hydration, snippets, permissions policy)
lives in ``search.services`` above it, so a new engine (OpenSearch, say) only has to translate
the AST and the filters, count facets and keep documents.
"""

from __future__ import annotations

import fcntl
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ssehub.search.documents import IndexDocument
from ssehub.search.query import ParsedQuery

# Facet name → kind. "int" facets hold integers, the others strings.
FACETS: dict[str, str] = {
    "sdg": "int",
    "type": "str",
    "language": "str",
    "region": "str",
    "country": "str",
    "year": "int",
    "organisation": "str",
    "source": "str",
}


class IndexUnavailable(Exception):
    """The index is missing or unreadable; the caller rebuilds it or reports it."""


@dataclass(frozen=True)
class Visibility:
    """Who is asking: editors see everything, others published items plus their own
    organisations' and their own (the rule of ``library.permissions.visible_items``)."""

    everything: bool = False
    organisation_ids: frozenset[int] = frozenset()
    user_id: int | None = None


@dataclass
class BackendQuery:
    query: ParsedQuery
    filters: dict[str, list[str | int]] = field(default_factory=dict)
    year_range: tuple[int | None, int | None] = (None, None)
    visibility: Visibility = field(default_factory=Visibility)
    # Ids that match in addition to the lexical query (semantic candidates), scoring zero.
    extra_ids: Sequence[int] = ()
    # Restrict to these ids (used to filter semantic candidates); None means no restriction.
    only_ids: Sequence[int] | None = None
    facets: Sequence[str] = ()
    facet_size: int = 10
    sort: str = "relevance"  # relevance | date | recent
    offset: int = 0
    limit: int = 10


@dataclass
class BackendResult:
    total: int
    hits: list[tuple[int, float]]
    facets: dict[str, list[tuple[str | int, int]]] = field(default_factory=dict)


class SearchBackend(ABC):
    name: str = ""

    def __init__(self, directory: Path):
        self.directory = Path(directory)

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Serialise indexers (outbox drains, rebuilds) on this machine: a drain reads items
        and writes the index, and two interleaved drains could write an older state last.
        A multi-machine backend overrides this with a lock its server provides."""
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / ".indexer.lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    @contextmanager
    def batched(self) -> Iterator[None]:
        """Group the writes made inside into one commit where the engine pays per commit
        (tantivy writes segment files and syncs them each time); the writes become visible on
        exit. Backends whose writes are plain database rows need not override it."""
        yield

    @contextmanager
    def reading(self) -> Iterator[None]:
        """One consistent view of the index for a whole request (a search, its facet counts
        and its checks); backends that open a reader per call override it."""
        yield

    @abstractmethod
    def reset(self) -> None:
        """Throw the index away (a corrupted one included) and start an empty one."""

    @abstractmethod
    def upsert(self, docs: Sequence[IndexDocument]) -> None:
        """Add or replace documents, made visible to searches on return."""

    @abstractmethod
    def delete(self, ids: Iterable[int]) -> None:
        """Remove documents by item id (unknown ids are ignored)."""

    @abstractmethod
    def rebuild(self, batches: Iterable[Sequence[IndexDocument]]) -> int:
        """Replace the whole index with these documents; return how many were written."""

    @abstractmethod
    def search(self, request: BackendQuery) -> BackendResult:
        """Matching hits in order, the total and the requested facet counts."""

    @abstractmethod
    def count(self) -> int:
        """Documents in the index."""

    @abstractmethod
    def digests(self) -> dict[int, int]:
        """Item id → digest of every indexed document (for ``reindex --check``)."""

    @abstractmethod
    def check(self) -> None:
        """Raise :class:`IndexUnavailable` when the index cannot serve searches."""

    def facet_counts(self, request: BackendQuery) -> dict[str, list[tuple[str | int, int]]]:
        """Facet counts where each facet ignores its own filter (so a reader can pick a
        second value of it) but respects all the others: one pass for the facets without a
        selection, one more per facet with one."""
        plain = [f for f in request.facets if not request.filters.get(f)]
        out: dict[str, list[tuple[str | int, int]]] = {}
        if plain:
            out.update(self._facets(request, plain))
        for name in request.facets:
            if name in out:
                continue
            filters = {k: v for k, v in request.filters.items() if k != name}
            year = request.year_range if name != "year" else (None, None)
            sub = BackendQuery(**{**request.__dict__, "filters": filters, "year_range": year})
            out.update(self._facets(sub, [name]))
        return {name: out.get(name, []) for name in request.facets}

    def _facets(
        self, request: BackendQuery, names: Sequence[str]
    ) -> dict[str, list[tuple[str | int, int]]]:
        raise NotImplementedError
