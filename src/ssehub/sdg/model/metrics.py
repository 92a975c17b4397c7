"""Multi-label metrics over the 17 goals (no scikit-learn magic, so the numbers are explicit)."""

from __future__ import annotations

import numpy as np


def evaluate_scores(y: np.ndarray, scores: np.ndarray, thresholds: np.ndarray,
                    floor: float = 0.0) -> dict:
    """Metrics for gold ``y`` (N,17 of 0/1) and ``scores`` (N,17).

    - per goal precision/recall/F1 of the thresholded decision (rows with gold goals only count
      for goals that have support; goals without gold support are reported but left out of the
      macro mean);
    - macro-F1 = mean per-goal F1 over goals with support (the "mean per-goal F1" of the
      benchmarks);
    - top-1 / top-3 accuracy: the best (three) goals contain a gold goal;
    - a confusion table gold -> top-1 for single-label rows;
    - no-SDG: on rows without gold goals, how many are (correctly) left without a label.
    """
    y = np.asarray(y, dtype=bool)
    decided = decisions(scores, thresholds, floor)
    per_goal = {}
    f1s = []
    for g in range(17):
        tp = int((decided[:, g] & y[:, g]).sum())
        fp = int((decided[:, g] & ~y[:, g]).sum())
        fn = int((~decided[:, g] & y[:, g]).sum())
        support = int(y[:, g].sum())
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        per_goal[g + 1] = {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4),
                           "support": support}
        if support:
            f1s.append(f)
    positive = y.any(axis=1)
    order = np.argsort(-scores, axis=1)
    top1 = np.array([y[i, order[i, 0]] for i in range(len(y))]) if len(y) else np.array([])
    top3 = np.array([y[i, order[i, :3]].any() for i in range(len(y))]) if len(y) else np.array([])
    tp_all = int((decided & y).sum())
    fp_all = int((decided & ~y).sum())
    fn_all = int((~decided & y).sum())
    micro = 2 * tp_all / (2 * tp_all + fp_all + fn_all) if tp_all else 0.0
    single = y.sum(axis=1) == 1
    confusion = np.zeros((17, 17), dtype=int)
    for i in np.flatnonzero(single):
        confusion[int(np.flatnonzero(y[i])[0]), int(order[i, 0])] += 1
    out = {
        "rows": int(len(y)),
        "rows_with_goal": int(positive.sum()),
        "macro_f1": round(float(np.mean(f1s)) if f1s else 0.0, 4),
        "micro_f1": round(micro, 4),
        "top1_accuracy": round(float(top1[positive].mean()) if positive.any() else 0.0, 4),
        "top3_accuracy": round(float(top3[positive].mean()) if positive.any() else 0.0, 4),
        "per_goal": per_goal,
        "confusion": confusion.tolist(),
    }
    if (~positive).any():
        none = ~decided.any(axis=1)
        out["no_sdg"] = {
            "negatives": int((~positive).sum()),
            "negatives_left_unlabelled": round(float(none[~positive].mean()), 4),
            "positives_wrongly_unlabelled": round(float(none[positive].mean()), 4)
            if positive.any() else None,
        }
    return out


def decisions(scores: np.ndarray, thresholds: np.ndarray, floor: float = 0.0) -> np.ndarray:
    """(N, 17) booleans: goals at or above their threshold, and always the best goal of a text
    that passes the "no SDG" floor (a text that addresses an SDG addresses at least one).
    Nothing for a text whose best score is below the floor."""
    if len(scores) == 0:
        return np.zeros((0, 17), dtype=bool)
    above = scores >= thresholds[None, :]
    above[np.arange(len(scores)), scores.argmax(axis=1)] = True
    return above & (scores.max(axis=1, keepdims=True) >= floor)


def best_threshold(scores: np.ndarray, gold: np.ndarray, grid: np.ndarray | None = None
                   ) -> tuple[float, float]:
    """Threshold maximising F1 for one goal, and that F1."""
    grid = np.arange(0.05, 0.951, 0.025) if grid is None else grid
    best = (0.5, -1.0)
    for t in grid:
        d = scores >= t
        tp = (d & gold).sum()
        f = 2 * tp / (d.sum() + gold.sum()) if tp else 0.0
        if f > best[1]:
            best = (float(t), float(f))
    return best
