"""Running a harvest: pages in, items out, one transaction per page with its checkpoint.

Why one transaction per page: the records of a page, their provenance rows, the run's counts
and the checkpoint (the cursor *after* that page) commit together. A ``kill -9`` at any moment
either loses the whole page in progress (its records, and the checkpoint still pointing before
it, so the next run fetches it again) or keeps all of it: never half a page, never a record
twice. Network I/O happens while a page is being built, outside the transaction, so a slow
server never holds the database.

Every record goes through the one ingestion service (``library.ingest.pipeline.ingest_one``):
the same validation, deduplication, SDG mapping and indexing as an upload. The record's
identifier at the source is the pipeline's ``record``, so a changed record updates its item.
"""

from __future__ import annotations

import copy
import logging
import os
import socket
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from ssehub.core import bulk
from ssehub.harvest import notify, readahead
from ssehub.harvest.models import (
    Checkpoint,
    RecordState,
    Run,
    RunError,
    Source,
    clearing_note,
    removal_note,
)
from ssehub.harvest.sources import HarvestError, Record, harvester_class
from ssehub.library import services
from ssehub.library.ingest import pipeline
from ssehub.library.ingest.inputs import Input
from ssehub.library.models import Item, Status, StatusChange
from ssehub.search import follower

logger = logging.getLogger(__name__)

MAX_ERRORS_STORED = 1000  # per run: a source broken everywhere must not fill the database
PROVENANCE = "harvest"  # Item.provenance of the items a harvest makes


class HarvestBusy(Exception):
    """Another live process is running this source."""


@dataclass
class Progress:
    """Hooks for a progress bar: called after each committed page."""

    on_page: Callable[[int, int | None], None] = field(default=lambda done, total: None)


def _index_batches():
    """The library's batch context for index updates when it has one (one index commit per
    page instead of one per item), else a no-op."""
    from ssehub.library import hooks

    batch = getattr(hooks, "batch", None)
    return batch() if batch is not None else nullcontext(lambda: None)


def _no_flush() -> None:
    """The follower applies the index updates."""


def _alive(run: Run) -> bool:
    if run.host != socket.gethostname() or not run.pid or run.pid == os.getpid():
        return False
    try:
        os.kill(run.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def interrupted(run: Run) -> bool:
    """A run still marked running whose process is gone (killed, the machine restarted): it
    resumes at its checkpoint at the source's next run. Only a process of this machine can be
    looked at; a run elsewhere is taken as running."""
    if (run.outcome != Run.Outcome.RUNNING or run.host != socket.gethostname()
            or not run.pid or run.pid == os.getpid()):
        return False
    try:
        os.kill(run.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def _checkpoint(source: Source) -> Checkpoint | None:
    return Checkpoint.objects.filter(source=source).select_related("run").first()


def _live(checkpoint: Checkpoint | None) -> Run | None:
    """The checkpoint's run if a live process is carrying it out now."""
    if checkpoint is not None and checkpoint.run.outcome == Run.Outcome.RUNNING and _alive(
            checkpoint.run):
        return checkpoint.run
    return None


def running(source: Source) -> Run | None:
    """The run of ``source`` that a live process is carrying out now, if any."""
    return _live(_checkpoint(source))


def forget_progress(source: Source, why: str) -> None:
    """Drop what the source's runs knew (its incremental state, an interrupted run's
    checkpoint), so that its next run starts from the start: the caller changed what the
    source is (cleared it, or pointed it elsewhere). An interrupted run ends here, ``why``
    its message, instead of showing as running for ever. The caller checks that no live
    process is running the source (:func:`running`)."""
    Checkpoint.objects.filter(source=source).delete()
    Run.objects.filter(source=source, outcome=Run.Outcome.RUNNING).update(
        outcome=Run.Outcome.PARTIAL, finished_at=timezone.now(), message=why)
    source.state = {}
    Source.objects.filter(pk=source.pk).update(state={})


def _begin(source: Source, full: bool) -> tuple[Run, dict[str, Any] | None]:
    """The run to work on: the interrupted one (resumed at its checkpoint) or a new one."""
    checkpoint = _checkpoint(source)
    if (live := _live(checkpoint)) is not None:
        raise HarvestBusy(f"{source.name} is being harvested by process {live.pid}")
    if checkpoint is not None and checkpoint.run.outcome in (Run.Outcome.RUNNING,
                                                             Run.Outcome.PARTIAL):
        run = checkpoint.run
        run.resumes += 1
        run.outcome = Run.Outcome.RUNNING
        run.finished_at = None
        run.message = ""
        run.host, run.pid = socket.gethostname(), os.getpid()
        run.save(update_fields=["resumes", "outcome", "finished_at", "message", "host", "pid"])
        return run, checkpoint.cursor
    return Run(source=source, full=full, host=socket.gethostname(), pid=os.getpid()), None


class Harvest:
    """One run of one source (a new one, or the resumption of an interrupted one)."""

    def __init__(self, source: Source, *, full: bool = False, progress: Progress | None = None):
        self.source = source
        self.progress = progress or Progress()
        self.run, cursor = _begin(source, full)
        self.full = self.run.full if cursor is not None else full
        self.harvester = harvester_class(source.kind)(source, full=self.full, lookup=self._lookup)
        if cursor is None:
            cursor = self.harvester.start()
            with transaction.atomic():
                self.run.save()
                Checkpoint.objects.update_or_create(
                    source=source, defaults={"run": self.run, "cursor": cursor, "pages": 0})
        self.cursor = cursor
        self.options = pipeline.Options(
            status=source.item_status, provenance=PROVENANCE, source_name=source.name,
            defaults={},
        )
        self.errors_stored = self.run.errors.count()

    def _lookup(self, identifiers: list[str]) -> dict[str, RecordState]:
        return {
            rs.identifier: rs for rs in RecordState.objects.filter(
                source=self.source, identifier__in=identifiers)
        }

    # -- the run ---------------------------------------------------------------------

    def execute(self) -> Run:
        """Harvest page by page. Index updates are applied by a forked follower while the
        run stores pages, where ``ssehub.search.follower`` allows one, else here every few
        seconds (after the page that crosses ``pipeline.INDEX_SECONDS``); at the end either
        way. Each flush is an index commit, which cost a fast harvest more than a page of
        records did."""
        with _index_batches() as flush, follower.following() as follows:
            return self._execute(flush if follows is None else _no_flush)

    def _execute(self, flush: Callable[[], None]) -> Run:
        run = self.run
        pages = Checkpoint.objects.filter(source=self.source).values_list(
            "pages", flat=True).first() or 0
        flushed = time.monotonic()
        stream = self.harvester.pages(self.cursor)
        if self.harvester.read_ahead:
            stream = readahead.pages_ahead(stream)
        try:
            for page in stream:
                with transaction.atomic():
                    known = self._lookup([r.identifier for r in page.records if r.identifier])
                    new, rest = _new_records(page.records, known)
                    self._many(new)
                    changed, rest = self._changed_records(rest, known)
                    self._update_many(changed, known)
                    for record in rest:
                        self._one(record, known)
                    for note in page.notes:
                        self._error("", f"warning: {note}")
                    run.save(update_fields=Run.COUNTS)
                    pages += 1
                    Checkpoint.objects.filter(source=self.source).update(
                        cursor=page.cursor, pages=pages, updated_at=timezone.now())
                self.cursor = page.cursor
                if time.monotonic() - flushed >= pipeline.INDEX_SECONDS:
                    flush()
                    flushed = time.monotonic()
                self.progress.on_page(run.seen, page.total)
        except HarvestError as exc:
            return self._stop(str(exc), exc.reset)
        except Exception as exc:
            logger.exception("harvest of %s stopped", self.source.name)
            return self._stop(f"unexpected error ({type(exc).__name__}): {exc}", None)
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
        with transaction.atomic():
            self.source.state = self.harvester.finish(self.cursor)
            self.source.save(update_fields=["state"])
            Checkpoint.objects.filter(source=self.source).delete()
            run.outcome = Run.Outcome.COMPLETE
            run.finished_at = timezone.now()
            run.save(update_fields=["outcome", "finished_at"])
        return run

    def _stop(self, message: str, reset: dict[str, Any] | None) -> Run:
        """End the run early: the checkpoint stays, so the next run resumes here."""
        run = self.run
        with transaction.atomic():
            if reset is not None:
                Checkpoint.objects.filter(source=self.source).update(cursor=reset)
            run.refresh_from_db(fields=Run.COUNTS)
            run.message = message[:5000]
            run.outcome = Run.Outcome.PARTIAL if run.seen else Run.Outcome.FAILED
            run.finished_at = timezone.now()
            run.save(update_fields=["message", "outcome", "finished_at"])
            self._error("", message)
        return run

    def _error(self, record: str, error: str) -> None:
        if self.errors_stored < MAX_ERRORS_STORED:
            RunError.objects.create(run=self.run, record=record[:500], error=error)
        self.errors_stored += 1

    # -- records never seen before, together ---------------------------------------------

    def _many(self, records: list[Record]) -> None:
        """Ingest a page's new metadata-only records in one batch (the common case of a
        first harvest): the same outcomes as one by one, a few statements for the lot."""

        def store() -> None:
            results = pipeline.ingest_metadata_batch(
                [Input(label=r.identifier, metadata=dict(r.metadata),
                       source_url=r.source_url, record=r.identifier) for r in records],
                self.options)
            bulk.insert(RecordState, [{
                "source_id": self.source.pk, "identifier": record.identifier[:500],
                "item_id": result.id, "datestamp": record.datestamp[:40],
                "content_hash": record.digest(), "raw": record.raw,
                "validators": record.validators,
            } for record, result in zip(records, results, strict=True)
                if self._tally(record, result)])
            matched = {result.id: result.status for result in results
                       if result.id and result.status not in (pipeline.CREATED, pipeline.FAILED)}
            for item_id in self._restore_removed(list(matched)):
                if matched[item_id] == pipeline.UNCHANGED:  # its status changed
                    self.run.unchanged -= 1
                    self.run.updated += 1

        self._batch("a batch", records, {}, store)

    # -- records changed at the source, together ------------------------------------------

    def _changed_records(self, records: list[Record], known: dict[str, RecordState]
                         ) -> tuple[list[tuple[Record, Item]], list[Record]]:
        """(records for the update batch with their items, the others, in order): the batch
        takes changed metadata-only records of items this source made, each once in the
        page; deletions, restorations, documents, 304s, records of another source's items,
        repeats and the unchanged keep the one-by-one path."""
        counts = _identifier_counts(records)
        candidates = [record for record in records if (
            (state := known.get(record.identifier)) is not None and state.item_id
            and not state.deleted and counts[record.identifier] == 1 and not record.error
            and not record.deleted and record.data is None and not record.not_modified
            and record.metadata.get("title") and not self._unchanged(record, state))]
        if not candidates:
            return [], records
        # Locked now, in the page's transaction: the update merges the record's translations
        # into what it reads here, which no one may change before the update is written.
        items = Item.objects.select_for_update().in_bulk(
            [known[r.identifier].item_id for r in candidates])
        batch = {}
        for record in candidates:
            item = items.get(known[record.identifier].item_id)
            if (item is not None and item.source_name == self.source.name
                    and item.source_record == record.identifier):
                batch[id(record)] = (record, item)
        return list(batch.values()), [r for r in records if id(r) not in batch]

    def _update_many(self, changes: list[tuple[Record, Item]],
                     known: dict[str, RecordState]) -> None:
        """Update the items of a page's changed records in one batch (a source that revised
        many records, or a full re-harvest after a change of mapping): the same outcomes as
        one by one, a few statements for the lot."""

        def store() -> None:
            results = pipeline.update_metadata_batch(
                [(item, Input(label=r.identifier, metadata=dict(r.metadata),
                              source_url=r.source_url, record=r.identifier))
                 for r, item in changes],
                self.options)
            states = []
            for (record, item), result in zip(changes, results, strict=True):
                if self._tally(record, result):
                    # A copy: ``known`` keeps what is stored, for a one-by-one retry.
                    state = copy.copy(known[record.identifier])
                    self._set_state(state, record, item, deleted=False)
                    states.append(state)
            bulk.update_objects(states, [*_STATE_VALUES, "last_seen"])

        self._batch("an update", [record for record, _item in changes], known, store)

    # -- both batches ---------------------------------------------------------------------

    def _batch(self, what: str, records: list[Record], known: dict[str, RecordState],
               store: Callable[[], None]) -> None:
        """Run ``store`` (a page's batch) in a savepoint. A database error anywhere in it
        rolls the batch back, counts included, and its records go one by one, so that the
        bad record fails alone with the database's reason and the rest are stored."""
        if not records:
            return
        run = self.run
        before = ({name: getattr(run, name) for name in Run.COUNTS}, self.errors_stored)
        try:
            with transaction.atomic():
                store()
        except Exception:
            logger.warning("harvest of %s: %s of %d records failed; retrying them one by one",
                           self.source.name, what, len(records), exc_info=True)
            counts, self.errors_stored = before
            for name, value in counts.items():
                setattr(run, name, value)
            for record in records:
                self._one(record, known)

    def _tally(self, record: Record, result: pipeline.Result) -> bool:
        """Count a batch's result for ``record`` in the run; whether it was stored."""
        run = self.run
        run.seen += 1
        if result.status == pipeline.FAILED:
            run.failed += 1
            self._error(record.identifier, result.reason)
            return False
        outcome = OUTCOMES.get(result.status, "unchanged")
        setattr(run, outcome, getattr(run, outcome) + 1)
        return True

    # -- one record ------------------------------------------------------------------

    def _one(self, record: Record, known: dict[str, RecordState]) -> None:
        run = self.run
        run.seen += 1
        if record.error:
            run.failed += 1
            self._error(record.identifier, record.error)
            return
        state = known.get(record.identifier)
        if self._unchanged(record, state) and record.datestamp == state.datestamp:
            # Nothing to write: no savepoint, no item read (most records of an incremental
            # run over a source that re-sends what it has).
            run.unchanged += 1
            return
        try:
            with transaction.atomic():
                outcome = self._store(record, state)
        except Exception as exc:  # a database error on one record: that record fails
            logger.exception("harvest record %s", record.identifier)
            outcome, reason = pipeline.FAILED, f"{type(exc).__name__}: {exc}"
        else:
            outcome, reason = outcome
        if outcome == pipeline.FAILED:
            run.failed += 1
            self._error(record.identifier, reason)
        else:
            setattr(run, outcome, getattr(run, outcome) + 1)

    def _unchanged(self, record: Record, state: RecordState | None) -> bool:
        """The record is the one already stored (same metadata and document, or a 304)."""
        return (state is not None and bool(state.item_id) and not self.full
                and not state.deleted and not record.deleted
                and (record.not_modified or state.content_hash == record.digest()))

    def _store(self, record: Record, state: RecordState | None) -> tuple[str, str]:
        """Ingest or withdraw one record and keep its provenance; (count name, reason)."""
        if self._unchanged(record, state):
            state.datestamp = record.datestamp
            state.save(update_fields=["datestamp", "last_seen"])
            return "unchanged", ""
        item = state.item if state is not None and state.item_id else None
        if record.deleted:
            outcome = "unchanged"
            if item is not None and item.status != Status.WITHDRAWN:
                services.change_status(item, Status.WITHDRAWN,
                                       note=f"deleted at source {self.source.name}")
                outcome = "deleted"
            self._keep(state, record, item, deleted=True)
            return outcome, ""
        if record.not_modified and item is not None:
            return "unchanged", ""
        if untitled(record):
            return pipeline.FAILED, UNTITLED
        result = self._ingest(record, item)
        if result.status == pipeline.FAILED:
            return pipeline.FAILED, result.reason
        item = Item.objects.get(pk=result.id)
        outcome = OUTCOMES.get(result.status, "unchanged")
        if state is not None and state.deleted and item.status == Status.WITHDRAWN:
            # Back at the source after a deletion: the item comes back too.
            services.change_status(item, self.source.item_status,
                                   note=f"restored at source {self.source.name}")
            outcome = "updated"
        elif (state is None and result.status != pipeline.CREATED
              and self._restore_removed([item.pk])):
            outcome = "updated"
        self._keep(state, record, item, deleted=False)
        return outcome, ""

    def _ingest(self, record: Record, item: Item | None) -> pipeline.Result:
        metadata = dict(record.metadata)
        if item is not None:
            # A known record updates its item. A document input would be looked up by its
            # content hash, and changed content would make a second item: send metadata only.
            if record.data is not None:
                metadata = {**_document_metadata(record), **metadata}
            if item.source_name != self.source.name or item.source_record != record.identifier:
                changed = services.update_item(
                    item, metadata, comment=f"harvested from {self.source.name}")
                return pipeline.Result(record.identifier,
                                       pipeline.UPDATED if changed else pipeline.UNCHANGED,
                                       item.pk)
            source = Input(label=record.identifier, metadata=metadata,
                           source_url=record.source_url, record=record.identifier)
        elif record.data is not None:
            data = record.data
            source = Input(label=record.identifier, filename=record.filename or "page.html",
                           reader=lambda: data, metadata=metadata,
                           source_url=record.source_url, record=record.identifier)
        else:
            source = Input(label=record.identifier, metadata=metadata,
                           source_url=record.source_url, record=record.identifier)
        return pipeline.ingest_one(source, self.options)

    def _restore_removed(self, item_ids: list[int]) -> list[int]:
        """Items that clearing or removing a source of this name withdrew (the last entry of
        their status trail says so), met again as new records: the source was removed and
        added again, and they come back with it. Items an editor withdrew stay withdrawn.
        Those that came back."""
        if not item_ids:
            return []
        last_note = Subquery(StatusChange.objects.filter(item=OuterRef("pk"))
                             .order_by("-changed_at", "-id").values("note")[:1])
        back = list(Item.objects.filter(pk__in=item_ids, status=Status.WITHDRAWN)
                    .annotate(last_note=last_note)
                    .filter(last_note__in=[clearing_note(self.source.name),
                                           removal_note(self.source.name)])
                    .values_list("pk", flat=True))
        services.change_status_many(back, self.source.item_status,
                                    note=f"restored at source {self.source.name}")
        return back

    def _keep(self, state: RecordState | None, record: Record, item: Item | None, *,
              deleted: bool) -> None:
        if state is None:
            state = RecordState(source=self.source, identifier=record.identifier[:500])
        self._set_state(state, record, item, deleted=deleted)
        state.save()

    @staticmethod
    def _set_state(state: RecordState, record: Record, item: Item | None, *,
                   deleted: bool) -> None:
        """What the provenance row keeps of the record as last received."""
        state.item = item
        state.datestamp = record.datestamp[:40]
        state.deleted = deleted
        state.content_hash = "" if deleted else record.digest()
        state.raw = record.raw
        state.validators = record.validators


# The provenance columns :meth:`Harvest._set_state` sets.
_STATE_VALUES = ("item", "datestamp", "deleted", "content_hash", "raw", "validators")

# The pipeline's result → the run's count (a duplicate updated an item another input made).
OUTCOMES = {pipeline.CREATED: "created", pipeline.UPDATED: "updated",
            pipeline.DUPLICATE: "updated"}


def _new_records(records: list[Record], known: dict[str, RecordState]
                 ) -> tuple[list[Record], list[Record]]:
    """(records for the batch path, the others): the batch takes new, titled metadata-only
    records whose identifier comes once in the page; deletions, documents, known records,
    broken ones and repeats keep the one-by-one path and its finer outcomes."""
    counts = _identifier_counts(records)
    new, rest = [], []
    for record in records:
        batchable = (record.identifier and counts[record.identifier] == 1
                     and record.identifier not in known and not record.error
                     and not record.deleted and record.data is None
                     and not record.not_modified and record.metadata.get("title"))
        (new if batchable else rest).append(record)
    return new, rest


def _identifier_counts(records: list[Record]) -> dict[str, int]:
    """How many times each identifier comes in a page (a repeat keeps the one-by-one path)."""
    counts: dict[str, int] = {}
    for record in records:
        counts[record.identifier] = counts.get(record.identifier, 0) + 1
    return counts


def _document_metadata(record: Record) -> dict[str, Any]:
    """Title, abstract and date read from a changed document (for an update by metadata)."""
    from ssehub.library.ingest.detect import detect
    from ssehub.library.ingest.extract import extract

    try:
        detected = detect(record.data or b"", record.filename or "page.html")
        extracted = extract(detected.kind, record.data or b"")
    except Exception:  # the update then carries the record's own metadata only
        return {}
    out: dict[str, Any] = {}
    if extracted.title:
        out["title"] = extracted.title
    if extracted.abstract:
        out["abstract"] = extracted.abstract
    return out


UNTITLED = "record without a title"


def untitled(record: Record) -> bool:
    """A metadata-only record with no title: the run skips it with :data:`UNTITLED` (a
    document's title comes from its text when it is extracted)."""
    return record.data is None and not record.metadata.get("title")


def run_source(source: Source, *, full: bool = False, progress: Progress | None = None) -> Run:
    """Harvest one source now (resuming its interrupted run if there is one).

    A run requested from the back office (``services.request_runs``) is this one: the
    request is cleared once the run has begun (a source busy in another process keeps it).
    A requested full re-harvest stays requested when this run is the resumption of an
    interrupted incremental one, so the next pass does it rather than it being lost."""
    requested = source.requested_at
    harvest = Harvest(source, full=full or (requested is not None and source.requested_full),
                      progress=progress)
    if requested is not None and (harvest.full or not source.requested_full):
        # Only the request read above: one made since is for a later run.
        Source.objects.filter(pk=source.pk, requested_at=requested).update(
            requested_at=None, requested_full=False)
        source.requested_at, source.requested_full = None, False
    run = harvest.execute()
    notify.run_finished(run)
    return run


def summary(run: Run) -> dict[str, Any]:
    """The run as ``ssehub harvest run --json`` prints it."""
    return {
        "source": run.source.name,
        "outcome": "failed" if run.outcome == Run.Outcome.RUNNING else run.outcome,
        **{name: getattr(run, name) for name in Run.COUNTS},
        "errors": [{"record": e.record, "error": e.error} for e in run.errors.all()],
    }
