"""Seeded titles for the demo's labelled videos (the ``text`` column of ``labels.csv``).

A title is a phrase of one of the video's categories, as the demo's posts use them (``TITLE_ON_TOPIC`` of the
videos), else a generic phrase that says nothing about the content, so text alone cannot tag every video.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from reeltag.demo.corpus import GENERIC_PHRASES, PHRASES
from reeltag.demo.plans import LabelledVideo
from reeltag.demo.world import category_for_scene

TITLE_ON_TOPIC = 0.6


def video_title(rng: np.random.Generator, video: LabelledVideo) -> str:
    categories = [c for c in (category_for_scene(s.scene) for s in video.plan.segments) if c is not None]
    if categories and rng.random() < TITLE_ON_TOPIC:
        phrases = PHRASES[categories[int(rng.integers(len(categories)))].name]
    else:
        phrases = GENERIC_PHRASES
    return phrases[int(rng.integers(len(phrases)))]


def video_titles(rng: np.random.Generator, videos: Sequence[LabelledVideo]) -> list[str]:
    return [video_title(rng, v) for v in videos]
