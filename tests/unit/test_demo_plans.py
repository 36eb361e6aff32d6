"""Planning demo videos: durations, sizes, segments, tags and splits."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from reeltag.demo.plans import (
    FRAME_RATES,
    FRAME_SIZES,
    plan_caption_videos,
    plan_labelled,
    segment_lengths,
    segment_rows,
    split_for,
)
from reeltag.demo.world import CATEGORIES, caption, category_by_name


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


@pytest.mark.parametrize("n_frames,n_segments", [(16, 1), (20, 2), (72, 3)])
def test_segment_lengths_cover_the_video(n_frames: int, n_segments: int) -> None:
    lengths = segment_lengths(rng(), n_frames, n_segments)
    assert sum(lengths) == n_frames and len(lengths) == n_segments and min(lengths) > 0


def test_split_is_stratified() -> None:
    assert Counter(split_for(i, 12) for i in range(12)) == {"train": 8, "val": 2, "test": 2}
    assert Counter(split_for(i, 3) for i in range(3)) == {"train": 1, "val": 1, "test": 1}
    assert {split_for(i, 2) for i in range(2)} == {"train"}


def test_labelled_plans_are_balanced_and_tagged_by_their_scenes() -> None:
    videos = plan_labelled(rng(), "label", 6, (2.0, 6.0))
    assert len(videos) == 6 * len(CATEGORIES)
    assert len({v.plan.path for v in videos}) == len(videos)
    for video in videos:
        plan = video.plan
        assert (plan.width, plan.height) in FRAME_SIZES and plan.fps in FRAME_RATES
        assert plan.width % 2 == 0 and plan.height % 2 == 0
        assert 2.0 <= plan.duration_s <= 6.0 + 1.0 / plan.fps and 1 <= len(plan.segments) <= 3
        names = [s.category for s in plan.segments]
        assert None not in names and len(set(names)) == len(names)
        pools = [set(category_by_name(str(n)).tags) for n in names]
        assert set(video.tags) <= set().union(*pools)
        assert all(pool & set(video.tags) for pool in pools)  # every segment's category is tagged


def test_shifted_plans_use_the_shifted_vocabulary() -> None:
    videos = plan_labelled(rng(1), "shift", 3, (2.0, 4.0), shifted=True)
    shifted = {t for c in CATEGORIES for t in c.shifted_tags}
    assert all(set(v.tags) <= shifted for v in videos)
    assert Counter(v.split for v in videos) == {"train": 8, "val": 8, "test": 8}


def test_every_category_is_primary_equally_often() -> None:
    videos = plan_labelled(rng(2), "label", 4, (2.0, 6.0))
    seen = Counter(name for v in videos for name in {s.category for s in v.plan.segments})
    assert all(seen[c.name] >= 4 for c in CATEGORIES)


def test_segment_rows_give_times_and_captions() -> None:
    plan = plan_caption_videos(rng(3), 4, (2.0, 6.0))[0]
    rows = segment_rows(plan, "captions")
    assert [r["segment"] for r in rows] == list(range(len(plan.segments)))
    assert rows[0]["start_s"] == 0.0 and rows[-1]["end_s"] == round(plan.duration_s, 4)
    for row, seg in zip(rows, plan.segments):
        assert row["caption"] == caption(seg.scene) and row["seed"] == seg.seed
        assert row["end_frame"] - row["start_frame"] == seg.n_frames  # type: ignore[operator]


def test_plans_are_reproducible() -> None:
    assert plan_labelled(rng(9), "label", 2, (2.0, 3.0)) == plan_labelled(rng(9), "label", 2, (2.0, 3.0))
