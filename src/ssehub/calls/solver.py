"""Reviewer assignment as a min-cost flow (the HotCRP / OpenReview formulation).

source → paper (capacity k) → reviewer (capacity 1, cost −affinity) → sink, where each
reviewer reaches the sink by two arcs: the first carries up to the reviewer's *minimum* load at
no extra cost, the second the rest up to the *maximum* load at a penalty larger than any
possible gain in affinity. Maximum flow at minimum cost then fills every minimum load whenever
some assignment can, and among those maximises the total affinity: an exact optimum, since
the flow polytope is integral. Conflicted and "not willing" pairs have no arc at all.

This module knows nothing of the hub's models (only Django's gettext, for its messages):
``bench/bench_calls.py`` times it on synthetic data.
When no complete assignment exists it raises :class:`Infeasible` saying what is missing,
never a partial answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from django.utils.translation import gettext as _

SCALE = 1_000_000  # affinities in [0, 1] become integer costs with six decimals


@dataclass
class Shortage:
    paper: int
    missing: int
    eligible: int
    reason: str


@dataclass
class Infeasible(Exception):
    """No assignment meets every constraint; ``problems`` say which and why."""

    problems: list[str]
    shortages: list[Shortage] = field(default_factory=list)

    def __str__(self) -> str:
        return "; ".join(self.problems)


@dataclass
class Solution:
    pairs: list[tuple[int, int]]  # (paper index, reviewer index)
    total_affinity: float
    loads: list[int]

    @property
    def mean_affinity(self) -> float:
        return self.total_affinity / len(self.pairs) if self.pairs else 0.0


def _per_reviewer(value: int | Sequence[int], m: int) -> np.ndarray:
    return np.full(m, value, dtype=np.int64) if np.isscalar(value) else np.asarray(
        value, dtype=np.int64)


def solve(
    n_papers: int,
    n_reviewers: int,
    papers: np.ndarray,
    reviewers: np.ndarray,
    affinities: np.ndarray,
    *,
    k: int | Sequence[int],
    min_load: int | Sequence[int] = 0,
    max_load: int | Sequence[int],
    paper_labels: Sequence[str] | None = None,
) -> Solution:
    """Assign ``k`` reviewers to each paper among the allowed (paper, reviewer) edges.

    ``papers``, ``reviewers``, ``affinities``: parallel arrays of the allowed edges (affinity in
    [0, 1]). ``k``: reviews needed per paper (one number or one per paper), ``min_load`` and
    ``max_load`` per reviewer (one number or one per reviewer).
    """
    from ortools.graph.python import min_cost_flow

    papers = np.asarray(papers, dtype=np.int64)
    reviewers = np.asarray(reviewers, dtype=np.int64)
    affinities = np.asarray(affinities, dtype=np.float64)
    need = _per_reviewer(k, n_papers)
    lo, hi = _per_reviewer(min_load, n_reviewers), _per_reviewer(max_load, n_reviewers)
    labels = list(paper_labels) if paper_labels is not None else [
        _("paper %(n)s") % {"n": i + 1} for i in range(n_papers)]
    total = int(need.sum())
    _precheck(n_papers, papers, need, lo, hi, total, labels)

    source, sink = 0, n_papers + n_reviewers + 1
    costs = np.rint((1.0 - np.clip(affinities, 0, 1)) * SCALE).astype(np.int64)
    penalty = SCALE * (total + 1)
    p_nodes = np.arange(1, n_papers + 1)
    r_nodes = np.arange(n_papers + 1, n_papers + n_reviewers + 1)
    tails = np.concatenate([np.zeros(n_papers, np.int64), papers + 1, r_nodes, r_nodes])
    heads = np.concatenate([p_nodes, reviewers + n_papers + 1,
                            np.full(n_reviewers, sink), np.full(n_reviewers, sink)])
    caps = np.concatenate([need, np.ones(len(papers), np.int64), lo, hi - lo])
    unit = np.concatenate([np.zeros(n_papers, np.int64), costs,
                           np.zeros(n_reviewers, np.int64), np.full(n_reviewers, penalty)])
    flow = min_cost_flow.SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, unit)
    supplies = np.zeros(sink + 1, np.int64)
    supplies[source], supplies[sink] = total, -total
    flow.set_nodes_supplies(np.arange(sink + 1), supplies)
    status = flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:
        raise Infeasible([_("the flow solver stopped with status %(status)s") % {
            "status": status}])
    flows = flow.flows(arcs)
    got = flows[:n_papers]
    edge_flow = flows[n_papers:n_papers + len(papers)]
    low_flow = flows[n_papers + len(papers):n_papers + len(papers) + n_reviewers]
    problems, shortages = [], []
    for i in np.nonzero(got < need)[0]:
        eligible = int((papers == i).sum())
        reason = _("its %(eligible)s eligible reviewers are all at their maximum load") % {
            "eligible": eligible}
        shortages.append(Shortage(int(i), int(need[i] - got[i]), eligible, reason))
        problems.append(_("%(paper)s: %(n)s review(s) short: %(reason)s") % {
            "paper": labels[i], "n": int(need[i] - got[i]), "reason": reason})
    if problems:
        problems.append(_("%(n)s of %(total)s reviews cannot be placed: add reviewers or raise "
                          "the maximum load") % {"n": int(total - got.sum()), "total": total})
        raise Infeasible(problems, shortages)
    short = np.nonzero(low_flow < lo)[0]
    if len(short):
        raise Infeasible([_(
            "%(n)s reviewer(s) cannot reach their minimum load (e.g. reviewer %(r)s: %(got)s "
            "of %(min)s) without breaking a conflict, a bid or a maximum: lower the minimum "
            "load") % {"n": len(short), "r": int(short[0]) + 1, "got": int(low_flow[short[0]]),
                       "min": int(lo[short[0]])}])
    chosen = np.nonzero(edge_flow)[0]
    pairs = list(zip(papers[chosen].tolist(), reviewers[chosen].tolist(), strict=True))
    loads = np.bincount(reviewers[chosen], minlength=n_reviewers)
    return Solution(pairs, float(affinities[chosen].sum()), loads.tolist())


def _precheck(n_papers, papers, need, lo, hi, total, labels) -> None:
    """The shortages a count reveals, each named, before any solving."""
    problems, shortages = [], []
    eligible = np.bincount(papers, minlength=n_papers)
    for i in np.nonzero(eligible < need)[0]:
        shortages.append(Shortage(int(i), int(need[i] - eligible[i]), int(eligible[i]),
                                  _("too few eligible reviewers")))
        problems.append(_("%(paper)s: needs %(k)s reviews but has only %(n)s eligible "
                          "reviewer(s) (the others are conflicted, not willing or already "
                          "assigned)") % {"paper": labels[i], "k": int(need[i]),
                                          "n": int(eligible[i])})
    capacity = int(hi.sum())
    if capacity < total:
        problems.append(_("the reviewers can take %(capacity)s reviews in all at their maximum "
                          "load, %(total)s are needed: %(missing)s missing") % {
            "capacity": capacity, "total": total, "missing": total - capacity})
    if int(lo.sum()) > total:
        problems.append(_("the minimum loads add up to %(sum)s reviews but only %(total)s are "
                          "needed: lower the minimum load") % {"sum": int(lo.sum()),
                                                               "total": total})
    if problems:
        raise Infeasible(problems, shortages)
