"""Tag2Vec leave-one-tag-out per training-frequency band on a sample of tweeteval emoji (the first 20,000 training
and 10,000 test posts; a small skip-gram). The full measurement is in docs/corpus.md with its command."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from reeltag.config import Tag2VecSection
from reeltag.corpus.steps import tag_rules
from reeltag.corpus.tags import SurfaceForms, extract_hashtags, normalise_tags
from reeltag.project import Project
from reeltag.slices import from_records
from reeltag.tag2vec.steps import Split, evaluate_space, reference_set

pytestmark = [pytest.mark.integration, pytest.mark.realdata]


def _tag_lists(path: Path, posts: int, project: Project) -> list[list[str]]:
    rules, most = tag_rules(project.settings.corpus), project.settings.corpus.max_tags_per_post
    lines = path.read_text(encoding="utf-8").splitlines()[:posts]
    return [tags for tags in (normalise_tags(extract_hashtags(line), rules, most)[0] for line in lines) if tags]


def test_tweeteval_emoji_bands_add_up_and_each_has_its_ci(real_data: Path, project: Project, tmp_path: Path) -> None:
    from reeltag.tag2vec.train import to_space, train_new

    emoji = real_data / "hashtags" / "tweeteval" / "emoji"
    train, test = _tag_lists(emoji / "train_text.txt", 20_000, project), _tag_lists(emoji / "test_text.txt", 10_000, project)
    split = Split(train=train, test=test, train_seq=np.arange(len(train)), corpus_hash="sample")
    surface = SurfaceForms.fit(train)
    cfg = Tag2VecSection(vector_size=32, epochs=5, min_count=2, workers=1, seed=1)
    space = to_space(train_new([surface.sentence(s) for s in train], cfg, tmp_path), surface, "sample")
    evaluation = evaluate_space(project, space, reference_set(project, split, surface)).evaluation
    figures = from_records(evaluation.slices)
    assert evaluation.queries > 1_000 and sum(f.items for f in figures) == evaluation.queries
    assert [f.band for f in figures] == ["head", "tail", "torso"]
    assert evaluation.slices_reference == "baseline cooccurrence"  # the README's fact: co-occurrence is the best baseline
    for f in figures:
        assert f.reference is not None and f.delta == pytest.approx(f.challenger - f.reference)
        assert f.ci_low is not None and f.ci_high is not None and f.ci_low <= f.delta <= f.ci_high
