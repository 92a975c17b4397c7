"""What every source type shares: records, pages, and the harvester interface."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ssehub.harvest import conf

if TYPE_CHECKING:
    from ssehub.harvest.models import RecordState, Source


class HarvestError(Exception):
    """The run cannot go on (source unreachable, protocol error, refused XML).

    ``reset`` replaces the checkpoint's cursor (e.g. a rejected resumption token means the
    next attempt must restart the chain rather than resume it).
    """

    def __init__(self, message: str, *, reset: dict[str, Any] | None = None):
        super().__init__(message)
        self.reset = reset


@dataclass
class Record:
    """One record as harvested: identity, provenance, and what to ingest."""

    identifier: str
    datestamp: str = ""
    deleted: bool = False
    raw: str = ""  # the original metadata as received (kept as provenance)
    metadata: dict[str, Any] = field(default_factory=dict)  # library.metadata schema
    error: str = ""  # could not be mapped: logged and skipped
    data: bytes | None = None  # a document to extract (a web page, a feed entry's page)
    filename: str = ""
    source_url: str = ""
    validators: dict[str, str] = field(default_factory=dict)  # ETag, Last-Modified
    not_modified: bool = False  # the server said 304
    content_hash: str = ""

    def digest(self) -> str:
        """What decides "unchanged": the metadata and the document, not the datestamp."""
        if not self.content_hash:
            h = hashlib.sha256(self.raw.encode("utf-8", "surrogatepass"))
            if self.data is not None:
                h.update(b"\0")
                h.update(self.data)
            self.content_hash = h.hexdigest()
        return self.content_hash


@dataclass
class Page:
    records: list[Record]
    cursor: dict[str, Any]  # where the run resumes once this page is committed
    total: int | None = None  # size of the whole list, when the source says
    notes: list[str] = field(default_factory=list)  # warnings worth showing in the run


Lookup = Callable[[list[str]], dict[str, "RecordState"]]


class Harvester:
    """Base class: ``start`` → first cursor, ``pages`` → pages from a cursor, ``finish`` →
    the source's state for the next incremental run."""

    # ``pages`` may run in a process or thread of its own, one page ahead of the one being
    # stored (``harvest.readahead``): only for a harvester whose ``pages`` never touches the
    # database (a thread has its own connection, which would not see the run's uncommitted
    # writes; a forked process may not use its parent's).
    read_ahead = False

    def __init__(self, source: Source, *, full: bool = False, lookup: Lookup | None = None,
                 page_size: int | None = None):
        self.source = source
        self.options: dict[str, Any] = dict(source.options or {})
        self.full = full
        # Records or URLs per page where the source has no pages of its own (a check of a
        # source reads a small first page).
        self.page_size = page_size or int(conf.get("SSEHUB_HARVEST_PAGE_SIZE"))
        # Known records by identifier: lets a harvester skip fetching pages it already has.
        self.lookup: Lookup = lookup or (lambda ids: {})

    def start(self) -> dict[str, Any]:
        return {}

    def pages(self, cursor: dict[str, Any]) -> Iterator[Page]:
        raise NotImplementedError

    def finish(self, cursor: dict[str, Any]) -> dict[str, Any]:
        return dict(self.source.state or {})

    @property
    def default_type(self) -> str:
        return str(self.options.get("type") or "other")


def chunks(items: list[Any], size: int) -> Iterator[tuple[int, list[Any]]]:
    """(start, slice) pairs of ``size`` items."""
    for start in range(0, len(items), max(1, size)):
        yield start, items[start:start + size]
