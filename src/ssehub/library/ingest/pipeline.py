"""The ingestion service: one input in, one stored item (or a clear reason) out.

Order matters: everything that can fail (reading, detecting, extracting, validating metadata)
happens before the database is touched, and the item, its file, its fingerprint and the hooks
all commit in one transaction, so a failure or a ``kill -9`` never leaves half an item; a
re-run finds what was done by content hash and carries on.
"""

from __future__ import annotations

import itertools
import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.db.models import Q

from ssehub.library import language, storage
from ssehub.library.hooks import run_hooks, run_hooks_many
from ssehub.library.ingest import dedup
from ssehub.library.ingest.detect import detect
from ssehub.library.ingest.errors import IngestError
from ssehub.library.ingest.extract import Extracted, extract
from ssehub.library.ingest.inputs import Input
from ssehub.library.metadata import Metadata, MetadataError, from_dict
from ssehub.library.models import Item, ItemFile, Status, TextBand
from ssehub.library.services import (
    NewItem,
    create_item,
    create_items,
    update_item,
    update_items,
)

logger = logging.getLogger(__name__)

CREATED, UPDATED, UNCHANGED, DUPLICATE, FAILED = (
    "created", "updated", "unchanged", "duplicate", "failed",
)


@dataclass
class Result:
    input: str
    status: str
    id: int | None = None
    reason: str = ""
    notes: list[str] = field(default_factory=list)
    duplicate_of: int | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"input": self.input, "id": self.id, "status": self.status}
        if self.reason:
            out["reason"] = self.reason
        if self.notes:
            out["notes"] = self.notes
        if self.duplicate_of:
            out["duplicate_of"] = self.duplicate_of
        return out

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False)


@dataclass
class Options:
    actor: Any = None
    status: str = Status.PUBLISHED
    provenance: str = "cli"
    source_name: str = ""
    defaults: dict[str, Any] = field(default_factory=dict)


def _metadata_from(extracted: Extracted, given: dict[str, Any], filename: str) -> dict[str, Any]:
    """Merge extracted metadata under what the user gave (the user wins)."""
    title = given.get("title") or extracted.title or PurePath(filename).stem.replace("_", " ")
    text_language = extracted.language or language.detect(extracted.text)
    if isinstance(title, str):
        # A title found in the document is in the document's language (one detection per
        # document, not one per field); a title the user gave is checked on its own.
        from_document = not given.get("title") and text_language
        title = {text_language if from_document else _title_language(title, text_language): title}
    elif isinstance(title, dict):
        title = _resolve_undetermined(title, text_language)
    if given.get("title") and isinstance(title, dict) and extracted.title:
        # Translations given in a manifest add to the title found in the file.
        found = _title_language(extracted.title, text_language)
        if found not in title and "und" not in title:
            title = {found: extracted.title, **title}
    if isinstance(title, dict) and text_language in title:
        # The original language comes first (it becomes the item's original_language).
        title = {text_language: title[text_language], **title}
    abstract = given.get("abstract") or extracted.abstract
    if isinstance(abstract, str) and abstract:
        # A short abstract is too little for langdetect: it takes the text's language.
        abstract_language = (language.detect(abstract)
                             if given.get("abstract") and len(abstract.split()) >= 20 else "")
        abstract = {abstract_language or text_language or "und": abstract}
    meta = dict(given)
    meta["title"] = title
    if abstract:
        meta["abstract"] = abstract
    meta.setdefault("creators", extracted.creators)
    if extracted.date and not given.get("date"):
        meta["date"] = extracted.date
    if not given.get("keywords") and extracted.keywords:
        meta["keywords"] = extracted.keywords
    if not given.get("languages") and text_language:
        meta["languages"] = [text_language]
    return meta


def _title_language(title: str, text_language: str) -> str:
    """The language of a title: langdetect is unreliable on a few words, so a short title
    takes the language of the text unless it is clearly in another language."""
    if len(title.split()) < 6 and text_language:
        sure = language.detect(title, min_probability=0.99)
        return sure if sure not in ("", text_language) else text_language
    return language.detect(title) or text_language or "und"


def _resolve_undetermined(values: dict[str, str], text_language: str) -> dict[str, str]:
    """A value filed under "und" (a manifest's plain ``title`` next to ``title_fr``...) takes
    the language it is found to be in, or the document's, if that language is still free."""
    if "und" not in values:
        return values
    lang = _title_language(values["und"], text_language)
    if not lang or lang == "und" or lang in values:
        return values
    return {(lang if key == "und" else key): value for key, value in values.items()}


MAX_CANDIDATES = 20
# A long batch makes its items searchable every few seconds: each index flush is one tantivy
# commit (tens of milliseconds of segment writing and syncing), so flushing by time rather than
# every hundred inputs costs a fast ingest far less and keeps a slow one just as fresh.
INDEX_SECONDS = 5.0
# SQLite copies its write-ahead log into the database (and syncs it) every 1,000 pages by
# default: a batch storing full texts would do that every few dozen items. During a batch the
# log may grow to this many pages (80 MB) first; the setting is restored at the end.
BATCH_CHECKPOINT_PAGES = 20_000


def _near_duplicate(sig, bands: list[tuple[int, int]]) -> tuple[Item | None, float]:
    """The item whose file is most similar to ``sig``, if above the threshold.

    One indexed query finds the files sharing a band (by hash, then the band is checked here);
    only the candidates sharing the most bands are compared, reading just their signatures.
    """
    if sig is None:
        return None, 0.0
    wanted = set(bands)
    shared: dict[int, int] = {}
    # Plain SQL: this runs once per ingested file, and the ORM's query building cost more
    # than the indexed lookup itself.
    table = connection.ops.quote_name(TextBand._meta.db_table)
    marks = ", ".join(["%s"] * len(bands))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT file_id, band, hash FROM {table} WHERE hash IN ({marks})",  # noqa: S608
                       [value for _band, value in bands])
        rows = cursor.fetchall()
    for file_id, band, value in rows:
        if (band, value) in wanted:
            shared[file_id] = shared.get(file_id, 0) + 1
    if not shared:
        return None, 0.0
    best_ids = sorted(shared, key=lambda f: -shared[f])[:MAX_CANDIDATES]
    best_item, best_score = None, 0.0
    files = connection.ops.quote_name(ItemFile._meta.db_table)
    marks = ", ".join(["%s"] * len(best_ids))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT item_id, minhash FROM {files} "  # noqa: S608
                       f"WHERE id IN ({marks}) AND minhash IS NOT NULL", best_ids)
        candidates = cursor.fetchall()
    for item_id, minhash in candidates:
        score = dedup.similarity(sig, dedup.from_bytes(minhash))
        if score > best_score:
            best_item, best_score = item_id, score
    if best_score >= settings.SSEHUB_NEAR_DUPLICATE_THRESHOLD:
        return Item.objects.get(pk=best_item), best_score
    return None, best_score


def _add_file(item: Item, data: bytes, digest: str, mime: str, filename: str, text: str, sig,
              bands: list[tuple[int, int]]):
    file = ItemFile.objects.create(
        item=item, sha256=digest, size=len(data), mime_type=mime, filename=filename[:255],
        text=text, minhash=dedup.to_bytes(sig) if sig is not None else None,
    )
    if sig is not None:
        # 32 rows per file: one executemany, without building 32 model instances.
        table = connection.ops.quote_name(TextBand._meta.db_table)
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {table} (file_id, band, hash) VALUES (%s, %s, %s)",  # noqa: S608
                [(file.pk, band, value) for band, value in bands],
            )
    return file


def _existing_metadata_only(meta: Metadata) -> Item | None:
    """An item a metadata-only manifest row already made (found by DOI or URL)."""
    doi, url = _doi_key(meta), _url_key(meta)
    if doi:
        found = Item.objects.filter(doi=doi).first()
        if found:
            return found
    if url:
        return Item.objects.filter(url=url).first()
    return None


def _doi_key(meta: Metadata) -> str:
    """The DOI as stored in the indexed lookup column (DOIs are case-insensitive)."""
    return meta.identifiers.get("doi", "").lower()


def _url_key(meta: Metadata) -> str:
    return meta.identifiers.get("url", "")[:1000]


def _update_if_needed(item: Item, given: dict[str, Any], options: Options, label: str) -> Result:
    if not given:
        return Result(label, UNCHANGED, item.pk, notes=["already in the library"])
    changed = update_item(item, _merged(item, given), actor=options.actor,
                          comment=f"re-ingested from {label}")
    return Result(label, UPDATED if changed else UNCHANGED, item.pk)


def _merged(item: Item, given: dict[str, Any]) -> dict[str, Any]:
    """``given`` as an update of ``item``: per-language values (a manifest's, a harvested
    record's) add translations to the item's title and abstract; they do not erase the
    others."""
    given = dict(given)
    for name in ("title", "abstract"):
        if isinstance(given.get(name), dict):
            values = _resolve_undetermined(given[name], item.original_language)
            given[name] = {**getattr(item, name), **values}
    return given


def update_metadata_batch(changes: Sequence[tuple[Item, Input]], options: Options
                          ) -> list[Result]:
    """Metadata-only inputs that each update a known item (a page of records changed at
    their source), one Result per input, as :func:`ingest_one` ends each: validated first (a
    bad one fails alone, its item untouched), then the valid ones written together by
    :func:`services.update_items`.

    Runs in the caller's transaction and raises on a database error, as
    :func:`ingest_metadata_batch` does.
    """
    results: list[Result | None] = [None] * len(changes)
    valid: list[tuple[int, Item, Metadata]] = []
    for i, (item, source) in enumerate(changes):
        given = {**options.defaults, **source.metadata}
        if source.reader is not None:
            raise ValueError(f"{source.label}: update_metadata_batch takes metadata only")
        if not given:
            results[i] = Result(source.label, UNCHANGED, item.pk,
                                notes=["already in the library"])
            continue
        try:
            if source.error:
                raise IngestError(source.error)
            valid.append((i, item, from_dict(_merged(item, given))))
        except Exception as exc:
            results[i] = failure(source.label, exc)
    changed = update_items([(item, meta) for _i, item, meta in valid], actor=options.actor,
                           comment=[f"re-ingested from {changes[i][1].label}"
                                    for i, _item, _meta in valid])
    for (i, item, _meta), was_changed in zip(valid, changed, strict=True):
        results[i] = Result(changes[i][1].label, UPDATED if was_changed else UNCHANGED, item.pk)
    return [result for result in results if result is not None]


@dataclass
class Prepared:
    """What the database-free half of the pipeline found in one input's bytes.

    It is picklable, so that the extraction half can run in worker processes
    (:mod:`ssehub.library.ingest.parallel`) while this process writes to the database.
    """

    data: bytes
    digest: str
    mime_type: str
    text: str
    meta: dict[str, Any]
    notes: list[str]
    sig: Any
    bands: list[tuple[int, int]]


def read_checked(source: Input) -> bytes | None:
    """The input's bytes within the size limit, or None for a metadata-only row."""
    data = source.read()
    if data is not None and len(data) > settings.SSEHUB_MAX_FILE_BYTES:
        raise IngestError(f"file is {len(data):,} bytes, over the size limit of "
                          f"{settings.SSEHUB_MAX_FILE_BYTES:,}")
    return data


def analyse(source: Input, data: bytes, digest: str, given: dict[str, Any]) -> Prepared:
    """Detect, extract, merge metadata, detect languages, fingerprint: no database access."""
    detected = detect(data, source.filename)
    extracted = extract(detected.kind, data)
    notes = [n for n in (detected.note, *extracted.notes) if n]
    meta = _metadata_from(extracted, given, source.filename)
    sig = dedup.signature(extracted.text)
    bands = dedup.bands(sig) if sig is not None else []
    return Prepared(data, digest, detected.mime_type, extracted.text, meta, notes, sig, bands)


def failure(label: str, exc: BaseException, digest: str = "") -> Result:
    """The failed Result for an exception raised while ingesting ``label``."""
    if isinstance(exc, IngestError):
        return Result(label, FAILED, reason=str(exc))
    if isinstance(exc, MetadataError):
        return Result(label, FAILED, reason=f"invalid metadata: {exc}")
    if isinstance(exc, PermissionDenied):
        return Result(label, FAILED, reason=f"permission denied: {exc}")
    if isinstance(exc, MemoryError):
        return Result(label, FAILED, reason="the file needs more memory than is available")
    if isinstance(exc, IntegrityError):
        # Another process stored the same file between our check and our commit.
        twin = ItemFile.objects.filter(sha256=digest).first() if digest else None
        if twin is None:
            raise exc
        return Result(label, UNCHANGED, twin.item_id, notes=["ingested concurrently"])
    # A library choking on a hostile file, a failing hook, a database error: the
    # transaction has rolled back, so report this input and let the batch go on.
    logger.error("unexpected error ingesting %s", label, exc_info=exc)
    return Result(label, FAILED, reason=f"unexpected error ({type(exc).__name__}): {exc}")


def existing_file(digest: str) -> ItemFile | None:
    """The stored file with these bytes, if any. Most inputs are new: a cheap EXISTS first
    (0.1 ms against 0.5 ms for fetching the row with its item)."""
    if not ItemFile.objects.filter(sha256=digest).exists():
        return None
    return ItemFile.objects.filter(sha256=digest).select_related("item").first()


def ingest_one(source: Input, options: Options) -> Result:
    """Ingest one input; never raises for bad input, returns a failed Result instead."""
    label = source.label
    given = {**options.defaults, **source.metadata}
    digest = ""
    try:
        data = read_checked(source)
        if data is None:
            return _ingest_metadata_only(label, given, options, source.record)
        digest = storage.sha256_bytes(data)
        existing = existing_file(digest)
        if existing is not None:
            return _update_if_needed(existing.item, source.metadata, options, label)
        return store_prepared(source, analyse(source, data, digest, given), options,
                              checked=True)
    except Exception as exc:
        return failure(label, exc, digest)


def store_prepared(source: Input, prepared: Prepared, options: Options,
                   checked: bool = False) -> Result:
    """The database half: validate the metadata, then item, file, fingerprint and hooks in one
    transaction (or another file of a near-duplicate twin). Raises on bad input.

    ``checked``: the caller has just looked the digest up (the one-process path)."""
    label = source.label
    existing = None if checked else existing_file(prepared.digest)
    if existing is not None:
        # The same bytes came earlier in this batch (analysed in parallel with this one).
        return _update_if_needed(existing.item, source.metadata, options, label)
    meta = from_dict(prepared.meta)
    notes = list(prepared.notes)
    data, digest, sig, bands = prepared.data, prepared.digest, prepared.sig, prepared.bands
    with transaction.atomic():
        twin, score = _near_duplicate(sig, bands)
        if twin is not None:
            _add_file(twin, data, digest, prepared.mime_type, source.filename,
                      prepared.text, sig, bands)
            run_hooks(twin)
            # The blob is written last: a failure above leaves no file behind, and a
            # crash between this and the commit leaves only an unreferenced blob that
            # the re-run reuses.
            storage.store(data, digest)
            notes.append(f"same work as item {twin.pk} (similarity {score:.2f}): "
                         "added as another file of it")
            return Result(label, DUPLICATE, twin.pk, notes=notes, duplicate_of=twin.pk)
        item = create_item(
            meta, actor=options.actor, status=options.status,
            provenance=options.provenance, source_name=options.source_name,
            source_url=source.source_url, source_record=source.record,
            full_text=prepared.text,
        )
        _add_file(item, data, digest, prepared.mime_type, source.filename,
                  prepared.text, sig, bands)
        run_hooks(item)
        storage.store(data, digest)
    return Result(label, CREATED, item.pk, notes=notes)


def _ingest_metadata_only(
    label: str, given: dict[str, Any], options: Options, record: str = ""
) -> Result:
    if not given.get("title"):
        raise IngestError(NO_TITLE)
    meta = from_dict(given)
    existing = None
    if record:
        existing = Item.objects.filter(
            source_name=options.source_name, source_record=record
        ).first()
    existing = existing or _existing_metadata_only(meta)
    if existing is not None:
        return _update_if_needed(existing, given, options, label)
    with transaction.atomic():
        item = create_item(meta, actor=options.actor, status=options.status,
                           provenance=options.provenance, source_name=options.source_name,
                           source_record=record)
        run_hooks(item)
    return Result(label, CREATED, item.pk)


NO_TITLE = "a manifest row needs a file, a URL or at least a title"


def ingest_metadata_batch(sources: Sequence[Input], options: Options) -> list[Result]:
    """Metadata-only inputs (a page of harvested records) in one go, one Result per input.

    Each input ends as :func:`ingest_one` would end it: validated first (a bad one fails
    alone), matched against the library by its source record, DOI or URL (a match updates
    that item), created otherwise. The inputs that match nothing, which is nearly all of a
    first harvest, are created together by :func:`services.create_items` (a few INSERTs for
    the lot instead of some sixteen statements each); those that match an item, or an
    earlier input of the batch, then take the one-by-one path, in order, so they find what
    the batch created.

    Runs in the caller's transaction and raises on a database error: the caller rolls the
    batch back and takes its inputs one by one, so that a bad one fails alone.
    """
    results: list[Result | None] = [None] * len(sources)
    valid: list[tuple[int, Input, Metadata]] = []
    for i, source in enumerate(sources):
        given = {**options.defaults, **source.metadata}
        if source.reader is not None:
            raise ValueError(f"{source.label}: ingest_metadata_batch takes metadata only")
        try:
            if source.error:
                raise IngestError(source.error)
            if not given.get("title"):
                raise IngestError(NO_TITLE)
            valid.append((i, source, from_dict(given)))
        except Exception as exc:
            results[i] = failure(source.label, exc)
    records = {s.record for _i, s, _m in valid if s.record}
    dois = {_doi_key(m) for _i, _s, m in valid} - {""}
    urls = {_url_key(m) for _i, _s, m in valid} - {""}
    taken = Item.objects.filter(
        Q(source_name=options.source_name, source_record__in=records)
        | Q(doi__in=dois) | Q(url__in=urls)
    ).values_list("source_name", "source_record", "doi", "url")
    seen_records = {record for name, record, _d, _u in taken if name == options.source_name}
    seen_dois = {doi for _n, _r, doi, _u in taken} - {""}
    seen_urls = {url for _n, _r, _d, url in taken} - {""}
    new, later = [], []
    for i, source, meta in valid:
        keys = (source.record, _doi_key(meta), _url_key(meta))
        if (keys[0] and keys[0] in seen_records) or (keys[1] and keys[1] in seen_dois) or (
                keys[2] and keys[2] in seen_urls):
            later.append(i)
            continue
        new.append((i, source, meta))
        seen_records.add(keys[0])
        seen_dois.add(keys[1])
        seen_urls.add(keys[2])
    items = create_items(
        [NewItem(meta, source_record=source.record, source_url=source.source_url)
         for _i, source, meta in new],
        actor=options.actor, status=options.status, provenance=options.provenance,
        source_name=options.source_name,
    )
    run_hooks_many(items)
    for (i, source, _meta), item in zip(new, items, strict=True):
        results[i] = Result(source.label, CREATED, item.pk)
    for i in later:
        results[i] = ingest_one(sources[i], options)
    return [result for result in results if result is not None]


@contextmanager
def _fewer_checkpoints() -> Iterator[None]:
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        previous = int(cursor.fetchone()[0])
        cursor.execute(f"PRAGMA wal_autocheckpoint={BATCH_CHECKPOINT_PAGES}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA wal_autocheckpoint={previous}")


def ingest(
    sources: Iterable[Input],
    options: Options | None = None,
    on_result: Callable[[Result], None] | None = None,
    jobs: int = 1,
) -> Iterator[Result]:
    """Ingest inputs in order; a failure is reported and the batch goes on.

    With ``jobs`` > 1 and a batch of at least ``parallel.MIN_BATCH`` inputs, extraction runs
    in that many worker processes while this one writes to the database (same results, same
    one transaction per item). Search index updates are applied every ``INDEX_SECONDS`` and
    at the end rather than after each input.
    """
    from ssehub.library.hooks import batch
    from ssehub.library.ingest import parallel

    options = options or Options()
    sources = iter(sources)
    if jobs > 1:
        head = list(itertools.islice(sources, parallel.MIN_BATCH))
        stream = itertools.chain(head, sources)
        if len(head) >= parallel.MIN_BATCH:
            results = parallel.ingest_parallel(stream, options, jobs)
        else:
            results = (ingest_one(source, options) for source in stream)
    else:
        results = (ingest_one(source, options) for source in sources)
    with _fewer_checkpoints(), batch() as flush:
        flushed = time.monotonic()
        for result in results:
            if on_result:
                on_result(result)
            yield result
            if time.monotonic() - flushed >= INDEX_SECONDS:
                flush()
                flushed = time.monotonic()
