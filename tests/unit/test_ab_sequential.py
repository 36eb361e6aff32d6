"""Always-valid looks: the win share's mixture SPRT and confidence sequence equal savvi's ``Multinomial``
(Lindon & Malek's Dirichlet-multinomial test with two cells) look by look; the normal-mixture SPRT's p-value and
confidence sequence agree (p ≤ α exactly when 0 is outside the sequence) and a planted effect stops it."""

from __future__ import annotations

import numpy as np
import pytest
from savvi.multinomial import Multinomial

from reeltag.ab.sequential import normal_mixture, win_share_sequence

ALPHA, K = 0.05, 100.0


@pytest.mark.parametrize("share", [0.5, 0.56])
def test_win_share_sequence_equals_savvi_look_by_look(share: float) -> None:
    rng = np.random.default_rng(3)
    theirs = Multinomial(ALPHA, np.array([0.5, 0.5]), k=K)
    wins = losses = 0
    p = 1.0
    for look in range(1, 11):
        day = rng.binomial(200, share)
        theirs.update(np.array([day, 200 - day]))
        theirs.infer()
        wins, losses = wins + day, losses + 200 - day
        ours = win_share_sequence(wins, losses, k=K, alpha=ALPHA, look=look, previous_p=p)
        p = ours.p_value
        assert ours.p_value == pytest.approx(min(1.0, float(np.ravel(theirs.p_value)[0])), rel=1e-9)
        low, high = theirs.calculate_conf_int()[0]
        assert (ours.ci_low, ours.ci_high) == pytest.approx((low, high), abs=1e-4)
    assert ours.stop == (share != 0.5)


def test_normal_mixture_p_and_sequence_agree() -> None:
    for delta in np.linspace(-0.05, 0.05, 41):
        look = normal_mixture(float(delta), 1e-4, tau2=1e-4, alpha=ALPHA)
        assert look.stop == (look.ci_low > 0 or look.ci_high < 0), delta


def test_the_normal_mixture_is_wider_than_a_fixed_horizon_ci_and_keeps_its_minimum_p() -> None:
    look = normal_mixture(0.02, 1e-4, tau2=1e-4, alpha=ALPHA)
    assert look.ci_high - look.ci_low > 2 * 1.96 * 1e-2
    later = normal_mixture(0.0, 1e-4, tau2=1e-4, alpha=ALPHA, look=2, previous_p=0.01)
    assert later.p_value == 0.01 and later.stop
