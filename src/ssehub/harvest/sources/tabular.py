"""CSV and JSON files or URLs, with a column mapping.

``mapping`` names, for each Item field, the column (or JSON key, dotted for nesting) that holds
it: ``{"title": "Name", "abstract": "Summary", "date": "Year", "url": "Link"}``. ``id`` names
the column that identifies a row at its source (a re-run updates that row's item); without it,
the row's position is used, which only suits files that are appended to.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ssehub.core.net import FetchError
from ssehub.harvest import http
from ssehub.harvest.sources.base import Harvester, HarvestError, Page, Record, chunks
from ssehub.library.ingest.errors import IngestError
from ssehub.library.ingest.extract import decode_text

FIELDS = ("title", "abstract", "type", "creators", "publisher", "date", "languages",
          "countries", "regions", "sdgs", "keywords", "licence", "doi", "url", "isbn",
          "organisation")


def dig(row: Any, path: str) -> Any:
    """``row["a"]["b"]`` for the path ``a.b``; None if any step is missing."""
    for part in path.split("."):
        if not isinstance(row, dict):
            return None
        row = row.get(part)
    return row


def rows_from(data: bytes, name: str, records_key: str = "") -> list[dict[str, Any]]:
    try:
        text, _encoding = decode_text(data)
    except IngestError as exc:
        raise HarvestError(f"{name}: {exc}") from exc
    stripped = text.lstrip()
    if name.lower().endswith(".csv") or not stripped.startswith(("[", "{")):
        try:
            return [dict(row) for row in csv.DictReader(io.StringIO(text, newline=""))]
        except csv.Error as exc:
            raise HarvestError(f"{name} is not valid CSV: {exc}") from exc
    if name.lower().endswith((".jsonl", ".ndjson")):
        lines = [line for line in text.splitlines() if line.strip()]
        try:
            return [json.loads(line) for line in lines]
        except json.JSONDecodeError as exc:
            raise HarvestError(f"{name} is not valid JSON lines: {exc.msg}") from exc
    try:
        data_ = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise HarvestError(f"{name} is not valid JSON: {exc}") from exc
    if records_key:
        data_ = dig(data_, records_key)
    if isinstance(data_, dict):
        data_ = next((v for v in data_.values() if isinstance(v, list)), [data_])
    if not isinstance(data_, list):
        raise HarvestError(f"{name}: expected a list of records")
    return [r for r in data_ if isinstance(r, dict)]


class TabularHarvester(Harvester):
    """Options: mapping (field → column), id (identifier column), records (JSON key of the
    list), type (default item type)."""

    def load(self) -> tuple[bytes, str]:
        url = self.source.url
        if url.lower().startswith(("http://", "https://")):
            try:
                return http.get_with_retries(url).content, url.split("?")[0]
            except FetchError as exc:
                raise HarvestError(str(exc)) from exc
        try:
            return Path(url).read_bytes(), url
        except OSError as exc:
            raise HarvestError(f"cannot read {url}: {exc.strerror}") from exc

    def start(self) -> dict[str, Any]:
        return {"position": 0}

    def pages(self, cursor: dict[str, Any]) -> Iterator[Page]:
        data, name = self.load()
        digest = hashlib.sha256(data).hexdigest()
        rows = rows_from(data, name, str(self.options.get("records") or ""))
        position = cursor.get("position", 0) if cursor.get("file") == digest else 0
        size = self.page_size
        for start, batch in chunks(rows[position:], size):
            records = [self.record(position + start + i, row) for i, row in enumerate(batch)]
            yield Page(records, {"position": position + start + len(batch), "file": digest},
                       total=len(rows))
        if not rows[position:]:
            yield Page([], {"position": position, "file": digest}, total=len(rows))

    def record(self, index: int, row: dict[str, Any]) -> Record:
        mapping: dict[str, str] = {f: f for f in FIELDS} | dict(self.options.get("mapping") or {})
        id_column = self.options.get("id")
        identifier = str(dig(row, id_column) or "").strip() if id_column else f"row-{index + 1}"
        raw = json.dumps(row, ensure_ascii=False, sort_keys=True, default=str)
        if not identifier:
            return Record(identifier=f"row-{index + 1}", raw=raw,
                          error=f"no value in the id column {id_column!r}")
        meta: dict[str, Any] = {}
        for field, column in mapping.items():
            value = dig(row, column) if column else None
            if value not in (None, "", [], {}):
                meta[field] = value.strip() if isinstance(value, str) else value
        meta.setdefault("type", self.default_type)
        return Record(identifier=identifier, raw=raw, metadata=meta)
