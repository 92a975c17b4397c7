"""Decisions in bulk, their notification e-mails, and camera-ready uploads."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ssehub.calls import blind, notifications, permissions
from ssehub.calls.models import Call, Submission, SubmissionVersion
from ssehub.calls.services import WorkflowError, store_pdf
from ssehub.core.roles import require


@transaction.atomic
def decide(call: Call, submission_ids: list[int], decision: str, *, actor=None) -> int:
    """Record one decision for many papers. A chair conflicted with a paper cannot decide it."""
    if decision not in Submission.Decision.values or not decision:
        raise WorkflowError(_("Choose accept, accept with revisions or reject."))
    subs = list(call.submissions.filter(pk__in=submission_ids, withdrawn=False))
    if actor is not None:
        require(permissions.is_manager(actor, call), _("Only the call's chairs decide."))
        for sub in subs:
            require(not permissions.is_conflicted(actor, sub),
                    _("You have a conflict of interest with paper #%(id)s.") % {"id": sub.pk})
    now = timezone.now()
    for sub in subs:
        sub.decision, sub.decided_at, sub.notified_at = decision, now, None
        sub.save(update_fields=["decision", "decided_at", "notified_at", "updated_at"])
    return len(subs)


def notify(call: Call, *, actor=None, submission_ids: list[int] | None = None) -> int:
    """E-mail every decided, not yet notified paper's authors (in their language)."""
    if actor is not None:
        require(permissions.is_manager(actor, call), _("Only the call's chairs decide."))
    subs = call.submissions.exclude(decision="").filter(notified_at__isnull=True)
    if submission_ids is not None:
        subs = subs.filter(pk__in=submission_ids)
    count = 0
    for sub in subs:
        notifications.decision(sub)
        sub.notified_at = timezone.now()
        sub.save(update_fields=["notified_at"])
        count += 1
    return count


@transaction.atomic
def upload_camera_ready(submission: Submission, actor, filename: str, data: bytes
                        ) -> SubmissionVersion:
    """The final PDF of an accepted paper: what the library will publish."""
    require(permissions.is_author(actor, submission), _("Only its authors upload the paper."))
    if not submission.accepted or not submission.notified_at:
        raise WorkflowError(_("Only accepted papers have a camera-ready version."))
    try:
        return store_pdf(submission, data, filename, kind=SubmissionVersion.Kind.CAMERA_READY)
    except blind.FileRejected as exc:
        raise WorkflowError(str(exc)) from exc
