"""A2: daily looks at an online experiment, 1,000 simulated experiments × 30 looks (one a day), seeded.

A/A (no effect): the share of experiments a fixed-horizon test (z for the split success delta, the exact binomial
CI for the interleaving win share) calls significant at some daily look, against the always-valid tests of
:mod:`reeltag.ab.sequential` (normal-mixture SPRT; beta-binomial mixture), both at α = 0.05. Planted +5 % (success
0.30 → 0.315 in the split; win share 0.5 → 0.525): the median day at which the always-valid test stops (30 when it
never did) and the share stopped by day 30."""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats

from reeltag.ab.sequential import AlwaysValid, normal_mixture, win_share_sequence

EXPERIMENTS, LOOKS, ALPHA = 1000, 30, 0.05
USERS_PER_DAY, BASE, DECIDED_PER_DAY = 1000, 0.30, 300  # per arm; success rate; decided interleaved queries
TAU2, K = (0.05 * BASE) ** 2, 100.0  # the split's mixing variance: a +5 % effect's square


def _split_days(rng: np.random.Generator, lift: float) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative successes per look of each arm, (experiments, looks)."""
    control = rng.binomial(USERS_PER_DAY, BASE, size=(EXPERIMENTS, LOOKS)).cumsum(axis=1)
    treatment = rng.binomial(USERS_PER_DAY, BASE * (1 + lift), size=(EXPERIMENTS, LOOKS)).cumsum(axis=1)
    return control, treatment


def _split_looks(control: np.ndarray, treatment: np.ndarray, look: int) -> tuple[bool, AlwaysValid]:
    """(fixed-horizon significant, the always-valid look) of one experiment's look ``look`` (1-based)."""
    n = USERS_PER_DAY * look
    pc, pt = control[look - 1] / n, treatment[look - 1] / n
    variance = (pc * (1 - pc) + pt * (1 - pt)) / n
    return abs(pt - pc) > stats.norm.ppf(1 - ALPHA / 2) * np.sqrt(variance), normal_mixture(
        float(pt - pc), float(variance), tau2=TAU2, alpha=ALPHA, look=look
    )


def _share_looks(wins: np.ndarray, look: int) -> tuple[bool, AlwaysValid]:
    w, n = int(wins[look - 1]), DECIDED_PER_DAY * look
    fixed = stats.binomtest(w, n, 0.5).pvalue <= ALPHA
    return fixed, win_share_sequence(w, n - w, k=K, alpha=ALPHA, look=look)


def _experiment(looks: Any) -> tuple[bool, bool, int]:
    """(fixed-horizon ever significant, always-valid ever stopped, the day it stopped; LOOKS when it never did)."""
    fixed_any, stopped = False, None
    for look in range(1, LOOKS + 1):
        fixed, valid = looks(look)
        fixed_any = fixed_any or fixed
        stopped = look if valid.stop and stopped is None else stopped
    return fixed_any, stopped is not None, stopped or LOOKS


def simulate(kind: str, lift: float, seed: int) -> dict[str, float]:
    """Rates over EXPERIMENTS of one kind (split | share) with a planted relative ``lift``."""
    rng = np.random.default_rng(seed)
    if kind == "split":
        control, treatment = _split_days(rng, lift)
        found = [_experiment(lambda k, i=i: _split_looks(control[i], treatment[i], k)) for i in range(EXPERIMENTS)]
    else:
        wins = rng.binomial(DECIDED_PER_DAY, 0.5 * (1 + lift), size=(EXPERIMENTS, LOOKS)).cumsum(axis=1)
        found = [_experiment(lambda k, i=i: _share_looks(wins[i], k)) for i in range(EXPERIMENTS)]
    fixed, valid, days = (np.array(c) for c in zip(*found))
    return {"fixed_any": float(fixed.mean()), "valid_any": float(valid.mean()), "median_days": float(np.median(days))}


def run(repeats: int = 1) -> dict[str, Any]:
    rows = {
        f"{kind}/{name}": simulate(kind, lift, seed=7)
        for kind in ("split", "share")
        for name, lift in (("aa", 0.0), ("plus5", 0.05))
    }
    aa = {k: v for k, v in rows.items() if k.endswith("/aa")}
    return {
        "figure": f"daily looks, {EXPERIMENTS} experiments × {LOOKS}: A/A false positives fixed-horizon vs always-valid; +5 % days to stop",
        "summary": " · ".join(
            f"{k.split('/')[0]}: FPR {v['fixed_any']:.1%} vs {v['valid_any']:.1%}, +5 % stops day {rows[k.replace('aa', 'plus5')]['median_days']:.0f}"
            for k, v in aa.items()
        ),
        **{k: {m: round(x, 4) for m, x in v.items()} for k, v in rows.items()},
    }
