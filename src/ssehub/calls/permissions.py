"""Who may do what in a call. Services call these; views only mirror them to hide links.

Roles, from the most to the least: a site editor or a call's chair *manages* the call and is
the only one who sees who wrote a paper; a committee member follows reviews and comments on
papers without author identities; a reviewer sees the blind copy of the papers assigned to
them; an author sees their own submissions and the reviews' text meant for authors, never a
reviewer's name; anonymous visitors see public call pages and the programme.
A conflict of interest (declared or computed) shuts a member out of a paper entirely.
"""

from __future__ import annotations

from ssehub.calls.models import Call, CallRole, Submission
from ssehub.core.roles import is_editor


def _active(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def roles(user, call: Call) -> set[str]:
    if not _active(user):
        return set()
    return set(CallRole.objects.filter(call=call, user=user).values_list("role", flat=True))


def is_manager(user, call: Call) -> bool:
    """Chairs of the call and site editors."""
    return _active(user) and (is_editor(user) or CallRole.Role.CHAIR in roles(user, call))


def is_committee(user, call: Call) -> bool:
    """Managers and committee members: they see progress, reviews and scores."""
    return is_manager(user, call) or CallRole.Role.COMMITTEE in roles(user, call)


def is_reviewer(user, call: Call) -> bool:
    return CallRole.Role.REVIEWER in roles(user, call)


def is_author(user, submission: Submission) -> bool:
    if not _active(user):
        return False
    return submission.submitter_id == user.pk or submission.authors.filter(user=user).exists()


def is_conflicted(user, submission: Submission) -> bool:
    from ssehub.calls.conflicts import conflict_reasons

    return bool(conflict_reasons(user, submission))


def is_assigned(user, submission: Submission) -> bool:
    return _active(user) and submission.assignments.filter(reviewer=user, confirmed=True).exists()


def can_see_authors(user, submission: Submission) -> bool:
    """Author identities: the authors themselves and the call's managers, nobody else."""
    if is_author(user, submission):
        return True
    return is_manager(user, submission.call) and not is_conflicted(user, submission)


def can_view_paper(user, submission: Submission) -> bool:
    """The paper page (blind for everyone but authors and managers)."""
    if is_author(user, submission):
        return True
    if not _active(user) or is_conflicted(user, submission):
        return False
    call = submission.call
    return is_committee(user, call) or is_assigned(user, submission) or (
        is_reviewer(user, call) and not submission.call.assignments_confirmed()
    )


def can_review(user, submission: Submission) -> bool:
    return (not submission.withdrawn and is_assigned(user, submission)
            and not is_conflicted(user, submission))


def can_see_reviews(user, submission: Submission) -> bool:
    """All reviews with scores: committee (unconflicted), and a reviewer of the paper once
    their own review is in (reviewers see each other as "Reviewer n", never by name)."""
    if not _active(user) or is_conflicted(user, submission):
        return False
    if is_committee(user, submission.call):
        return True
    return can_review(user, submission) and submission.reviews.filter(
        reviewer=user, submitted_at__isnull=False).exists()


def can_see_reviewer_names(user, submission: Submission) -> bool:
    return is_committee(user, submission.call) and not is_conflicted(user, submission)
