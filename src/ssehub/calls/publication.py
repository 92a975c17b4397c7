"""Accepted papers become library Items of type "working paper", through the library's own
services (so versions, search indexing and SDG links work as for any item), with the call as
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
from ssehub.library.models import ItemFile, Status
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
    try:
        with transaction.atomic():
            ItemFile.objects.create(
                item=item, sha256=version.sha256, size=version.size, mime_type="application/pdf",
                filename=f"{call.slug}-wp-{submission.number}.pdf", text=version.text)
    except IntegrityError as exc:  # the same bytes already belong to another item
        raise WorkflowError(_("This PDF is already in the library as another item.")) from exc
    assert storage.exists(version.sha256)
    submission.item = item
    submission.save(update_fields=["item", "number", "updated_at"])
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
