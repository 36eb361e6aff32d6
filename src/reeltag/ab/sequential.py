"""Always-valid inference for the online experiment's daily looks, pure (numpy + scipy): a p-value and a confidence
sequence that stay valid however often the experiment is looked at and whenever it is stopped.

- Split test (a difference of means with estimated variance ``V``): the normal-mixture SPRT of Johari, Pekelis &
  Walsh ("Always valid inference", Operations Research 2022) with mixing variance ``τ²``:
  ``Λ = sqrt(V / (V + τ²)) · exp(τ² Δ² / (2 V (V + τ²)))``, p = min over looks of 1/Λ, and the confidence sequence
  ``Δ ± sqrt(V (V + τ²) / τ² · (log((V + τ²) / V) + 2 log(1/α)))`` (Howard, Ramdas, McAuliffe & Sekhon 2021).
- Interleaving win share (wins among decided queries, null ½): the beta-binomial mixture (Dirichlet-multinomial
  with two cells, concentration ``k``) of Lindon & Malek (2022), as ``savvi.Multinomial`` computes it (checked
  against it in ``tests/unit/test_ab_sequential.py``); the confidence sequence is its set of shares not rejected.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import optimize, special


@dataclass(frozen=True, kw_only=True)
class AlwaysValid:
    """One look: the always-valid p (the running minimum over the looks so far) and confidence sequence."""

    look: int  # 1, 2, … (one a day)
    estimate: float
    p_value: float
    ci_low: float
    ci_high: float
    alpha: float

    @property
    def stop(self) -> bool:
        """The null (no difference; a share of ½) is rejected at this look: the experiment may stop."""
        return self.p_value <= self.alpha


def normal_mixture(
    delta: float, variance: float, *, tau2: float, alpha: float, look: int = 1, previous_p: float = 1.0
) -> AlwaysValid:
    """The mSPRT look at a difference ``delta`` whose estimate has variance ``variance`` (e.g. s²_c/n_c + s²_t/n_t)."""
    if not variance > 0 or not math.isfinite(delta):
        return AlwaysValid(look=look, estimate=delta, p_value=previous_p, ci_low=-math.inf, ci_high=math.inf, alpha=alpha)
    total = variance + tau2
    log_lr = 0.5 * math.log(variance / total) + tau2 * delta * delta / (2 * variance * total)
    half = math.sqrt(variance * total / tau2 * (math.log(total / variance) + 2 * math.log(1 / alpha)))
    p = min(previous_p, 1.0, math.exp(-log_lr))
    return AlwaysValid(look=look, estimate=delta, p_value=p, ci_low=delta - half, ci_high=delta + half, alpha=alpha)


def _log_odds(wins: int, losses: int, share: float, k: float) -> float:
    """log of the beta-binomial mixture over Bernoulli(``share``): the evidence against that share."""
    a = k / 2
    mixture = special.betaln(a + wins, a + losses) - special.betaln(a, a)
    return float(mixture - special.xlogy(wins, share) - special.xlogy(losses, 1 - share))


def win_share_sequence(wins: int, losses: int, *, k: float, alpha: float, look: int = 1, previous_p: float = 1.0) -> AlwaysValid:
    """The always-valid look at the treatment's share of decided interleaved queries (null: ½)."""
    decided = wins + losses
    if decided == 0:
        return AlwaysValid(look=look, estimate=math.nan, p_value=previous_p, ci_low=0.0, ci_high=1.0, alpha=alpha)
    share, bound = wins / decided, math.log(1 / alpha)
    p = min(previous_p, 1.0, math.exp(-_log_odds(wins, losses, 0.5, k)))
    rejected = lambda s: _log_odds(wins, losses, s, k) - bound  # noqa: E731 (> 0: s is outside the sequence)
    low = 0.0 if rejected(1e-12) <= 0 else optimize.brentq(rejected, 1e-12, share) if share > 0 else 0.0
    high = 1.0 if rejected(1 - 1e-12) <= 0 else optimize.brentq(rejected, share, 1 - 1e-12) if share < 1 else 1.0
    return AlwaysValid(look=look, estimate=share, p_value=p, ci_low=float(low), ci_high=float(high), alpha=alpha)
