"""Bids, reviews, committee comments, meta-reviews, reminders and the chairs' progress view."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ssehub.calls import notifications, permissions
from ssehub.calls.models import Bid, Call, CallRole, Comment, MetaReview, Review, Submission
from ssehub.calls.services import WorkflowError, show_date, user_timezone
from ssehub.core.roles import require


@transaction.atomic
def bid(submission: Submission, reviewer, level: str) -> Bid | None:
    """A reviewer's bid on a paper ("" removes it). Conflicted papers cannot be bid on."""
    require(permissions.is_reviewer(reviewer, submission.call)
            and permissions.can_view_paper(reviewer, submission),
            _("You may not bid on this paper."))
    if not level:
        Bid.objects.filter(submission=submission, reviewer=reviewer).delete()
        return None
    if level not in Bid.Level.values:
        raise WorkflowError(_("Unknown bid."))
    out, _created = Bid.objects.update_or_create(submission=submission, reviewer=reviewer,
                                                 defaults={"level": level})
    return out


def weighted_score(call: Call, scores: dict[str, Any]) -> float | None:
    """The weighted mean of a review's criteria, each brought to [0, 1] by its scale."""
    total = weight = 0.0
    for c in call.criteria:
        value = scores.get(c["key"])
        if value is None:
            continue
        span = (c["max"] - c["min"]) or 1
        total += float(c.get("weight", 1)) * (float(value) - c["min"]) / span
        weight += float(c.get("weight", 1))
    return round(total / weight, 3) if weight else None


def _clean_scores(call: Call, scores: dict[str, Any], complete: bool) -> dict[str, int]:
    out = {}
    for c in call.criteria:
        raw = scores.get(c["key"])
        if raw in (None, ""):
            if complete:
                raise WorkflowError(_("Score every criterion before submitting: %(label)s.")
                                    % {"label": c["label"]})
            continue
        try:
            value = int(raw)
        except (TypeError, ValueError) as exc:
            raise WorkflowError(_("%(label)s: a whole number is expected.")
                                % {"label": c["label"]}) from exc
        if not c["min"] <= value <= c["max"]:
            raise WorkflowError(_("%(label)s: between %(min)s and %(max)s.")
                                % {"label": c["label"], "min": c["min"], "max": c["max"]})
        out[c["key"]] = value
    return out


@transaction.atomic
def save_review(submission: Submission, reviewer, scores: dict[str, Any], texts: dict[str, str],
                *, submit: bool) -> Review:
    """Save a draft or submit. There is one review per reviewer and paper: submitting again
    (a double click, or a later change) edits it; it never makes a second review."""
    require(permissions.can_review(reviewer, submission), _("You are not reviewing this paper."))
    call = submission.call
    if timezone.now() > call.review_deadline + timedelta(
            days=getattr(settings, "SSEHUB_CALLS_REVIEW_GRACE_DAYS", 7)):
        raise WorkflowError(_("The review deadline has passed: it was %(date)s.") % {
            "date": show_date(call.review_deadline, user_timezone(reviewer, call))})
    clean = _clean_scores(call, scores, complete=submit)
    keys = {f["key"] for f in call.text_fields}
    clean_texts = {k: str(v)[:20_000] for k, v in texts.items() if k in keys}
    review, created = Review.objects.select_for_update().get_or_create(
        submission=submission, reviewer=reviewer)
    was_submitted = review.is_submitted
    review.scores, review.texts = clean, clean_texts
    if submit:
        review.submitted_at = review.submitted_at or timezone.now()
        if was_submitted:
            review.edits += 1
    review.save()
    if submit and not was_submitted:
        _check_complete(submission)
    return review


def _check_complete(submission: Submission) -> None:
    """Alert the chairs (e-mail + dashboard flag) once every assigned review is in."""
    assigned = set(submission.assignments.filter(confirmed=True)
                   .values_list("reviewer_id", flat=True))
    done = set(submission.reviews.filter(submitted_at__isnull=False)
               .values_list("reviewer_id", flat=True))
    if assigned and assigned <= done and submission.reviews_complete_at is None:
        submission.reviews_complete_at = timezone.now()
        submission.save(update_fields=["reviews_complete_at"])
        managers = [r.user for r in CallRole.objects.filter(
            call=submission.call, role=CallRole.Role.CHAIR).select_related("user")]
        transaction.on_commit(lambda: notifications.all_reviews_in(submission, managers))


@dataclass
class ReviewView:
    """A review as one reader may see it: ``label`` is a name only for the committee."""

    label: str
    scores: list[tuple[str, Any]]
    texts: list[tuple[str, str]]
    score: float | None
    submitted: bool


def reviews_for(user, submission: Submission) -> list[ReviewView]:
    """The reviews of a paper as ``user`` may read them. Authors: submitted reviews' text meant
    for authors, no scores, no names. Reviewers (once theirs is in): all fields, numbered.
    Committee: everything, with names. Anyone else, or a conflicted member: PermissionDenied."""
    call = submission.call
    author = permissions.is_author(user, submission)
    if author:
        require(bool(submission.notified_at), _("Reviews are shown with the decision."))
    else:
        require(permissions.can_see_reviews(user, submission), _("You may not see these reviews."))
    names = not author and permissions.can_see_reviewer_names(user, submission)
    fields = [f for f in call.text_fields if not author or f.get("audience") == "authors"]
    out = []
    reviews = submission.reviews.select_related("reviewer").order_by("id")
    for n, review in enumerate(reviews, start=1):
        if not review.is_submitted and (author or not names):
            continue
        label = review.reviewer.get_full_name() or review.reviewer.get_username() if names \
            else _("Reviewer %(n)s") % {"n": n}
        if not author and review.reviewer_id == getattr(user, "pk", None):
            label = _("Your review")
        out.append(ReviewView(
            label=label,
            scores=[] if author else [(c["label"], review.scores.get(c["key"]))
                                      for c in call.criteria],
            texts=[(f["label"], review.texts.get(f["key"], "")) for f in fields],
            score=None if author else weighted_score(call, review.scores),
            submitted=review.is_submitted))
    return out


@transaction.atomic
def comment(submission: Submission, user, text: str) -> Comment:
    require(permissions.is_committee(user, submission.call)
            and not permissions.is_conflicted(user, submission),
            _("Only the committee comments on papers."))
    if not text.strip():
        raise WorkflowError(_("The comment is empty."))
    return Comment.objects.create(submission=submission, author=user, text=text.strip()[:10_000])


@transaction.atomic
def meta_review(submission: Submission, user, text: str) -> MetaReview:
    require(permissions.is_manager(user, submission.call)
            and not permissions.is_conflicted(user, submission),
            _("Only the call's chairs write meta-reviews."))
    out, _created = MetaReview.objects.update_or_create(
        submission=submission, defaults={"author": user, "text": text.strip()[:20_000]})
    return out


@dataclass
class Progress:
    submission: Submission
    assigned: int
    submitted: int
    scores: list[float]
    complete: bool

    @property
    def missing(self) -> int:
        return self.assigned - self.submitted

    @property
    def mean(self) -> float | None:
        return round(statistics.fmean(self.scores), 2) if self.scores else None

    @property
    def spread(self) -> float | None:
        return round(max(self.scores) - min(self.scores), 2) if len(self.scores) > 1 else None


def progress(call: Call, user=None) -> list[Progress]:
    """Per paper: reviews in and missing, weighted scores and their spread (committee only)."""
    if user is not None:
        require(permissions.is_committee(user, call), _("Only the committee sees progress."))
    from ssehub.calls.conflicts import conflicted_ids

    out = []
    hidden = conflicted_ids(user, call) if user is not None else set()
    subs = call.submissions.filter(withdrawn=False).prefetch_related("assignments", "reviews")
    for sub in subs:
        if sub.pk in hidden:
            continue
        assigned = [a for a in sub.assignments.all() if a.confirmed]
        reviews = [r for r in sub.reviews.all() if r.is_submitted]
        scores = [s for s in (weighted_score(call, r.scores) for r in reviews) if s is not None]
        out.append(Progress(sub, len(assigned), len(reviews), scores,
                            sub.reviews_complete_at is not None))
    return out


def remind(now=None, *, within_days: int | None = None) -> int:
    """E-mail reviewers whose review is missing when the deadline is near or past; at most one
    reminder a day per assignment. Returns how many were sent."""
    now = now or timezone.now()
    days = within_days if within_days is not None else getattr(
        settings, "SSEHUB_CALLS_REMIND_DAYS", 3)
    sent = 0
    from ssehub.calls.models import Assignment

    due = Assignment.objects.filter(
        confirmed=True, submission__withdrawn=False,
        submission__call__review_deadline__lte=now + timedelta(days=days),
        submission__call__notification_date__gte=now,
    ).select_related("submission__call", "reviewer")
    for a in due:
        if Review.objects.filter(submission=a.submission, reviewer=a.reviewer,
                                 submitted_at__isnull=False).exists():
            continue
        if a.reminded_at and now - a.reminded_at < timedelta(hours=23):
            continue
        call = a.submission.call
        notifications.reminder(a.reviewer, a.submission,
                               show_date(call.review_deadline, user_timezone(a.reviewer, call)))
        a.reminded_at = now
        a.save(update_fields=["reminded_at"])
        sent += 1
    return sent
