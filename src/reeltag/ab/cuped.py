"""CUPED (Deng, Xu, Kohavi & Walker, WSDM 2013) for a per-user ratio of means, pure (numpy + scipy): each arm's
ratio sum(num) / sum(den) over its users, adjusted by the same users' ratio in a pre-period,
``y − θ (x − x̄)`` with θ = cov(y, x) / var(x) of both arms pooled, variances by the delta method, a Welch t CI.
The same estimator as tea-tasting's ``RatioOfMeans(numer, denom, numer_covariate, denom_covariate)`` (checked
against it in ``tests/unit/test_ab_cuped.py``); a user without pre-period queries has covariate 0 / 0 and adds to
the counts only."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True, kw_only=True)
class PerUser:
    """One arm's users: the metric's numerator and denominator in the experiment period and in the pre-period."""

    num: np.ndarray
    den: np.ndarray
    pre_num: np.ndarray
    pre_den: np.ndarray


@dataclass(frozen=True, kw_only=True)
class Cuped:
    metric: str
    pre_days: int  # the pre-period: this many days before the experiment day
    users_with_pre: int  # users of both arms with pre-period queries
    theta: float
    raw_delta: float  # treatment − control without the adjustment
    delta: float  # treatment − control, CUPED-adjusted
    ci_low: float
    ci_high: float
    variance_reduction: float  # 1 − var(adjusted delta) / var(raw delta)


def _cov(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.cov(a, b, ddof=1)[0, 1]) if len(a) > 1 else 0.0


def _ratio_cov(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> float:
    """Sample covariance of two per-user ratios of means (delta method)."""
    (an, ad), (bn, bd) = a, b
    ra, rb = an.mean() / ad.mean(), bn.mean() / bd.mean()
    top = _cov(an, bn) - _cov(an, bd) * rb - _cov(ad, bn) * ra + _cov(ad, bd) * ra * rb
    return float(top / ad.mean() / bd.mean())


def ratio_difference(control: tuple[np.ndarray, np.ndarray], treatment: tuple[np.ndarray, np.ndarray]) -> tuple[float, float]:
    """treatment − control of a per-user ratio of means (num, den per user) and the variance of that difference
    (delta method; each arm needs 2+ users)."""
    parts = [(float(n.sum() / d.sum()), _ratio_cov((n, d), (n, d)) / len(n)) for n, d in (control, treatment)]
    return parts[1][0] - parts[0][0], parts[0][1] + parts[1][1]


def _pooled(c: PerUser, t: PerUser) -> PerUser:
    return PerUser(**{k: np.concatenate([getattr(c, k), getattr(t, k)]) for k in ("num", "den", "pre_num", "pre_den")})


def _theta(arm: PerUser) -> float:
    y, x = (arm.num, arm.den), (arm.pre_num, arm.pre_den)
    var_x = _ratio_cov(x, x) if arm.pre_den.sum() > 0 else 0.0
    return _ratio_cov(y, x) / var_x if var_x > 0 else 0.0


def _mean_var(arm: PerUser, theta: float, x_mean: float) -> tuple[float, float]:
    """The arm's adjusted ratio and the per-user variance of it."""
    y, x = (arm.num, arm.den), (arm.pre_num, arm.pre_den)
    has_pre = arm.pre_den.sum() > 0
    x_ratio = arm.pre_num.mean() / arm.pre_den.mean() if has_pre else x_mean
    mean = arm.num.mean() / arm.den.mean() - theta * (x_ratio - x_mean)
    adjust = theta * theta * _ratio_cov(x, x) - 2 * theta * _ratio_cov(y, x) if theta and has_pre else 0.0
    return float(mean), float(_ratio_cov(y, y) + adjust)


def _welch(c: tuple[float, float, int], t: tuple[float, float, int], confidence: float) -> tuple[float, float, float]:
    """(delta, half-width of the CI, scale) of treatment − control: Welch's t."""
    (cm, cv, cn), (tm, tv, tn) = c, t
    scale = math.sqrt(cv / cn + tv / tn)
    df = (cv / cn + tv / tn) ** 2 / ((cv / cn) ** 2 / (cn - 1) + (tv / tn) ** 2 / (tn - 1)) if scale > 0 else 1.0
    return tm - cm, float(stats.t(df=df).ppf((1 + confidence) / 2) * scale), scale


def cuped(metric: str, control: PerUser, treatment: PerUser, *, pre_days: int, confidence: float = 0.95) -> Cuped:
    """The CUPED-adjusted treatment − control of a ratio metric beside the raw one (both arms need 2+ users)."""
    total = _pooled(control, treatment)
    theta = _theta(total)
    x_mean = total.pre_num.mean() / total.pre_den.mean() if total.pre_den.sum() > 0 else 0.0
    arms = [(*_mean_var(a, th, x_mean), len(a.num)) for a in (control, treatment) for th in (0.0, theta)]
    raw, _, raw_scale = _welch(arms[0], arms[2], confidence)
    delta, half, scale = _welch(arms[1], arms[3], confidence)
    return Cuped(
        metric=metric,
        pre_days=pre_days,
        users_with_pre=int((total.pre_den > 0).sum()),
        theta=theta,
        raw_delta=raw,
        delta=delta,
        ci_low=delta - half,
        ci_high=delta + half,
        variance_reduction=1 - (scale / raw_scale) ** 2 if raw_scale > 0 else 0.0,
    )
