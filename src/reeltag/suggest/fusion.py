"""Fusing the suggestion branches (pure numpy): the visual mapper, visual kNN label transfer, the text
branch and, when the text model has a pretrained encoder (``text.encoder``), the encoder's own branch, plus the company's tag popularity (``prior``), each z-scored per video over the candidate tags and
summed with the weights of a small learned ranker (:func:`fit_ranker`, logistic regression per candidate).

A branch a video lacks (no usable text) is a constant row, so its z-score is 0 and the others decide; a branch
may also carry a per-video ``scale`` (the text branch's confidence) that multiplies its z-scores. Each suggested
tag is credited to the branch whose weighted z-score contributes most to it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from reeltag.mapper.evaluate import Truth, ranking_metrics
from reeltag.ranking import Scales, fuse, fused_parts

BRANCHES = ("mapper", "knn", "text", "encoder")  # where a suggested tag comes from (encoder: only with an encoder text model)
FEATURES = (*BRANCHES, "prior")  # what the ranker weighs: the branches and the labels' tag popularity


@dataclass(frozen=True, kw_only=True)
class FusionFit:
    weights: dict[str, float]  # per feature (branch or prior), absolute values summing to 1
    cv: dict[str, float]  # metrics of the fused ranking on the videos it was fitted on (out-of-fold scores)
    importance: dict[str, float]  # per feature: the drop of that mAP when the ranker is refitted without it


def label_prior(truth: Truth, n_candidates: int) -> np.ndarray:
    """log(1 + how many labelled videos carry each candidate tag): the company's own tag popularity (a tag of
    the Tag2Vec vocabulary it never uses scores 0)."""
    counts = np.zeros(n_candidates)
    for cols in truth.columns:
        counts[list(cols)] += 1.0
    return np.log1p(counts)


def fit_ranker(branches: Mapping[str, np.ndarray], truth: Truth, scales: Scales = None, l2: float = 1.0) -> FusionFit:
    """Logistic regression of "the tag is a label" on each candidate's per-video z-scores (one feature per
    branch, the ``scales`` applied), L2-penalised, by Newton's method; the coefficients, divided by the sum of
    their absolute values, are the weights of :func:`fuse` (the intercept does not change a ranking).

    ``importance`` of a feature: how much mAP on these videos drops when the ranker is refitted without it."""
    names = [b for b in FEATURES if b in branches]
    weights = _ranker_weights(branches, names, truth, scales, l2)
    cv = ranking_metrics(fuse(branches, weights, scales), truth)
    importance = {}
    for name in names:
        rest = [n for n in names if n != name]
        without = _ranker_weights(branches, rest, truth, scales, l2) if rest else {}
        importance[name] = cv["map"] - (ranking_metrics(fuse(branches, without, scales), truth)["map"] if rest else 0.0)
    return FusionFit(weights=weights, cv=cv, importance=importance)


def _ranker_weights(
    branches: Mapping[str, np.ndarray], names: Sequence[str], truth: Truth, scales: Scales, l2: float
) -> dict[str, float]:
    x = np.stack([fused_parts(branches, dict.fromkeys(names, 1.0), scales)[n].reshape(-1) for n in names], axis=1)
    y = _label_matrix(truth, x.shape[0] // len(truth.columns)).reshape(-1)
    coef = _newton_logistic(np.c_[x, np.ones(len(x))], y, l2)[:-1]
    return {n: float(c) for n, c in zip(names, coef / max(np.abs(coef).sum(), 1e-12))}


def _label_matrix(truth: Truth, n_candidates: int) -> np.ndarray:
    out = np.zeros((len(truth.columns), n_candidates))
    for row, cols in enumerate(truth.columns):
        out[row, list(cols)] = 1.0
    return out


def _newton_logistic(x: np.ndarray, y: np.ndarray, l2: float, steps: int = 25) -> np.ndarray:
    """Penalised logistic regression (last column the unpenalised intercept)."""
    w, penalty = np.zeros(x.shape[1]), np.r_[np.full(x.shape[1] - 1, l2), 0.0]
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -30.0, 30.0)))
        hessian = (x * (p * (1.0 - p))[:, None]).T @ x + np.diag(penalty) + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(hessian, x.T @ (p - y) + penalty * w)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def leading_branch(
    branches: Mapping[str, np.ndarray], weights: Mapping[str, float], row: int, columns: Sequence[int], scales: Scales = None
) -> list[str]:
    """For tags ``columns`` of video ``row``: the branch contributing most to each one's fused score."""
    rows = {n: s[row : row + 1] for n, s in branches.items()}
    picked = {n: np.asarray(v)[row : row + 1] for n, v in (scales or {}).items()}
    parts = fused_parts({n: s for n, s in rows.items() if n in BRANCHES}, weights, picked)
    names = list(parts)
    stacked = np.stack([parts[n][0] for n in names])
    return [names[int(np.argmax(stacked[:, c]))] for c in columns]
