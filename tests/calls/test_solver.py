"""The min-cost-flow solver against an independent LP (HiGHS), and its infeasibility reports."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix

from ssehub.calls.solver import Infeasible, solve


def lp_optimum(n, m, papers, reviewers, aff, k, lo, hi) -> float:
    e = len(papers)
    rows = np.concatenate([papers, n + reviewers])
    a = coo_matrix((np.ones(2 * e), (rows, np.tile(np.arange(e), 2))), shape=(n + m, e))
    lower = np.concatenate([np.full(n, k), np.full(m, lo)])
    upper = np.concatenate([np.full(n, k), np.full(m, hi)])
    res = milp(-aff, constraints=LinearConstraint(a.tocsr(), lower, upper),
               bounds=Bounds(0, 1), integrality=np.zeros(e))
    assert res.success
    return -res.fun


def random_problem(n, m, seed, conflict=0.05):
    rng = np.random.default_rng(seed)
    p, r = np.meshgrid(np.arange(n), np.arange(m), indexing="ij")
    p, r = p.ravel(), r.ravel()
    keep = rng.random(len(p)) > conflict
    return p[keep], r[keep], rng.random(keep.sum())


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_flow_matches_the_lp_optimum_and_respects_every_constraint(seed):
    n, m, k, lo, hi = 60, 25, 3, 6, 9
    papers, reviewers, aff = random_problem(n, m, seed)
    sol = solve(n, m, papers, reviewers, aff, k=k, min_load=lo, max_load=hi)
    assert len(sol.pairs) == n * k
    assert len(set(sol.pairs)) == len(sol.pairs)
    allowed = set(zip(papers.tolist(), reviewers.tolist(), strict=True))
    assert set(sol.pairs) <= allowed  # never a conflicted pair
    assert np.bincount([p for p, _r in sol.pairs], minlength=n).tolist() == [k] * n
    assert all(lo <= load <= hi for load in sol.loads)
    optimum = lp_optimum(n, m, papers, reviewers, aff, k, lo, hi)
    assert sol.total_affinity == pytest.approx(optimum, abs=1e-4)


def test_min_loads_are_met_even_when_affinity_prefers_a_few_reviewers():
    n, m = 10, 5
    papers = np.repeat(np.arange(n), m)
    reviewers = np.tile(np.arange(m), n)
    aff = np.where(reviewers < 2, 1.0, 0.0)  # everyone would rather have reviewers 0 and 1
    sol = solve(n, m, papers, reviewers, aff, k=2, min_load=3, max_load=10)
    # The three unwanted reviewers get exactly their minimum, the rest goes to the favourites.
    assert sol.loads[2:] == [3, 3, 3]
    assert sol.loads[0] + sol.loads[1] == 11
    assert sol.total_affinity == pytest.approx(11)


def test_too_few_eligible_reviewers_names_the_paper():
    papers = np.array([0, 0, 0, 1])
    reviewers = np.array([0, 1, 2, 0])
    with pytest.raises(Infeasible) as info:
        solve(2, 3, papers, reviewers, np.ones(4), k=2, max_load=5,
              paper_labels=["paper A", "paper B"])
    text = str(info.value)
    assert "paper B" in text and "needs 2 reviews but has only 1 eligible" in text
    assert "paper A" not in text
    assert info.value.shortages[0].paper == 1 and info.value.shortages[0].missing == 1


def test_not_enough_capacity_says_how_many_reviews_are_missing():
    papers, reviewers, aff = random_problem(10, 4, 0, conflict=0)
    with pytest.raises(Infeasible) as info:
        solve(10, 4, papers, reviewers, aff, k=3, max_load=5)
    assert "20 reviews in all" in str(info.value) and "30 are needed" in str(info.value)
    assert "10 missing" in str(info.value)


def test_hall_violation_found_by_the_flow_not_a_partial_answer():
    # Papers 0-2 may only go to reviewers 0 and 1 (max load 2 each): 6 reviews needed, 4 fit.
    papers = np.array([0, 0, 1, 1, 2, 2, 3, 3])
    reviewers = np.array([0, 1, 0, 1, 0, 1, 2, 3])
    with pytest.raises(Infeasible) as info:
        solve(4, 4, papers, reviewers, np.ones(8), k=2, max_load=2)
    assert info.value.shortages  # which papers are short
    assert "short" in str(info.value)


def test_impossible_min_loads_are_reported():
    papers, reviewers, aff = random_problem(4, 4, 0, conflict=0)
    with pytest.raises(Infeasible) as info:
        solve(4, 4, papers, reviewers, aff, k=1, min_load=2, max_load=3)
    assert "minimum loads add up to 8" in str(info.value)
