"""Figures over seeds (mean, Student-t CI), the validation split of ``tag2vec train`` and the offer's trivial case."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from reeltag.config import CorpusSection
from reeltag.corpus.sentences import val_mask
from reeltag.project import Project
from reeltag.tag2vec.offer import choose_offer
from reeltag.tag2vec.steps import Split
from reeltag.text.seeds import seed_figure


def test_seed_figure_is_the_mean_with_a_student_t_interval() -> None:
    figure = seed_figure([1.0, 1.2, 1.1])
    half = 4.302652729911275 * 0.1 / math.sqrt(3)  # t(0.975, 2 df) × sd ÷ √n
    assert figure.values == (1.0, 1.2, 1.1) and math.isclose(figure.mean, 1.1)
    assert np.allclose(figure.ci, (1.1 - half, 1.1 + half))
    assert all(math.isnan(x) for x in seed_figure([1.1]).ci)


def test_validation_posts_are_the_val_sources_else_the_latest_share() -> None:
    frame = pd.DataFrame({"source": ["a", "v", "a", "v", "a"], "seq": [4, 3, 2, 1, 0]})
    assert val_mask(frame, CorpusSection(val_sources=("v",)), 0.5).tolist() == [False, True, False, True, False]
    assert val_mask(frame, CorpusSection(), 0.4).tolist() == [True, True, False, False, False]


def test_fit_and_val_leave_out_posts_without_tags() -> None:
    split = Split(
        train=[["a", "b"], [], ["c", "d"], ["e"]],
        test=[],
        train_seq=np.arange(4),
        corpus_hash="x",
        val=np.array([False, True, True, False]),
    )
    assert split.fit_and_val(0.5) == ([["a", "b"], ["e"]], [["c", "d"]])


def test_a_single_offered_method_is_offered_without_training(tmp_path) -> None:
    project = Project.open(tmp_path, tag2vec={"offered": ("cooccurrence",)})
    offered = choose_offer(project, [["a", "b"]], [["a", "b"]])
    assert offered.offer.recommender == "cooccurrence" and offered.ranker is None and offered.offer.val == {}
