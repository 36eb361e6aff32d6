"""Online experiment statistics, pure (numpy + scipy): per-query outcomes from feedback event counts, per-variant
metrics, per-user bootstrap CIs of differences, interleaving win share with a binomial CI, and the
sample-ratio-mismatch (SRM) chi-square guardrail."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from reeltag.ab.event_log import QueryCounts

METRICS = ("success", "ctr", "rr", "abandonment")
RESAMPLE_CHUNK = 100
MIN_USERS_PER_ARM = 10  # below this a per-user bootstrap CI means nothing: it is reported as (-inf, inf)


@dataclass(frozen=True, kw_only=True)
class Outcomes:
    """Per-query numerators and denominators: each metric is sum(num) / sum(den) over a set of queries."""

    user: np.ndarray  # int user code per query
    num: Mapping[str, np.ndarray]
    den: Mapping[str, np.ndarray]


def outcomes(user: np.ndarray, counts: QueryCounts) -> Outcomes:
    """Success (a click or play at position <= top), CTR@top (clicks <= top / results shown <= top), reciprocal rank
    of the first click (0 without one), abandonment (no click or play at all) per query."""
    ones = np.ones(len(user))
    first = counts.first_click.astype(float)
    num = {
        "success": (counts.engaged_top > 0).astype(float),
        "ctr": counts.clicks_top.astype(float),
        "rr": np.divide(1.0, first, out=np.zeros_like(first), where=first > 0),
        "abandonment": (counts.engaged == 0).astype(float),
    }
    den = {"success": ones, "ctr": np.minimum(counts.shown, counts.top).astype(float), "rr": ones, "abandonment": ones}
    return Outcomes(user=user, num=num, den=den)


def _per_user(o: Outcomes, mask: np.ndarray) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    _, codes = np.unique(o.user[mask], return_inverse=True)
    num = {m: np.bincount(codes, weights=o.num[m][mask]) for m in METRICS}
    den = {m: np.bincount(codes, weights=o.den[m][mask]) for m in METRICS}
    return num, den


@dataclass(frozen=True, kw_only=True)
class Delta:
    metric: str
    control: float
    treatment: float
    delta: float
    ci_low: float
    ci_high: float

    @property
    def significant(self) -> bool:
        return self.ci_low > 0 or self.ci_high < 0


def _ratio(num: np.ndarray, den: np.ndarray) -> float:
    total = float(den.sum())
    return float(num.sum()) / total if total > 0 else float("nan")


def _resampled(num: np.ndarray, den: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Ratio-of-sums over users drawn with replacement, ``n_boot`` times (in chunks to bound memory)."""
    out = np.empty(n_boot)
    for start in range(0, n_boot, RESAMPLE_CHUNK):
        size = min(RESAMPLE_CHUNK, n_boot - start)
        idx = rng.integers(0, len(num), size=(size, len(num)))
        with np.errstate(invalid="ignore", divide="ignore"):
            out[start : start + size] = num[idx].sum(axis=1) / den[idx].sum(axis=1)
    return out


def deltas(
    o: Outcomes, variant: np.ndarray, control: str, treatment: str, n_boot: int, seed: int, confidence: float = 0.95
) -> tuple[Delta, ...]:
    """treatment − control of every metric, with a per-user percentile bootstrap CI (users resampled
    within each variant: a user's queries stay together; unbounded below MIN_USERS_PER_ARM users in an arm)."""
    rng = np.random.default_rng(seed)
    (cn, cd), (tn, td) = _per_user(o, variant == control), _per_user(o, variant == treatment)
    tail, enough = (1 - confidence) / 2 * 100, min(len(cd["success"]), len(td["success"])) >= MIN_USERS_PER_ARM
    rows = []
    for m in METRICS:
        low, high = -np.inf, np.inf
        if enough:
            boot = _resampled(tn[m], td[m], n_boot, rng) - _resampled(cn[m], cd[m], n_boot, rng)
            low, high = np.nanpercentile(boot, [tail, 100 - tail])
        c, t = _ratio(cn[m], cd[m]), _ratio(tn[m], td[m])
        rows.append(Delta(metric=m, control=c, treatment=t, delta=t - c, ci_low=float(low), ci_high=float(high)))
    return tuple(rows)


def variant_metrics(o: Outcomes, variant: np.ndarray, name: str) -> dict[str, float]:
    mask = variant == name
    return {m: _ratio(o.num[m][mask], o.den[m][mask]) for m in METRICS} | {"queries": float(mask.sum())}


@dataclass(frozen=True, kw_only=True)
class WinShare:
    wins: int  # queries won by the treatment
    losses: int
    ties: int
    share: float  # wins / (wins + losses)
    ci_low: float
    ci_high: float
    p_value: float  # two-sided binomial test of share = 0.5

    @property
    def significant(self) -> bool:
        return self.ci_low > 0.5 or self.ci_high < 0.5


def win_share(wins: int, losses: int, ties: int, confidence: float = 0.95) -> WinShare:
    """The treatment's share of decided interleaved queries, with a Clopper-Pearson CI."""
    decided = wins + losses
    if decided == 0:
        nan = float("nan")
        return WinShare(wins=0, losses=0, ties=ties, share=nan, ci_low=nan, ci_high=nan, p_value=1.0)
    test = stats.binomtest(wins, decided, 0.5)
    ci = test.proportion_ci(confidence_level=confidence, method="exact")
    return WinShare(
        wins=wins,
        losses=losses,
        ties=ties,
        share=wins / decided,
        ci_low=float(ci.low),
        ci_high=float(ci.high),
        p_value=float(test.pvalue),
    )


@dataclass(frozen=True, kw_only=True)
class SampleRatio:
    counts: Mapping[str, int]
    expected_shares: Mapping[str, float]
    p_value: float
    mismatch: bool


def sample_ratio(counts: Mapping[str, int], shares: Mapping[str, float], alpha: float) -> SampleRatio:
    """Chi-square of the assigned users per variant against the configured shares; p < alpha is a mismatch."""
    names: Sequence[str] = list(shares)
    observed = np.array([counts.get(v, 0) for v in names], dtype=float)
    total_share = float(sum(shares.values()))
    expected = {v: shares[v] / total_share for v in names}
    if observed.sum() == 0:
        return SampleRatio(counts=dict(counts), expected_shares=expected, p_value=1.0, mismatch=False)
    p = float(stats.chisquare(observed, observed.sum() * np.array([expected[v] for v in names])).pvalue)
    return SampleRatio(counts=dict(counts), expected_shares=expected, p_value=p, mismatch=p < alpha)
