"""Drift measures per ingest (``reeltag.tag2vec.drift``): a planted trend in a generated 30-day stream is detected
on its day, and the same posts shuffled over the days (no trend) raise no alarm; after a retrain on a burst, the
baseline on calm posts still sees a second wave that the burst would have hidden."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from reeltag.config import DriftSection
from reeltag.tag2vec.drift import DriftCheck, check_drift, js_divergence, new_tag_share

TOPICS, TAGS_PER_TOPIC, POSTS_PER_DAY, BURST_DAY = 8, 25, 150, 20
BURST = {20: 0.4, 21: 0.3, 22: 0.2}  # day → share of posts carrying the new tag #newtrend (then 3 % a day)


def _post(rng: np.random.Generator, day: int | None, burst_day: int = BURST_DAY, wave: float = 0.0) -> list[str]:
    """A post of one topic; ``#newtrend`` bursts on ``burst_day`` (``BURST``'s shares shifted), ``#secondwave`` is on
    ``wave`` of the posts from ``burst_day + 4`` on."""
    topic = int(rng.integers(TOPICS))
    weights = 1.0 / np.arange(1, TAGS_PER_TOPIC + 1)  # Zipf within a topic
    picks = rng.choice(TAGS_PER_TOPIC, size=int(rng.integers(2, 5)), replace=False, p=weights / weights.sum())
    tags = [f"t{topic}_{int(i)}" for i in picks]
    after = day - burst_day + BURST_DAY if day else 0
    share = BURST.get(after, 0.03 if after > BURST_DAY else 0.0) if day else 0.0
    tags += ["newtrend"] if rng.random() < share else []
    return tags + ["secondwave"] if day and day >= burst_day + 4 and rng.random() < wave else tags


def _world(seed: int, burst_day: int = BURST_DAY, wave: float = 0.0) -> tuple[list[list[str]], list[list[list[str]]]]:
    rng = np.random.default_rng(seed)
    reference = [_post(rng, None) for _ in range(10 * POSTS_PER_DAY)]  # the champion's window: 10 earlier days
    days = [[_post(rng, day, burst_day, wave) for _ in range(POSTS_PER_DAY)] for day in range(1, 31)]
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


def _ingest_walk(reference: list[list[str]], days: list[list[list[str]]], *, calm_baseline: bool) -> list[int]:
    """Daily ingests as ``ingest-corpus`` sees them: the batch is every post since the model's training; an alarm
    retrains on it (an alarmed batch, left out of the calm posts), else a weekly floor does (a calm batch)."""
    window, calm, since, alarms = list(reference), list(reference), [], []
    for day, posts in enumerate(days, start=1):
        since = since + posts
        vocabulary = {t for t, n in Counter(t for p in window for t in p).items() if n >= 2}
        kept = calm if calm_baseline else None
        if check_drift(window, since, vocabulary=vocabulary, min_count=2, cfg=DriftSection(), calm=kept).alarm:
            window, since, alarms = window + since, [], [*alarms, day]
        elif len(since) >= 7 * POSTS_PER_DAY:
            window, calm, since = window + since, calm + since, []
    return alarms


@pytest.mark.slow  # three 30-day walks per seed: ~8 s each on 2 shared cores
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_after_a_retrain_on_a_burst_a_second_wave_still_alarms(seed: int) -> None:
    """#newtrend bursts on day 10 (alarm on day 10 or 11, retrain), #secondwave is on 30 % of posts from day 14: against the calm
    baseline it alarms before the weekly floor (day 17); against the whole window, whose latest posts are the burst,
    it never does. Without the second wave the calm baseline raises no alarm after the burst's."""
    reference, days = _world(seed, burst_day=10, wave=0.3)
    calm = _ingest_walk(reference, days, calm_baseline=True)
    assert calm[0] in (10, 11) and len(calm) >= 2 and 14 <= calm[1] <= 17, calm
    assert _ingest_walk(reference, days, calm_baseline=False) == calm[:1]
    assert _ingest_walk(*_world(seed, burst_day=10), calm_baseline=True) == calm[:1]


def test_a_baseline_on_too_few_calm_posts_measures_the_whole_window() -> None:
    reference, days = _world(0)
    check = check_drift(reference, days[0], vocabulary={"t0_0"}, min_count=2, cfg=DriftSection(), calm=reference[:10])
    assert check.baseline_from == "whole window" and check.baseline_posts == len(reference)
    check = check_drift(reference, days[0], vocabulary={"t0_0"}, min_count=2, cfg=DriftSection(), calm=reference[:500])
    assert check.baseline_from == "calm posts" and check.baseline_posts == 500


def test_measures_on_known_tables() -> None:
    assert js_divergence(Counter(a=1), Counter(b=1)) == pytest.approx(1.0)
    assert js_divergence(Counter(a=2, b=2), Counter(a=5, b=5)) == pytest.approx(0.0)
    assert new_tag_share(Counter(a=3, b=1), {"a"}) == pytest.approx(0.25)


def test_small_batches_never_alarm_and_say_why() -> None:
    reference, days = _world(0)
    check = check_drift(reference, days[19][:10], vocabulary={"t0_0"}, min_count=2, cfg=DriftSection())
    assert not check.alarm and "too few posts" in check.reasons[0]
