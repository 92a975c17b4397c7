"""Turn what the user named (files, folders, URLs, manifests) into a stream of inputs.

Each :class:`Input` knows how to read its bytes (lazily, with the size limit), its label (the
path or URL as given, or the file inside a folder) and any metadata a manifest gave for it.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from django.conf import settings

from ssehub.core.net import FetchError, fetch
from ssehub.library.ingest.errors import IngestError

MANIFEST_SUFFIXES = (".csv", ".jsonl", ".ndjson")
FILE_COLUMNS = ("file", "path", "url")


@dataclass
class Input:
    label: str
    filename: str = ""
    reader: Callable[[], bytes] | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    source_url: str = ""
    # The record's identifier at its source (an OAI identifier, a demo key): a re-run finds
    # the item it made by (source name, record) even when it has no file, DOI or URL.
    record: str = ""
    error: str = ""
    # A local file's path, so that a batch can recognise a file it already has from its
    # bytes before sending it to an extraction worker.
    path: Path | None = None

    def read(self) -> bytes | None:
        """The bytes of the input, or None for a metadata-only manifest row."""
        if self.error:
            raise IngestError(self.error)
        return self.reader() if self.reader else None


def _limit_message(size: int) -> str:
    limit = settings.SSEHUB_MAX_FILE_BYTES
    return f"file is {size:,} bytes, over the size limit of {limit:,} (SSEHUB_MAX_FILE_BYTES)"


def read_path(path: Path) -> bytes:
    try:
        size = path.stat().st_size
    except FileNotFoundError as exc:
        raise IngestError(f"file not found: {path}") from exc
    if size > settings.SSEHUB_MAX_FILE_BYTES:
        raise IngestError(_limit_message(size))
    try:
        return path.read_bytes()
    except OSError as exc:
        raise IngestError(f"cannot read {path}: {exc.strerror}") from exc


def read_url(url: str) -> bytes:
    try:
        return fetch(url).content
    except FetchError as exc:
        raise IngestError(str(exc)) from exc


def from_path(path: Path, label: str, metadata: dict | None = None) -> Input:
    # Readers are partials of module functions, not lambdas: an Input can be pickled and
    # read in an extraction worker process.
    return Input(label=label, filename=path.name, reader=partial(read_path, path),
                 metadata=metadata or {}, path=path)


def from_url(url: str, metadata: dict | None = None, label: str | None = None) -> Input:
    name = url.rstrip("/").rsplit("/", 1)[-1].split("?")[0] or "download"
    return Input(label=label or url, filename=name, reader=partial(read_url, url),
                 metadata=metadata or {}, source_url=url)


def from_bytes(data: bytes, filename: str, metadata: dict | None = None) -> Input:
    """An input already in memory (a web upload)."""
    if len(data) > settings.SSEHUB_MAX_FILE_BYTES:
        return Input(label=filename, filename=filename, error=_limit_message(len(data)))
    return Input(label=filename, filename=filename, reader=partial(_given, data),
                 metadata=metadata or {})


def _given(data: bytes) -> bytes:
    return data


def is_url(value: str) -> bool:
    return value.lower().startswith(("http://", "https://"))


def walk_folder(folder: Path, label: str) -> Iterator[Input]:
    """Every visible file below ``folder``, in a stable order."""
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = Path(root) / name
            yield from_path(path, os.path.join(label, os.path.relpath(path, folder)))


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _clean(value: Any) -> Any:
    """Manifest values without control characters (PostgreSQL refuses NUL in text)."""
    if isinstance(value, str):
        return _CONTROL.sub("", value).strip()
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    return value


def _read_manifest_text(path: Path) -> tuple[str, str]:
    """The manifest's text, decoded as UTF-8 or, failing that, as what it most likely is
    (spreadsheets on Windows save CSV in their ANSI code page); and a note saying so."""
    from ssehub.library.ingest.extract import decode_text

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(f"cannot read manifest {path}: {exc.strerror}") from exc
    text, encoding = decode_text(data)
    return text, f"manifest is not UTF-8: decoded as {encoding}" if encoding else ""


def _manifest_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | None, str]]:
    """(line number, row or None, error) for each row of a CSV or JSONL manifest."""
    text, _note = _read_manifest_text(path)
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(io.StringIO(text, newline=""))
        try:
            for row in reader:
                clean = {
                    k.strip().lower(): _clean(v if isinstance(v, str) else "")
                    for k, v in row.items() if k
                }
                yield reader.line_num, clean, ""
        except csv.Error as exc:
            yield reader.line_num, None, f"line {reader.line_num} is not valid CSV: {exc}"
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, None, f"line {number} is not valid JSON: {exc.msg}"
            continue
        except RecursionError:
            yield number, None, f"line {number} is not valid JSON: nested too deeply"
            continue
        if not isinstance(row, dict):
            yield number, None, f"line {number} is not a JSON object"
            continue
        yield number, _clean(row), ""


def _row_metadata(row: dict[str, Any]) -> dict[str, Any]:
    """Manifest columns such as ``title_fr`` become per-language values.

    A plain ``title`` next to them is filed under the language detected for it, whatever the
    order of the columns."""
    meta: dict[str, Any] = {}
    translations: dict[str, dict[str, str]] = {}
    for key, value in row.items():
        if key in FILE_COLUMNS or value in (None, ""):
            continue
        base, _sep, lang = str(key).partition("_")
        if base in ("title", "abstract") and lang and len(lang) == 2 and isinstance(value, str):
            translations.setdefault(base, {})[lang.lower()] = value
        else:
            meta[key] = value
    for base, per_language in translations.items():
        plain = meta.get(base)
        if isinstance(plain, str) and plain:
            # "und" until the pipeline knows the document's language (a short title alone
            # is too little for language detection).
            meta[base] = {"und": plain, **per_language}
        elif isinstance(plain, dict):
            meta[base] = {**plain, **per_language}
        else:
            meta[base] = per_language
    return meta


def is_manifest(path: Path) -> bool:
    if path.suffix.lower() not in MANIFEST_SUFFIXES or not path.is_file():
        return False
    if path.suffix.lower() != ".csv":
        return True
    try:
        text, _note = _read_manifest_text(path)
        header = [h.strip().lower() for h in next(csv.reader(io.StringIO(text)), [])]
    except (IngestError, csv.Error):
        return False
    return any(col.partition("_")[0] in (*FILE_COLUMNS, "title") for col in header)


def from_manifest(path: Path, label: str) -> Iterator[Input]:
    base = path.parent
    try:
        rows = list(_manifest_rows(path))
    except IngestError as exc:
        yield Input(label=label, error=f"unreadable manifest: {exc}")
        return
    for number, row, error in rows:
        row_label = f"{label}:{number}"
        if row is None:
            yield Input(label=row_label, error=error)
            continue
        target = str(row.get("file") or row.get("path") or row.get("url") or "").strip()
        metadata = _row_metadata(row)
        if not target:
            yield Input(label=row_label, metadata=metadata)
        elif is_url(target):
            yield from_url(target, metadata, label=row_label)
        else:
            file_path = (base / target) if not os.path.isabs(target) else Path(target)
            if not file_path.is_file():
                yield Input(label=row_label, metadata=metadata,
                            error=f"file not found: {target} (row {number} of {label})")
            else:
                yield from_path(file_path, row_label, metadata)


def expand(targets: list[str]) -> Iterator[Input]:
    """Inputs for each command-line target, in order."""
    for target in targets:
        if is_url(target):
            yield from_url(target)
            continue
        path = Path(target)
        if path.is_dir():
            yield from walk_folder(path, target)
        elif is_manifest(path):
            yield from from_manifest(path, target)
        elif path.exists():
            yield from_path(path, target)
        else:
            yield Input(label=target, error=f"file not found: {target}")
