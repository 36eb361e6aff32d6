"""Plan demo videos: which scenes, for how long, at what size and frame rate, with which tags.

Plans are pure values drawn from a numpy ``Generator``; rendering and writing happen elsewhere
(``reeltag.demo.render``, ``reeltag.demo.videos``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from reeltag.demo.world import (
    BACKGROUNDS,
    CATEGORIES,
    COLOURS,
    SHAPES,
    Category,
    Scene,
    allowed_motions,
    caption,
    category_for_scene,
)

FRAME_SIZES: tuple[tuple[int, int], ...] = ((96, 96), (128, 96), (160, 128))  # (width, height)
FRAME_RATES: tuple[int, ...] = (8, 10, 12)
MIN_SEGMENT_S = 0.6


@dataclass(frozen=True, kw_only=True)
class SegmentPlan:
    """One scene shown over frames [start_frame, end_frame); ``seed`` fixes its look."""

    scene: Scene
    start_frame: int
    end_frame: int
    seed: int

    @property
    def n_frames(self) -> int:
        return self.end_frame - self.start_frame

    @property
    def category(self) -> str | None:
        found = category_for_scene(self.scene)
        return found.name if found else None


@dataclass(frozen=True, kw_only=True)
class VideoPlan:
    """A video file (``path`` relative to its set's folder) made of consecutive segments."""

    path: str
    width: int
    height: int
    fps: int
    segments: tuple[SegmentPlan, ...]

    @property
    def n_frames(self) -> int:
        return self.segments[-1].end_frame

    @property
    def duration_s(self) -> float:
        return self.n_frames / self.fps


@dataclass(frozen=True)
class LabelledVideo:
    """A planned video with its company tags (with '#') and split."""

    plan: VideoPlan
    tags: tuple[str, ...]
    split: str


def segment_lengths(rng: np.random.Generator, n_frames: int, n_segments: int) -> list[int]:
    """Split ``n_frames`` into ``n_segments`` roughly equal positive parts."""
    weights = 1.0 + rng.uniform(-0.25, 0.25, size=n_segments)
    lengths = [int(n_frames * w / weights.sum()) for w in weights[:-1]]
    return [*lengths, n_frames - sum(lengths)]


def plan_video(rng: np.random.Generator, path: str, scenes: Sequence[Scene], duration_s: tuple[float, float]) -> VideoPlan:
    """Draw size, fps and duration, and lay ``scenes`` one after another."""
    width, height = FRAME_SIZES[int(rng.integers(len(FRAME_SIZES)))]
    fps = FRAME_RATES[int(rng.integers(len(FRAME_RATES)))]
    low = max(duration_s[0], MIN_SEGMENT_S * len(scenes))
    n_frames = round(rng.uniform(low, max(low, duration_s[1])) * fps)
    segments, start = [], 0
    for scene, length in zip(scenes, segment_lengths(rng, n_frames, len(scenes))):
        segments.append(SegmentPlan(scene=scene, start_frame=start, end_frame=start + length, seed=int(rng.integers(2**31))))
        start += length
    return VideoPlan(path=path, width=width, height=height, fps=fps, segments=tuple(segments))


def draw_segment_count(rng: np.random.Generator, duration_s: tuple[float, float]) -> int:
    """1-3 segments (40/35/25 %), fewer when the longest video could not hold them."""
    most = max(1, min(3, int(duration_s[1] // MIN_SEGMENT_S)))
    return min(most, int(rng.choice([1, 2, 3], p=[0.4, 0.35, 0.25])))


def draw_tags(rng: np.random.Generator, pool: Sequence[str]) -> list[str]:
    """2-4 tags of ``pool``; earlier tags are more popular (weight 1/(rank+1))."""
    weights = 1.0 / np.arange(1, len(pool) + 1)
    k = min(len(pool), int(rng.integers(2, 5)))
    picks = rng.choice(len(pool), size=k, replace=False, p=weights / weights.sum())
    return [pool[i] for i in sorted(picks)]


def video_categories(rng: np.random.Generator, primary: int, n_segments: int) -> list[Category]:
    """The primary category plus distinct others, in random order."""
    others = [i for i in range(len(CATEGORIES)) if i != primary]
    picked = [primary, *rng.choice(others, size=n_segments - 1, replace=False).tolist()]
    return [CATEGORIES[i] for i in rng.permutation(picked)]


def split_for(index: int, n_per_category: int) -> str:
    """Stratified split: the first ~1/6 of a category's videos are test, the next ~1/6 val."""
    n_eval = max(1, round(n_per_category / 6)) if n_per_category >= 3 else 0
    if index < n_eval:
        return "test"
    return "val" if index < 2 * n_eval else "train"


def tags_for(rng: np.random.Generator, categories: Sequence[Category], shifted: bool) -> tuple[str, ...]:
    tags: list[str] = []
    for category in categories:
        pool = category.shifted_tags if shifted else category.tags
        tags.extend(t for t in draw_tags(rng, pool) if t not in tags)
    return tuple(tags)


def plan_labelled(
    rng: np.random.Generator, prefix: str, n_per_category: int, duration_s: tuple[float, float], shifted: bool = False
) -> list[LabelledVideo]:
    """``n_per_category`` videos per category, shuffled, named ``videos/<prefix>_NNNN.mp4``."""
    drafts = []
    for primary in range(len(CATEGORIES)):
        for index in range(n_per_category):
            cats = video_categories(rng, primary, draw_segment_count(rng, duration_s))
            drafts.append((cats, tags_for(rng, cats, shifted), split_for(index, n_per_category)))
    videos = []
    for number, i in enumerate(rng.permutation(len(drafts))):
        cats, tags, split = drafts[i]
        plan = plan_video(rng, f"videos/{prefix}_{number:04d}.mp4", [c.scene for c in cats], duration_s)
        videos.append(LabelledVideo(plan, tags, split))
    return videos


def random_scene(rng: np.random.Generator, avoid: frozenset[tuple[str, str]] = frozenset()) -> Scene:
    """Any colour x shape x background x motion, never one of the ``avoid`` (colour, shape) combos."""
    while True:
        colour = list(COLOURS)[int(rng.integers(len(COLOURS)))]
        shape = SHAPES[int(rng.integers(len(SHAPES)))]
        if (colour, shape) not in avoid:
            return with_random_setting(rng, colour, shape)


def with_random_setting(rng: np.random.Generator, colour: str, shape: str) -> Scene:
    """``colour`` ``shape`` on a random background with a random visible motion."""
    motions = allowed_motions(shape)
    background = list(BACKGROUNDS)[int(rng.integers(len(BACKGROUNDS)))]
    return Scene(colour=colour, shape=shape, background=background, motion=motions[int(rng.integers(len(motions)))])


def plan_caption_videos(rng: np.random.Generator, n_videos: int, duration_s: tuple[float, float]) -> list[VideoPlan]:
    """Videos of random scenes (any colour x shape): caption pairs that teach colour and shape apart."""
    plans = []
    for number in range(n_videos):
        scenes = [random_scene(rng) for _ in range(draw_segment_count(rng, duration_s))]
        plans.append(plan_video(rng, f"videos/caption_{number:04d}.mp4", scenes, duration_s))
    return plans


def segment_rows(plan: VideoPlan, set_name: str, docid: str | None = None) -> list[dict[str, object]]:
    """One ``segments.jsonl`` row per segment of ``plan``."""
    rows: list[dict[str, object]] = []
    for index, seg in enumerate(plan.segments):
        row: dict[str, object] = {"video": plan.path, "set": set_name}
        if docid is not None:
            row["docid"] = docid
        row.update(
            {
                "segment": index,
                "start_s": round(seg.start_frame / plan.fps, 4),
                "end_s": round(seg.end_frame / plan.fps, 4),
                "start_frame": seg.start_frame,
                "end_frame": seg.end_frame,
                "category": seg.category,
                "caption": caption(seg.scene),
                "colour": seg.scene.colour,
                "shape": seg.scene.shape,
                "background": seg.scene.background,
                "motion": seg.scene.motion,
                "seed": seg.seed,
            }
        )
        rows.append(row)
    return rows
