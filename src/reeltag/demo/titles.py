"""Seeded titles for the demo's labelled videos (the ``text`` column of ``labels.csv``).

A title is what an uploader writes: it names some of the video's subjects, in the phrases the demo's posts use
for them (each of the video's categories with ``NAMED``), sometimes adds a subject the video does not show
(a distractor phrase with ``DISTRACTOR``: the uploader's day, not the pictures) and falls back to a generic phrase
that says nothing about the content when it names nothing. It names subjects, never tags: which of a category's
tags a video carries is drawn independently (:func:`reeltag.demo.plans.tags_for`), so a title never spells out
the label set, and text alone cannot tag every video.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from reeltag.demo.hashtag_corpus import GENERIC_PHRASES, PHRASES
from reeltag.demo.plans import LabelledVideo
from reeltag.demo.world import CATEGORIES, category_for_scene

NAMED = 0.6  # chance that the title names each of the video's categories
DISTRACTOR = 0.25  # chance of a phrase about a category the video does not show


def _phrase(rng: np.random.Generator, phrases: Sequence[str]) -> str:
    return phrases[int(rng.integers(len(phrases)))]


def video_title(rng: np.random.Generator, video: LabelledVideo) -> str:
    shown = [c.name for c in (category_for_scene(s.scene) for s in video.plan.segments) if c is not None]
    named = [name for name in dict.fromkeys(shown) if rng.random() < NAMED]
    if rng.random() < DISTRACTOR:
        absent = [c.name for c in CATEGORIES if c.name not in shown]
        named.insert(int(rng.integers(len(named) + 1)), absent[int(rng.integers(len(absent)))])
    parts = [_phrase(rng, PHRASES[name]) for name in named]
    return ", ".join(parts) if parts else _phrase(rng, GENERIC_PHRASES)


def video_titles(rng: np.random.Generator, videos: Sequence[LabelledVideo]) -> list[str]:
    return [video_title(rng, v) for v in videos]
