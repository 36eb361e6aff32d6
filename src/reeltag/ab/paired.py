"""Paired per-topic comparison of two systems A and B on the same topics (pure numpy + scipy).

Deltas are ``B − A`` per topic: mean delta, a paired bootstrap percentile CI (topics resampled with
replacement), the Wilcoxon signed-rank p-value (two-sided; zero deltas dropped, p = 1 when every delta is
zero: no evidence of a difference), and wins/ties/losses of B. Only topics both systems were scored on are
compared; the rest are counted in ``unpaired``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from reeltag.bootstrap import bootstrap_ci

TIE_TOLERANCE = 1e-12


@dataclass(frozen=True, kw_only=True)
class PairedComparison:
    metric: str
    n_topics: int
    mean_a: float
    mean_b: float
    mean_delta: float
    ci_low: float
    ci_high: float
    confidence: float
    wilcoxon_p: float
    wins: int
    ties: int
    losses: int
    unpaired: int
    resamples: int

    @property
    def ci_excludes_zero(self) -> bool:
        return self.ci_low > 0 or self.ci_high < 0

    def metrics(self) -> dict[str, float]:
        """Statistics for MLflow and gates: ``ci_low/<m>``, ``ci_high/<m>``, ``wilcoxon_p/<m>``, wins/ties/losses.

        Means and deltas come from :func:`reeltag.registry.gates.comparison_metrics` (B = challenger).
        """
        m = self.metric
        return {
            f"ci_low/{m}": self.ci_low,
            f"ci_high/{m}": self.ci_high,
            f"wilcoxon_p/{m}": self.wilcoxon_p,
            f"wins/{m}": self.wins,
            f"ties/{m}": self.ties,
            f"losses/{m}": self.losses,
            f"n_topics/{m}": self.n_topics,
        }


def paired_deltas(a: Mapping[str, float], b: Mapping[str, float]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Shared topics (sorted) with A's and B's values."""
    topics = sorted(set(a) & set(b))
    if not topics:
        raise ValueError("the two systems share no scored topic; nothing to compare")
    return topics, np.array([a[t] for t in topics], dtype=float), np.array([b[t] for t in topics], dtype=float)


def wilcoxon_p(deltas: np.ndarray) -> float:
    from scipy.stats import wilcoxon

    if np.all(np.abs(deltas) <= TIE_TOLERANCE):
        return 1.0
    return float(wilcoxon(deltas, zero_method="wilcox", alternative="two-sided").pvalue)


def compare_paired(
    a: Mapping[str, float], b: Mapping[str, float], metric: str, resamples: int = 2000, seed: int = 11, confidence: float = 0.95
) -> PairedComparison:
    """Compare B against A topic by topic (see the module docstring)."""
    topics, va, vb = paired_deltas(a, b)
    deltas = vb - va
    low, high = bootstrap_ci(deltas, resamples, seed, confidence)
    return PairedComparison(
        metric=metric,
        n_topics=len(topics),
        mean_a=float(va.mean()),
        mean_b=float(vb.mean()),
        mean_delta=float(deltas.mean()),
        ci_low=low,
        ci_high=high,
        confidence=confidence,
        wilcoxon_p=wilcoxon_p(deltas),
        wins=int(np.sum(deltas > TIE_TOLERANCE)),
        ties=int(np.sum(np.abs(deltas) <= TIE_TOLERANCE)),
        losses=int(np.sum(deltas < -TIE_TOLERANCE)),
        unpaired=len(set(a) ^ set(b)),
        resamples=resamples,
    )
