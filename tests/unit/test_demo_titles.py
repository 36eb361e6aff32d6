"""The demo titles: they name some of a video's subjects in the posts' phrases, with distractors, never its tags."""

from __future__ import annotations

import numpy as np

from reeltag.demo.hashtag_corpus import GENERIC_PHRASES, PHRASES
from reeltag.demo.plans import plan_labelled
from reeltag.demo.titles import video_titles
from reeltag.demo.world import category_for_scene

SUBJECT = {phrase: name for name, phrases in PHRASES.items() for phrase in phrases}


def _titled() -> list[tuple[set[str], list[str]]]:
    rng = np.random.default_rng(5)
    videos = plan_labelled(rng, "label", 12, (2.0, 6.0))
    shown = [{c.name for c in (category_for_scene(s.scene) for s in v.plan.segments) if c} for v in videos]
    return [(names, title.split(", ")) for names, title in zip(shown, video_titles(rng, videos))]


def test_titles_name_some_subjects_with_distractors_and_no_tags() -> None:
    titled = _titled()
    named = [[SUBJECT.get(p) for p in parts] for _, parts in titled]
    assert all(p in SUBJECT or p in GENERIC_PHRASES for _, parts in titled for p in parts)
    assert all("#" not in p for _, parts in titled for p in parts)
    right = np.mean([any(n in shown for n in names) for (shown, _), names in zip(titled, named)])
    wrong = np.mean([any(n is not None and n not in shown for n in names) for (shown, _), names in zip(titled, named)])
    several = np.mean([len({n for n in names if n in shown}) > 1 for names, (shown, _) in zip(named, titled)])
    assert 0.5 < right < 0.9 and 0.1 < wrong < 0.4 and several > 0.1, (right, wrong, several)
