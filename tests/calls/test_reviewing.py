"""Reviews: drafts, submit, a second submit edits; alerts, reminders, who sees which review."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.utils import timezone

from ssehub.calls import reviewing, services
from ssehub.calls.models import Review
from ssehub.calls.services import WorkflowError

from .conftest import assigned_world, login

SCORES = {"relevance": 5, "rigour": 4, "clarity": 3}
TEXTS = {"comments": "Clear and useful for authors.", "confidential": "Secret for committee."}


def reviewers_of(sub):
    return [a.reviewer for a in sub.assignments.filter(confirmed=True).order_by("reviewer_id")]


def test_draft_then_submit_then_resubmit_is_an_edit(world):
    sub = assigned_world(world, 1)[0]
    rev = reviewers_of(sub)[0]
    review = reviewing.save_review(sub, rev, {"relevance": 4}, {}, submit=False)
    assert review.submitted_at is None
    with pytest.raises(WorkflowError, match="Score every criterion"):
        reviewing.save_review(sub, rev, {"relevance": 4}, {}, submit=True)
    reviewing.save_review(sub, rev, SCORES, TEXTS, submit=True)
    reviewing.save_review(sub, rev, {**SCORES, "clarity": 1}, TEXTS, submit=True)
    assert Review.objects.filter(submission=sub, reviewer=rev).count() == 1
    review = Review.objects.get(submission=sub, reviewer=rev)
    assert review.scores["clarity"] == 1 and review.edits == 1


def test_double_post_of_the_review_page_is_one_review(world, client):
    sub = assigned_world(world, 1)[0]
    rev = reviewers_of(sub)[0]
    login(client, rev)
    form = {"score_relevance": "5", "score_rigour": "4", "score_clarity": "3",
            "text_comments": "Good.", "submit": "1"}
    for _ in range(2):
        assert client.post(f"/calls/paper/{sub.pk}/review/", form).status_code == 302
    assert Review.objects.filter(submission=sub).count() == 1


def test_scores_outside_the_scale_are_refused(world):
    sub = assigned_world(world, 1)[0]
    with pytest.raises(WorkflowError, match="between 1 and 5"):
        reviewing.save_review(sub, reviewers_of(sub)[0], {**SCORES, "rigour": 9}, {},
                              submit=True)


def test_unassigned_reviewer_cannot_review(world):
    sub = assigned_world(world, 1)[0]
    other = next(r for r in world.reviewers if r not in reviewers_of(sub))
    with pytest.raises(PermissionDenied):
        reviewing.save_review(sub, other, SCORES, TEXTS, submit=True)


def test_all_reviews_in_alerts_the_chairs_once(world, django_capture_on_commit_callbacks):
    sub = assigned_world(world, 1)[0]
    first, second = reviewers_of(sub)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reviewing.save_review(sub, first, SCORES, TEXTS, submit=True)
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        reviewing.save_review(sub, second, {"relevance": 2, "rigour": 2, "clarity": 2}, TEXTS,
                              submit=True)
        reviewing.save_review(sub, second, SCORES, TEXTS, submit=True)  # an edit: no new alert
    assert [m.to for m in mail.outbox] == [["carla@taskforce.org"]]
    assert f"paper #{sub.pk}" in mail.outbox[0].subject
    progress = {p.submission.pk: p for p in reviewing.progress(world.call, world.chair)}
    assert progress[sub.pk].complete and progress[sub.pk].missing == 0
    assert progress[sub.pk].spread == 0


def test_dashboard_shows_progress_and_the_flag(world, client):
    sub, other = assigned_world(world, 2)
    first, second = reviewers_of(sub)
    reviewing.save_review(sub, first, SCORES, TEXTS, submit=True)
    reviewing.save_review(sub, second, {"relevance": 1, "rigour": 1, "clarity": 1}, TEXTS,
                          submit=True)
    login(client, world.chair)
    page = client.get(f"/calls/{world.call.slug}/manage/").content.decode()
    assert "all reviews in" in page and "2/2" in page and "0/2" in page
    assert "<td>0.8</td>" in page  # spread of the weighted scores: 0.8 - 0.0


def test_reminders_go_to_late_reviewers_only_once_a_day(world):
    sub = assigned_world(world, 1)[0]
    first, second = reviewers_of(sub)
    reviewing.save_review(sub, first, SCORES, TEXTS, submit=True)
    mail.outbox.clear()
    assert reviewing.remind() == 0  # the deadline is 40 days away
    soon = world.call.review_deadline - timedelta(days=1)
    assert reviewing.remind(soon) == 1
    assert mail.outbox[0].to == [second.email]
    assert "Europe/Paris" in mail.outbox[0].body
    assert reviewing.remind(soon + timedelta(hours=2)) == 0
    assert reviewing.remind(soon + timedelta(days=1)) == 1


def test_remind_command_and_scheduled_job(world):
    from ssehub.core.scheduler import DEFAULT_JOBS, remind_late_reviewers

    assert remind_late_reviewers in DEFAULT_JOBS
    sub = assigned_world(world, 1)[0]
    world.call.review_deadline = timezone.now() + timedelta(hours=5)
    world.call.save()
    mail.outbox.clear()
    call_command("calls", "remind")
    assert len(mail.outbox) == 2
    remind_late_reviewers()  # the same reviewers, the same day: nothing new
    assert len(mail.outbox) == 2
    assert sub.assignments.filter(reminded_at__isnull=False).count() == 2


def test_review_visibility_by_role(world):
    sub = assigned_world(world, 1)[0]
    first, second = reviewers_of(sub)
    reviewing.save_review(sub, first, SCORES, TEXTS, submit=True)
    # The second reviewer sees nothing before their own review is in.
    with pytest.raises(PermissionDenied):
        reviewing.reviews_for(second, sub)
    reviewing.save_review(sub, second, SCORES, {"comments": "Mine"}, submit=True)
    labels = [r.label for r in reviewing.reviews_for(second, sub)]
    assert "Your review" in labels and "Reviewer 1" in labels
    assert first.get_full_name() not in labels
    committee = [r.label for r in reviewing.reviews_for(world.committee, sub)]
    assert first.get_full_name() in committee
    with pytest.raises(PermissionDenied):  # authors see reviews with the decision only
        reviewing.reviews_for(world.ann, sub)
    sub.notified_at = timezone.now()
    sub.save()
    for_author = reviewing.reviews_for(world.ann, sub)
    texts = [t for r in for_author for _label, t in r.texts]
    assert "Clear and useful for authors." in texts
    assert "Secret for committee." not in texts
    assert all(r.label.startswith("Reviewer") and not r.scores for r in for_author)


def test_comments_and_meta_review_permissions(world):
    sub = assigned_world(world, 1)[0]
    reviewing.comment(sub, world.committee, "Borderline.")
    with pytest.raises(PermissionDenied):
        reviewing.comment(sub, reviewers_of(sub)[0], "I am not committee")
    with pytest.raises(PermissionDenied):
        reviewing.meta_review(sub, world.committee, "Only chairs")
    assert reviewing.meta_review(sub, world.chair, "Accept.").text == "Accept."
    assert reviewing.meta_review(sub, world.chair, "Accept!").text == "Accept!"


def test_conflicted_committee_member_cannot_see_reviews_or_comment(world):
    sub = assigned_world(world, 1)[0]
    services.declare_conflict(sub, world.committee, actor=world.ann)
    with pytest.raises(PermissionDenied):
        reviewing.reviews_for(world.committee, sub)
    with pytest.raises(PermissionDenied):
        reviewing.comment(sub, world.committee, "x")
    assert sub.pk not in [p.submission.pk for p in reviewing.progress(world.call,
                                                                      world.committee)]


def test_reviews_close_after_the_deadline_and_its_grace(world, settings):
    sub = assigned_world(world, 1)[0]
    settings.SSEHUB_CALLS_REVIEW_GRACE_DAYS = 2
    world.call.review_deadline = timezone.now() - timedelta(days=1)
    world.call.save()
    reviewing.save_review(sub, reviewers_of(sub)[0], SCORES, TEXTS, submit=True)  # in grace
    world.call.review_deadline = timezone.now() - timedelta(days=3)
    world.call.save()
    with pytest.raises(WorkflowError, match="review deadline has passed"):
        reviewing.save_review(sub, reviewers_of(sub)[1], SCORES, TEXTS, submit=True)


def test_forged_ids_are_not_found_not_server_errors(world, client):
    login(client, world.chair)
    url = f"/calls/{world.call.slug}/manage/assignment/"
    assert client.post(url, {"action": "remove", "assignment": "x"}).status_code == 404
    assert client.post(url, {"action": "add", "submission": ""}).status_code == 404
    assert client.get(f"/calls/{world.call.slug}/manage/programme/?session=abc"
                      ).status_code == 404


def test_the_hubs_file_limit_caps_the_calls(world, settings):
    from .conftest import make_pdf

    settings.SSEHUB_MAX_FILE_BYTES = 300  # smaller than the call's own 20 MB
    with pytest.raises(WorkflowError, match="largest accepted"):
        world.submit(pdf=make_pdf())
