"""Drift measures per ingest (``reeltag.tag2vec.drift``): a planted trend in a generated 30-day stream is detected
on its day, and the same posts shuffled over the days (no trend) raise no alarm."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from reeltag.config import DriftSection
from reeltag.tag2vec.drift import DriftCheck, check_drift, js_divergence, new_tag_share

TOPICS, TAGS_PER_TOPIC, POSTS_PER_DAY, BURST_DAY = 8, 25, 150, 20
BURST = {20: 0.4, 21: 0.3, 22: 0.2}  # day → share of posts carrying the new tag #newtrend (then 3 % a day)


def _post(rng: np.random.Generator, day: int | None) -> list[str]:
    topic = int(rng.integers(TOPICS))
    weights = 1.0 / np.arange(1, TAGS_PER_TOPIC + 1)  # Zipf within a topic
    picks = rng.choice(TAGS_PER_TOPIC, size=int(rng.integers(2, 5)), replace=False, p=weights / weights.sum())
    tags = [f"t{topic}_{int(i)}" for i in picks]
    share = BURST.get(day, 0.03 if day and day > BURST_DAY else 0.0) if day else 0.0
    return tags + ["newtrend"] if rng.random() < share else tags


def _world(seed: int) -> tuple[list[list[str]], list[list[list[str]]]]:
    rng = np.random.default_rng(seed)
    reference = [_post(rng, None) for _ in range(10 * POSTS_PER_DAY)]  # the champion's window: 10 earlier days
    days = [[_post(rng, day) for _ in range(POSTS_PER_DAY)] for day in range(1, 31)]
    return reference, days


def _checks(reference: list[list[str]], days: list[list[list[str]]]) -> list[DriftCheck]:
    vocabulary = {t for t, n in Counter(t for p in reference for t in p).items() if n >= 2}
    return [check_drift(reference, day, vocabulary=vocabulary, min_count=2, cfg=DriftSection()) for day in days]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_planted_burst_alarms_on_its_day_and_not_before(seed: int) -> None:
    reference, days = _world(seed)
    alarms = [day for day, check in enumerate(_checks(reference, days), start=1) if check.alarm]
    assert alarms and alarms[0] in (BURST_DAY, BURST_DAY + 1), alarms
    assert "newtrend" in _checks(reference, days)[alarms[0] - 1].measures.top_new


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_same_stream_shuffled_raises_no_alarm_in_30_days(seed: int) -> None:
    reference, days = _world(seed)
    posts = [p for day in days for p in day]
    np.random.default_rng(100 + seed).shuffle(posts)  # type: ignore[arg-type]
    shuffled = [posts[i * POSTS_PER_DAY : (i + 1) * POSTS_PER_DAY] for i in range(30)]
    checks = _checks(reference, shuffled)
    assert not [c.reasons for c in checks if c.alarm]
    assert all(c.measures.new_tag_share > 0 for c in checks)  # the trend's posts are there, spread over the month


def test_measures_on_known_tables() -> None:
    assert js_divergence(Counter(a=1), Counter(b=1)) == pytest.approx(1.0)
    assert js_divergence(Counter(a=2, b=2), Counter(a=5, b=5)) == pytest.approx(0.0)
    assert new_tag_share(Counter(a=3, b=1), {"a"}) == pytest.approx(0.25)


def test_small_batches_never_alarm_and_say_why() -> None:
    reference, days = _world(0)
    check = check_drift(reference, days[19][:10], vocabulary={"t0_0"}, min_count=2, cfg=DriftSection())
    assert not check.alarm and "too few posts" in check.reasons[0]
