"""Reviewer assignment (issue 7): the calls app's min-cost-flow solver next to an LP optimum.

    .venv/bin/python bench/bench_calls.py                      # 1,000 papers, 300 reviewers
    .venv/bin/python bench/bench_calls.py --papers 200 --reviewers 60 --seeds 1

The problem: every paper gets k=3 reviews, every reviewer takes 8 to 12 papers, 2% of the
(paper, reviewer) pairs are conflicts (no edge), affinities are uniform random in [0, 1].
``ssehub.calls.solver.solve`` (OR-Tools SimpleMinCostFlow, two-tier reviewer arcs for the
minimum loads) is timed; the independent reference is the transportation LP solved by HiGHS
through ``scipy.optimize.milp`` with no integrality constraint (the constraint matrix is
totally unimodular, so the LP optimum is integral: the script checks that it is). Both
totals are reported and compared. Writes bench/out/calls.json and bench/out/calls.md.
Standalone: needs no database, no server.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
OUT = ROOT / "bench" / "out"


def _django_for_gettext() -> None:
    """The solver's messages go through Django's gettext: give it minimal settings."""
    from django.conf import settings

    if not settings.configured:
        settings.configure(USE_I18N=False)


def problem(n: int, m: int, conflict_rate: float, seed: int):
    rng = np.random.default_rng(seed)
    papers, reviewers = np.meshgrid(np.arange(n), np.arange(m), indexing="ij")
    papers, reviewers = papers.ravel(), reviewers.ravel()
    keep = rng.random(papers.size) >= conflict_rate
    return papers[keep], reviewers[keep], rng.random(int(keep.sum()))


def lp_reference(n, m, papers, reviewers, aff, k, lo, hi):
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_matrix

    e = papers.size
    rows = np.concatenate([papers, n + reviewers])
    cols = np.tile(np.arange(e), 2)
    a = coo_matrix((np.ones(2 * e), (rows, cols)), shape=(n + m, e)).tocsr()
    lower = np.concatenate([np.full(n, k), np.full(m, lo)])
    upper = np.concatenate([np.full(n, k), np.full(m, hi)])
    started = time.perf_counter()
    res = milp(-aff, constraints=LinearConstraint(a, lower, upper), bounds=Bounds(0, 1),
               integrality=np.zeros(e), options={"presolve": True})
    seconds = time.perf_counter() - started
    if not res.success:
        raise SystemExit(f"LP failed: {res.message}")
    x = res.x
    fractional = int(np.sum((x > 1e-6) & (x < 1 - 1e-6)))
    return -res.fun, seconds, fractional


def run(n: int, m: int, k: int, lo: int, hi: int, conflicts: float, seed: int) -> dict:
    from ssehub.calls.solver import solve

    papers, reviewers, aff = problem(n, m, conflicts, seed)
    started = time.perf_counter()
    sol = solve(n, m, papers, reviewers, aff, k=k, min_load=lo, max_load=hi)
    flow_seconds = time.perf_counter() - started
    allowed = set(zip(papers.tolist(), reviewers.tolist(), strict=True))
    assert set(sol.pairs) <= allowed, "a conflicted pair was assigned"
    per_paper = np.bincount([p for p, _r in sol.pairs], minlength=n)
    assert (per_paper == k).all()
    assert lo <= min(sol.loads) and max(sol.loads) <= hi
    lp_total, lp_seconds, fractional = lp_reference(n, m, papers, reviewers, aff, k, lo, hi)
    return {
        "seed": seed, "papers": n, "reviewers": m, "k": k, "min_load": lo, "max_load": hi,
        "conflict_rate": conflicts, "edges": int(papers.size),
        "flow_seconds": round(flow_seconds, 3), "flow_total_affinity": round(sol.total_affinity, 4),
        "flow_mean_affinity": round(sol.mean_affinity, 5),
        "lp_seconds": round(lp_seconds, 3), "lp_total_affinity": round(lp_total, 4),
        "lp_fractional_variables": fractional,
        "gap": round(lp_total - sol.total_affinity, 6),
        "relative_gap": float(f"{(lp_total - sol.total_affinity) / lp_total:.2e}"),
        "loads": {"min": int(min(sol.loads)), "max": int(max(sol.loads)),
                  "mean": round(float(np.mean(sol.loads)), 2)},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--papers", type=int, default=1000)
    parser.add_argument("--reviewers", type=int, default=300)
    parser.add_argument("--k", type=int, default=3)
    parser.add_argument("--min-load", type=int, default=8)
    parser.add_argument("--max-load", type=int, default=12)
    parser.add_argument("--conflicts", type=float, default=0.02)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    _django_for_gettext()
    import ortools
    import scipy

    runs = [run(args.papers, args.reviewers, args.k, args.min_load, args.max_load,
                args.conflicts, seed) for seed in range(1, args.seeds + 1)]
    result = {
        "benchmark": "calls-assignment",
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "ortools": ortools.__version__, "scipy": scipy.__version__},
        "command": " ".join(["bench/bench_calls.py", *sys.argv[1:]]),
        "runs": runs,
        "goal": "optimal (gap 0 up to the 1e-6 rounding of affinities) and at most 10 s",
        "met": all(r["flow_seconds"] <= 10 and abs(r["relative_gap"]) < 1e-5 for r in runs),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "calls.json").write_text(json.dumps(result, indent=2))
    lines = [
        f"Assignment of {args.papers:,} papers to {args.reviewers} reviewers, {args.k} reviews "
        f"each, loads {args.min_load}-{args.max_load}, {args.conflicts:.0%} random conflicts, "
        "random affinities.", "",
        "| seed | edges | min-cost flow (s) | flow total affinity | LP HiGHS (s) "
        "| LP optimum | gap | LP fractional vars | loads min/mean/max |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in runs:
        lines.append(
            f"| {r['seed']} | {r['edges']:,} | {r['flow_seconds']:.2f} "
            f"| {r['flow_total_affinity']:.4f} | {r['lp_seconds']:.2f} "
            f"| {r['lp_total_affinity']:.4f} | {r['gap']:.6f} | {r['lp_fractional_variables']} "
            f"| {r['loads']['min']}/{r['loads']['mean']}/{r['loads']['max']} |")
    lines += ["", f"Goal: {result['goal']}: {'met' if result['met'] else 'NOT met'}."]
    (OUT / "calls.md").write_text("\n".join(lines) + "\n")
    print(json.dumps(result, indent=2))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
