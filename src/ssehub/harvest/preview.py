"""Checking a source: read its first few records as a run would, and store nothing.

Why: most failed harvests are configuration mistakes (a wrong base URL, a set that does not
exist, a metadata prefix the server does not offer, a column mapping that misses the title),
and a harvest platform's users find them out the next morning, in a failed run (DSpace's
collection harvesting has its "Test settings" button for this). A check answers in seconds
with what the first records would become, or why the source cannot be read.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ssehub.core.i18n import pick
from ssehub.core.net import FetchError
from ssehub.harvest import http
from ssehub.harvest.models import Source
from ssehub.harvest.runner import UNTITLED, untitled
from ssehub.harvest.sources import HarvestError, Record, harvester_class
from ssehub.library.metadata import MetadataError, from_dict

RECORDS = 10


@dataclass
class Preview:
    """What ``ssehub harvest check --json`` prints."""

    source: str
    ok: bool  # the first page could be read
    error: str = ""  # why it could not
    records: int = 0  # read from the first page (at most the number asked for)
    total: int | None = None  # in the whole list, when the source says
    valid: int = 0
    deleted: int = 0
    failed: int = 0
    errors: list[dict[str, str]] = field(default_factory=list)
    sample: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def check(source: Source, *, records: int = RECORDS) -> Preview:
    """Read the first ``records`` records of ``source`` from the start (as ``--full`` would)
    and validate them as the run would; nothing is written. Fetches go through the same
    guarded client as a run (private addresses refused unless allow-listed), each tried once:
    someone is waiting, and a server that is down or busy is what they need to hear."""
    harvester = harvester_class(source.kind)(source, full=True, page_size=records)
    try:
        with http.single_attempt():
            stream = harvester.pages(harvester.start())
            try:
                page = next(stream, None)
            finally:
                stream.close()
    except (HarvestError, FetchError) as exc:
        return Preview(source=source.name, ok=False, error=str(exc))
    if page is None:
        return Preview(source=source.name, ok=True, total=0)
    out = Preview(source=source.name, ok=True, total=page.total, notes=list(page.notes))
    for record in page.records[:records]:
        out.records += 1
        problem = _problem(record)
        if record.deleted and not problem:
            out.deleted += 1
        elif problem:
            out.failed += 1
            out.errors.append({"record": record.identifier, "error": problem})
        else:
            out.valid += 1
            out.sample.append(_sample(record))
    return out


def _problem(record: Record) -> str:
    """Why the run would skip ``record`` ("" if it would store it)."""
    if record.error:
        return record.error
    if record.deleted or record.data is not None:  # a page is extracted when it is stored
        return ""
    if untitled(record):
        return UNTITLED
    try:
        from_dict(dict(record.metadata))
    except MetadataError as exc:
        return str(exc)
    return ""


def _sample(record: Record) -> dict[str, Any]:
    meta = record.metadata
    title = meta.get("title")
    return {
        "record": record.identifier,
        "title": pick(title) if isinstance(title, dict) else str(title or ""),
        "type": str(meta.get("type") or ""),
        "date": str(meta.get("date") or ""),
        "languages": list(meta.get("languages") or []),
        "document": record.source_url if record.data is not None else "",
    }
