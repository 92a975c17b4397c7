"""Accepted papers become library Items of type "working paper", through the library's own
services and ingest hooks (so versions, search indexing, duplicate detection and SDG links work
as for any item), with the call as
provenance: ``provenance="call"``, ``source_name`` the call's series, ``source_record`` the
paper's number in it, ``source_url`` the call's page."""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from ssehub.calls import permissions
from ssehub.calls.models import Call, Submission
from ssehub.calls.services import WorkflowError
from ssehub.core.roles import require
from ssehub.library import storage
from ssehub.library.hooks import run_hooks
from ssehub.library.ingest import dedup
from ssehub.library.models import ItemFile, Status, TextBand
from ssehub.library.services import create_item


@transaction.atomic
def publish(submission: Submission, *, actor=None):
    """Publish one accepted paper with its camera-ready PDF; again: the same item."""
    call = submission.call
    if actor is not None:
        require(permissions.is_manager(actor, call), _("Only the call's chairs publish."))
    if submission.item_id:
        return submission.item
    if not submission.accepted:
        raise WorkflowError(_("Only accepted papers are published."))
    version = submission.camera_ready
    if version is None:
        raise WorkflowError(_("Paper #%(id)s has no camera-ready PDF yet.") % {
            "id": submission.pk})
    if submission.number is None:
        last = call.submissions.aggregate(n=Max("number"))["n"] or 0
        submission.number = last + 1
    year = call.conference_start.year
    item = create_item(
        {
            "title": {submission.language: submission.title},
            "abstract": {submission.language: submission.abstract},
            "type": "working-paper",
            "creators": [a.name for a in submission.authors.all()],
            "publisher": getattr(settings, "SSEHUB_CALLS_PUBLISHER",
                                 "UN Inter-Agency Task Force on Social and Solidarity Economy"),
            "date": str(year),
            "languages": [submission.language],
            "keywords": submission.keywords,
            "sdgs": submission.sdgs,
        },
        status=Status.PUBLISHED,
        provenance="call",
        source_name=f"{call.series}",
        source_record=f"{call.series} No. {submission.number}",
        source_url=f"{settings.SSEHUB_BASE_URL}{call.get_absolute_url()}",
        full_text=version.text,
    )
    # The file as the ingestion pipeline would store it (with its MinHash bands, so that the
    # same work ingested later is recognised as this item), then the ingest hooks: machine SDG
    # mapping next to the authors' SDGs, and the search index.
    sig = dedup.signature(version.text)
    try:
        with transaction.atomic():
            file = ItemFile.objects.create(
                item=item, sha256=version.sha256, size=version.size, mime_type="application/pdf",
                filename=f"{call.slug}-wp-{submission.number}.pdf", text=version.text,
                minhash=dedup.to_bytes(sig) if sig is not None else None)
    except IntegrityError as exc:  # the same bytes already belong to another item
        raise WorkflowError(_("This PDF is already in the library as another item.")) from exc
    if sig is not None:
        TextBand.objects.bulk_create(TextBand(file=file, band=band, hash=value)
                                     for band, value in dedup.bands(sig))
    if not storage.exists(version.sha256):
        raise WorkflowError(_("The camera-ready PDF is missing from the file store."))
    submission.item = item
    submission.save(update_fields=["item", "number", "updated_at"])
    run_hooks(item)
    return item


def publish_all(call: Call, *, actor=None) -> tuple[int, list[str]]:
    """Publish every accepted paper that has its camera-ready PDF; say which could not be."""
    done, problems = 0, []
    for sub in call.submissions.filter(decision__in=["accept", "revisions"], withdrawn=False):
        try:
            publish(sub, actor=actor)
            done += 1
        except WorkflowError as exc:
            problems.append(str(exc))
    return done, problems
