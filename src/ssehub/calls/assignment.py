"""Automatic assignment for a call: affinities, the solver's proposal, manual changes, confirm.

Affinity of a (paper, reviewer) pair, in [0, 1]:
  0.5 × bid (eager 1, willing 0.6, no bid 0.3; "not willing" removes the pair)
+ 0.25 × topic overlap (share of the paper's keywords and SDGs among the reviewer's topics)
+ 0.25 × text similarity (TF-IDF cosine, and multilingual embeddings, between the paper and
  the reviewer's publications in the hub's library, found by the reviewer's full name among
  item creators).
Conflicted pairs are never offered to the solver. Confirmed and hand-made assignments stay
fixed; a new proposal only replaces the solver's previous, unconfirmed one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from ssehub.calls import permissions
from ssehub.calls.conflicts import call_conflicts
from ssehub.calls.models import Assignment, Bid, Call, CallRole, Submission
from ssehub.calls.names import normalise_name
from ssehub.calls.solver import Infeasible, Solution, solve
from ssehub.core.roles import require

BID_SCORE = {Bid.Level.EAGER: 1.0, Bid.Level.WILLING: 0.6, None: 0.3}
WEIGHTS = {"bid": 0.5, "topic": 0.25, "text": 0.25}


@dataclass
class Summary:
    papers: int
    reviewers: int
    assignments: int
    mean_affinity: float
    loads: dict[str, int]

    def lines(self) -> list[str]:
        values = list(self.loads.values()) or [0]
        return [
            f"papers: {self.papers}, reviewers: {self.reviewers}, "
            f"assignments: {self.assignments}",
            f"mean affinity: {self.mean_affinity:.3f}",
            f"load per reviewer: min {min(values)}, mean {sum(values) / len(values):.2f}, "
            f"max {max(values)}",
            *(f"  {name}: {load}" for name, load in sorted(self.loads.items())),
        ]


def _topics(submission: Submission) -> set[str]:
    return {normalise_name(k) for k in submission.keywords} | {f"sdg {g}" for g in submission.sdgs}


def _reviewer_topics(role: CallRole) -> set[str]:
    out = set()
    for topic in role.topics:
        text = normalise_name(str(topic))
        out.add(f"sdg {text.removeprefix('sdg').strip()}" if text.removeprefix("sdg").strip()
                .isdigit() else text)
    return out


def publications_text(user) -> str:
    """Titles and abstracts of the library items the user is a creator of."""
    from ssehub.library.models import Item

    full = user.get_full_name().strip()
    if not full:
        return ""
    items = Item.objects.filter(creators__name__iexact=full).distinct()[:200]
    return "\n".join(" ".join([*i.title.values(), *i.abstract.values()]) for i in items)


def text_similarity(papers: list[str], profiles: list[str]) -> np.ndarray:
    """Similarity (papers × reviewers) in [0, 1]; zero for a reviewer with no publication.

    TF-IDF cosine catches shared vocabulary; with ``SSEHUB_CALLS_AFFINITY_EMBEDDINGS`` (on by
    default) the hub's multilingual encoder also matches a Spanish paper with English
    publications on the same subject, which TF-IDF cannot. Unrelated texts have an embedding
    cosine around 0.1-0.2, so it is rescaled from [0.2, 1] to [0, 1]; the larger of the two
    similarities counts."""
    out = np.zeros((len(papers), len(profiles)))
    present = [i for i, p in enumerate(profiles) if p.strip()]
    if not papers or not present:
        return out
    from sklearn.feature_extraction.text import TfidfVectorizer

    kept = [profiles[i] for i in present]
    vectorizer = TfidfVectorizer(sublinear_tf=True, min_df=1, strip_accents="unicode")
    matrix = vectorizer.fit_transform(papers + kept)
    sims = np.clip((matrix[: len(papers)] @ matrix[len(papers):].T).toarray(), 0, 1)
    if getattr(settings, "SSEHUB_CALLS_AFFINITY_EMBEDDINGS", True):
        from ssehub.core.embeddings import encode

        vectors = encode([t[:5000] for t in papers + kept])
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
        cosine = vectors[: len(papers)] @ vectors[len(papers):].T
        sims = np.maximum(sims, np.clip((cosine - 0.2) / 0.8, 0, 1))
    out[:, present] = sims
    return out


def affinity_matrix(call: Call, submissions: list[Submission], roles: list[CallRole]
                    ) -> np.ndarray:
    bids = {(b.submission_id, b.reviewer_id): b.level
            for b in Bid.objects.filter(submission__call=call)}
    texts = text_similarity(
        [" ".join([s.title, s.abstract, " ".join(s.keywords)]) for s in submissions],
        [publications_text(r.user) for r in roles],
    )
    out = np.zeros((len(submissions), len(roles)))
    reviewer_topics = [_reviewer_topics(role) for role in roles]
    for i, sub in enumerate(submissions):
        topics = _topics(sub)
        for j, role in enumerate(roles):
            level = bids.get((sub.pk, role.user_id))
            bid = BID_SCORE.get(level, 0.0) if level != Bid.Level.UNWILLING else 0.0
            overlap = len(topics & reviewer_topics[j]) / len(topics) if topics else 0.0
            out[i, j] = (WEIGHTS["bid"] * bid + WEIGHTS["topic"] * overlap
                         + WEIGHTS["text"] * texts[i, j])
    return out


def _reviewer_roles(call: Call) -> list[CallRole]:
    return list(CallRole.objects.filter(call=call, role=CallRole.Role.REVIEWER)
                .select_related("user").order_by("user__username"))


@transaction.atomic
def propose(call: Call, *, actor=None) -> Summary:
    """Solve and store the proposal (unconfirmed); raise :class:`Infeasible` when short.

    ``actor=None`` is the operator at the command line.
    """
    if actor is not None:
        require(permissions.is_manager(actor, call), _("Only the call's chairs can assign."))
    submissions = list(call.submissions.filter(withdrawn=False).prefetch_related("authors"))
    roles = _reviewer_roles(call)
    # The solver's own earlier proposal goes; confirmed and hand-made assignments stay fixed.
    Assignment.objects.filter(submission__call=call, confirmed=False, manual=False).delete()
    fixed = list(Assignment.objects.filter(submission__call=call, submission__withdrawn=False)
                  .filter(Q(confirmed=True) | Q(manual=True)))
    fixed_pairs = {(a.submission_id, a.reviewer_id) for a in fixed}
    conflicts = call_conflicts(call, [r.user_id for r in roles])
    unwilling = set(Bid.objects.filter(submission__call=call, level=Bid.Level.UNWILLING)
                    .values_list("submission_id", "reviewer_id"))
    aff = affinity_matrix(call, submissions, roles)
    papers, reviewers, values = [], [], []
    for i, sub in enumerate(submissions):
        for j, role in enumerate(roles):
            pair = (sub.pk, role.user_id)
            if pair in conflicts or pair in unwilling or pair in fixed_pairs:
                continue
            papers.append(i)
            reviewers.append(j)
            values.append(aff[i, j])
    done = {s.pk: 0 for s in submissions}
    load = {r.user_id: 0 for r in roles}
    for a in fixed:
        done[a.submission_id] = done.get(a.submission_id, 0) + 1
        load[a.reviewer_id] = load.get(a.reviewer_id, 0) + 1
    k = [max(call.reviews_per_paper - done[s.pk], 0) for s in submissions]
    hi = [max((r.max_load if r.max_load is not None else call.max_load) - load[r.user_id], 0)
          for r in roles]
    lo = [min(max((r.min_load if r.min_load is not None else call.min_load) - load[r.user_id],
                  0), h) for r, h in zip(roles, hi, strict=True)]
    labels = [_("paper #%(id)s “%(title)s”") % {"id": s.pk, "title": s.title[:60]}
              for s in submissions]
    if not roles and submissions:
        raise Infeasible([_("The call has no reviewers: add some to its committee.")])
    solution: Solution = solve(len(submissions), len(roles), np.array(papers, dtype=np.int64),
                               np.array(reviewers, dtype=np.int64), np.array(values),
                               k=k, min_load=lo, max_load=hi, paper_labels=labels)
    Assignment.objects.bulk_create(
        Assignment(submission=submissions[i], reviewer=roles[j].user, affinity=float(aff[i, j]))
        for i, j in solution.pairs
    )
    return summary(call)


def summary(call: Call) -> Summary:
    assignments = list(Assignment.objects.filter(submission__call=call)
                       .select_related("reviewer"))
    roles = _reviewer_roles(call)
    loads = {r.user.get_username(): 0 for r in roles}
    for a in assignments:
        name = a.reviewer.get_username()
        loads[name] = loads.get(name, 0) + 1
    mean = sum(a.affinity for a in assignments) / len(assignments) if assignments else 0.0
    return Summary(call.submissions.filter(withdrawn=False).count(), len(roles),
                   len(assignments), mean, loads)


@transaction.atomic
def confirm(call: Call, *, actor=None) -> int:
    """Confirm the proposal: reviewers can now open their papers and review."""
    if actor is not None:
        require(permissions.is_manager(actor, call), _("Only the call's chairs can assign."))
    return Assignment.objects.filter(submission__call=call, confirmed=False).update(confirmed=True)


@transaction.atomic
def add(submission: Submission, reviewer, *, actor=None) -> Assignment:
    """A chair's manual assignment: never to a conflicted reviewer."""
    from ssehub.calls.conflicts import conflict_reasons

    call = submission.call
    if actor is not None:
        require(permissions.is_manager(actor, call), _("Only the call's chairs can assign."))
    require(permissions.is_reviewer(reviewer, call),
            _("%(user)s is not a reviewer of this call.") % {"user": reviewer})
    reasons = conflict_reasons(reviewer, submission)
    require(not reasons, _("Conflict of interest: %(reasons)s.") % {"reasons": ", ".join(reasons)})
    assignment, _created = Assignment.objects.get_or_create(
        submission=submission, reviewer=reviewer, defaults={"manual": True})
    return assignment


@transaction.atomic
def remove(assignment: Assignment, *, actor=None) -> None:
    if actor is not None:
        require(permissions.is_manager(actor, assignment.submission.call),
                _("Only the call's chairs can assign."))
    assignment.delete()


def reviewer_by_name(call: Call, username: str):
    user = get_user_model().objects.filter(username=username).first()
    require(user is not None and permissions.is_reviewer(user, call),
            _("%(user)s is not a reviewer of this call.") % {"user": username})
    return user
