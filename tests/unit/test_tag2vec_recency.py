"""Recency-weighted training sets and the paired bootstrap of trend following."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from reeltag.tag2vec.following import PostHits, mean_interval, paired_difference
from reeltag.tag2vec.recency import Recency, weighted_posts

MONTHS = {f"2013-0{i}": [[f"m{i}", f"p{j}"] for j in range(200)] for i in range(1, 6)}


def _months_seen(recency: Recency) -> Counter[str]:
    return Counter(post[0] for post in weighted_posts(MONTHS, "2013-04", recency, seed=1))


def test_a_window_keeps_only_its_latest_months_and_nothing_after_through() -> None:
    seen = _months_seen(Recency(name="w", window=2, boost=1.0, half_life=None))
    assert seen == Counter({"m4": 200, "m3": 200})


def test_decay_boosts_the_newest_month_and_samples_older_ones() -> None:
    seen = _months_seen(Recency(name="d", window=None, boost=4.0, half_life=1.0))
    assert seen["m4"] == 800 and seen["m3"] == 400 and seen["m2"] == 200 and 60 < seen["m1"] < 140 and "m5" not in seen


def test_paired_difference_brackets_a_real_gain_and_straddles_none() -> None:
    rng = np.random.default_rng(0)
    queries = np.full(500, 2)
    base = rng.binomial(2, 0.2, size=500)
    better = np.minimum(base + rng.binomial(1, 0.2, size=500), 2)
    gain = paired_difference([PostHits(hits=better, queries=queries)], [PostHits(hits=base, queries=queries)])
    assert 0 < gain.low < gain.delta < gain.high
    same = paired_difference([PostHits(hits=base, queries=queries)], [PostHits(hits=base, queries=queries)])
    assert same.low == same.delta == same.high == 0.0


def test_a_models_own_interval_is_wider_than_the_paired_one() -> None:
    """The own interval carries the posts' difficulty, which pairing cancels: a gain the paired interval sees can
    sit inside the better model's own interval (why `tag2vec follow` reports both)."""
    rng = np.random.default_rng(0)
    queries = np.full(500, 2)
    base = rng.binomial(2, 0.2, size=500)
    better = np.minimum(base + rng.binomial(1, 0.05, size=500), 2)
    a, b = [PostHits(hits=better, queries=queries)], [PostHits(hits=base, queries=queries)]
    own, gain = mean_interval(a), paired_difference(a, b)
    assert own.mean - mean_interval(b).mean == pytest.approx(gain.delta) and own.low < own.mean < own.high
    assert gain.low > 0 and own.high - own.low > 2 * (gain.high - gain.low)
    assert own.low < mean_interval(b).mean  # the worse model's mean is inside the better one's own interval


def test_the_recent_setting_names_itself_and_refuses_undated_posts() -> None:
    from reeltag.config import Tag2VecSection
    from reeltag.errors import BadInput
    from reeltag.tag2vec.recency import from_settings, recent_training_set

    assert from_settings(Tag2VecSection()) == Recency(name="decay-h2-x4", window=None, boost=4.0, half_life=2.0)
    posts = [["a", "b"], ["c", "d"], ["e", "f"]]
    found = recent_training_set(
        posts,
        ["2013-01-05T00:00:00Z", "2013-03-01T00:00:00Z", "2013-03-02T00:00:00Z"],
        Recency(name="w", window=1, boost=2.0, half_life=None),
        seed=1,
    )
    assert found.months == ("2013-03",) and sorted(map(tuple, found.posts)) == [("c", "d")] * 2 + [("e", "f")] * 2
    with pytest.raises(BadInput, match="1 of 3 have none"):
        recent_training_set(posts, ["2013-01-05T00:00:00Z", None, "2013-03-02T00:00:00Z"], from_settings(Tag2VecSection()), 1)
