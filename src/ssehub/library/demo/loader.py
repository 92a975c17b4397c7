"""Load the demo content into the library, through the same ingestion service as real input.

The demo exists so that a newcomer running ``ssehub run`` sees a working hub (search, SDG
pages, languages, the editorial workflow) instead of an empty one. It goes through
:func:`ssehub.library.ingest.pipeline.ingest_one` rather than writing rows directly, so that it
exercises, and stays in step with, the code real documents take.

Two rules shape this module:

* **Demo records must never pass for real publications.** Every illustrative entry is checked
  (title starting with "Demo"/"Démo", in every language) and marked (the keyword ``demo``, a
  disclaimer at the start of each abstract, provenance ``demo``) before anything is stored.
* **Loading twice changes nothing.** Each entry has a stable ``key``, stored as the item's
  ``source_record``; an entry whose key is already in the library is reported as unchanged.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import yaml
from django.db import transaction

from ssehub.library import storage
from ssehub.library.ingest.inputs import Input, from_path
from ssehub.library.ingest.pipeline import (
    CREATED,
    FAILED,
    UNCHANGED,
    UPDATED,
    Options,
    Result,
    ingest_one,
)
from ssehub.library.metadata import MetadataError
from ssehub.library.models import Item, ItemFile, Status
from ssehub.library.services import update_item

DEMO_DIR = Path(__file__).resolve().parent
ITEMS_FILE = DEMO_DIR / "items.yaml"
FILES_DIR = DEMO_DIR / "files"

PROVENANCE = "demo"
SOURCE_NAME = "SSE Hub demo"
RECORD_PREFIX = "ssehub-demo:"
DEMO_KEYWORD = "demo"

#: Put at the start of every abstract of an illustrative record, in the abstract's language, so
#: that whoever reads it (on the portal, in an export, through OAI-PMH) knows it is not real.
DISCLAIMER: dict[str, str] = {
    "en": "Illustrative demo record: not a real publication and not issued by any "
          "organisation; it shows how the SSE Hub presents this kind of item.",
    "fr": "Notice de démonstration illustrative : ce n'est pas une publication réelle et elle "
          "n'émane d'aucune organisation ; elle montre comment le SSE Hub présente ce type "
          "de contenu.",
    "es": "Registro de demostración ilustrativo: no es una publicación real ni procede de "
          "ninguna organización; muestra cómo el SSE Hub presenta este tipo de contenido.",
}
TITLE_PREFIXES = ("Demo", "Démo")
ENTRY_FIELDS = {"key", "metadata", "status", "file", "real"}
ALLOWED_STATUSES = (Status.PUBLISHED, Status.DRAFT, Status.IN_REVIEW)


class DemoDataError(ValueError):
    """The demo data file is malformed or an illustrative entry is not marked as demo."""


@dataclass(frozen=True)
class DemoEntry:
    """One entry of ``items.yaml``, checked and with its demo marking applied."""

    key: str
    metadata: dict[str, Any]
    status: str = Status.PUBLISHED
    file: Path | None = None
    real: bool = False

    @property
    def record(self) -> str:
        """The ``source_record`` that identifies this entry's item on later runs."""
        return f"{RECORD_PREFIX}{self.key}"


@dataclass
class DemoResult:
    """What happened to one entry; ``status`` is one of the pipeline's statuses."""

    key: str
    status: str
    item_id: int | None = None
    reason: str = ""
    notes: list[str] = field(default_factory=list)


def mark_illustrative(key: str, metadata: dict[str, Any]) -> dict[str, Any]:
    """Check that an illustrative entry looks like one, and add the keyword and disclaimers.

    Raises :class:`DemoDataError` rather than storing a record that could be mistaken for a
    real publication.
    """
    meta = copy.deepcopy(metadata)
    title = meta.get("title")
    if not isinstance(title, dict) or not title:
        raise DemoDataError(f"{key}: title must be given per language, e.g. {{en: 'Demo: ...'}}")
    for lang, text in title.items():
        if not str(text).startswith(TITLE_PREFIXES):
            raise DemoDataError(f"{key}: the {lang} title must start with 'Demo' or 'Démo'")
    for scheme in ("doi", "isbn", "issn", "handle", "url", "identifiers"):
        if meta.get(scheme):
            raise DemoDataError(f"{key}: illustrative records carry no identifiers ({scheme})")
    abstract = meta.get("abstract") or {}
    if not isinstance(abstract, dict):
        raise DemoDataError(f"{key}: abstract must be given per language")
    languages = set(abstract) | set(title)
    missing = sorted(languages - set(DISCLAIMER))
    if missing:
        raise DemoDataError(f"{key}: no demo disclaimer for language(s) {', '.join(missing)}")
    meta["abstract"] = {
        lang: f"{DISCLAIMER[lang]} {str(abstract.get(lang, '')).strip()}".strip()
        for lang in [*title, *(lang for lang in abstract if lang not in title)]
    }
    keywords = [str(k) for k in meta.get("keywords") or []]
    if DEMO_KEYWORD not in keywords:
        keywords.insert(0, DEMO_KEYWORD)
    meta["keywords"] = keywords
    return meta


def _entry(raw: Any, position: int, files_dir: Path) -> DemoEntry:
    if not isinstance(raw, dict):
        raise DemoDataError(f"entry {position} is not a mapping")
    key = str(raw.get("key") or "").strip()
    if not key:
        raise DemoDataError(f"entry {position} has no key")
    unknown = set(raw) - ENTRY_FIELDS
    if unknown:
        raise DemoDataError(f"{key}: unknown field(s) {', '.join(sorted(unknown))}")
    metadata = raw.get("metadata")
    if not isinstance(metadata, dict) or not metadata.get("title"):
        raise DemoDataError(f"{key}: metadata with at least a title is required")
    if "date" in metadata and metadata["date"] is not None:
        metadata = {**metadata, "date": str(metadata["date"])}
    status = str(raw.get("status") or Status.PUBLISHED)
    if status not in ALLOWED_STATUSES:
        raise DemoDataError(f"{key}: status must be one of {', '.join(ALLOWED_STATUSES)}")
    real = bool(raw.get("real", False))
    if not real:
        metadata = mark_illustrative(key, metadata)
    file = None
    if raw.get("file"):
        file = (files_dir / str(raw["file"])).resolve()
        if files_dir.resolve() not in file.parents:
            raise DemoDataError(f"{key}: file must be inside {files_dir}")
        if not file.is_file():
            raise DemoDataError(f"{key}: file not found: {raw['file']}")
    return DemoEntry(key=key, metadata=metadata, status=status, file=file, real=real)


def read_entries(path: Path = ITEMS_FILE, files_dir: Path = FILES_DIR) -> list[DemoEntry]:
    """Read and check the whole demo data file; fail before loading anything if it is wrong."""
    with path.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    raw_items = data.get("items") if isinstance(data, dict) else None
    if not isinstance(raw_items, list):
        raise DemoDataError(f"{path.name}: expected a top-level 'items' list")
    entries = [_entry(raw, i, files_dir) for i, raw in enumerate(raw_items, start=1)]
    keys = Counter(entry.key for entry in entries)
    repeated = sorted(key for key, n in keys.items() if n > 1)
    if repeated:
        raise DemoDataError(f"{path.name}: repeated key(s) {', '.join(repeated)}")
    return entries


def _input(entry: DemoEntry) -> Input:
    label = f"demo:{entry.key}"
    if entry.file is not None:
        return from_path(entry.file, label, dict(entry.metadata))
    return Input(label=label, metadata=dict(entry.metadata))


def _existing(entry: DemoEntry) -> Item | None:
    return Item.objects.filter(provenance=PROVENANCE, source_record=entry.record).first()


def _refresh(entry: DemoEntry, item: Item) -> DemoResult:
    """Re-apply the data file's metadata to an item the demo made earlier."""
    try:
        changed = update_item(item, dict(entry.metadata), comment="demo data refreshed")
    except MetadataError as exc:
        return DemoResult(entry.key, FAILED, item.pk, reason=f"invalid metadata: {exc}")
    return DemoResult(entry.key, UPDATED if changed else UNCHANGED, item.pk)


def load_entry(entry: DemoEntry, *, refresh: bool = False) -> DemoResult:
    """Load one entry unless it is already there; never raises for bad data."""
    existing = _existing(entry)
    if existing is not None:
        if refresh:
            return _refresh(entry, existing)
        return DemoResult(entry.key, UNCHANGED, existing.pk, notes=["already loaded"])
    if entry.file is not None:
        # The same file may already be in the library (someone ingested the brief report
        # themselves): leave their item alone rather than rewrite its metadata.
        digest = storage.sha256_bytes(entry.file.read_bytes())
        other = ItemFile.objects.filter(sha256=digest).values_list("item_id", flat=True).first()
        if other is not None:
            return DemoResult(entry.key, UNCHANGED, other,
                              notes=[f"this file is already in the library as item {other}"])
    options = Options(status=entry.status, provenance=PROVENANCE, source_name=SOURCE_NAME)
    with transaction.atomic():
        result: Result = ingest_one(_input(entry), options)
        if result.status == CREATED and result.id is not None:
            # Same transaction as the item: a crash cannot leave an item the next run would
            # not recognise (and so create twice).
            Item.objects.filter(pk=result.id).update(source_record=entry.record)
    return DemoResult(entry.key, result.status, result.id, reason=result.reason,
                      notes=list(result.notes))


def run_demo(
    entries: Iterable[DemoEntry] | None = None, *, refresh: bool = False
) -> list[DemoResult]:
    """Load every demo entry, one by one; a failure is reported and the others go on."""
    todo = read_entries() if entries is None else entries
    return [load_entry(entry, refresh=refresh) for entry in todo]


def summarise(results: list[DemoResult]) -> dict[str, int]:
    """Counts per status, always with created, unchanged and failed, and the total."""
    counts = Counter(result.status for result in results)
    out = {status: counts.get(status, 0) for status in (CREATED, UNCHANGED, FAILED)}
    out.update({status: n for status, n in counts.items() if status not in out})
    out["total"] = len(results)
    return out


def format_summary(counts: dict[str, int]) -> str:
    """One line for a person: what the run did."""
    parts = ", ".join(f"{n} {status}" for status, n in counts.items() if status != "total")
    line = f"Demo content: {counts['total']} items: {parts}."
    if counts.get(CREATED, 0) == 0 and counts.get(FAILED, 0) == 0:
        line += " Nothing new: the demo content was already loaded."
    return line


def load_demo(stdout: TextIO | Any | None = None, *, refresh: bool = False) -> dict[str, int]:
    """Load the demo content and return counts per status (``created``, ``unchanged``, ...).

    Called by ``ssehub demo`` and, the first time only, by ``ssehub run``. With ``stdout`` (a
    stream or a Django ``OutputWrapper``), failures and a one-line summary are written to it.
    """
    results = run_demo(refresh=refresh)
    counts = summarise(results)
    if stdout is not None:
        for result in results:
            if result.status == FAILED:
                stdout.write(f"failed: {result.key}: {result.reason}\n")
        stdout.write(format_summary(counts) + "\n")
    load_survey(stdout)
    return counts


def load_survey(stdout: TextIO | Any | None = None) -> None:
    """The Task Force's survey of its members and observers (surveys/demo/), with an
    invitation for each of them (no e-mail is sent): part of the demo wherever it is loaded."""
    from ssehub.surveys.demo.loader import load

    survey, invited = load()
    if stdout is not None:
        stdout.write(f"survey {survey.name}: {invited} new invitation(s) "
                     "(Task Force members and observers)\n")
