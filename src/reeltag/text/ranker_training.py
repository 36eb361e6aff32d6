"""The learned tags-only ranker of ``text leave-one-out`` (:mod:`reeltag.tag2vec.ranker`), trained without leakage.

Its training queries come from the training posts themselves, split into ``tag_ranker.folds`` seeded folds: the
queries of one fold get their features from co-occurrences and a Tag2Vec model fitted on the other folds only,
so no query is scored with statistics that include its own post. Validation and test queries are then scored
with the statistics of the models they are evaluated against.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from reeltag.corpus.tags import SurfaceForms
from reeltag.project import Project
from reeltag.tag2vec.baselines import AlignedSpace, Vocabulary
from reeltag.tag2vec.evaluate import Queries, make_queries, ranks
from reeltag.tag2vec.ranker import TagStats, ranked_scores, training_rows
from reeltag.tag2vec.ranker_model import RankerModel, fit_ranker_model
from reeltag.tag2vec.space import TagSpace
from reeltag.text.post_words import WordsAndTags, canonical_posts


@dataclass(frozen=True, eq=False)
class TagModels:
    surface: SurfaceForms
    vocab: Vocabulary
    space: TagSpace

    def stats(self, pseudo_count: float) -> TagStats:
        return TagStats.of(self.vocab, AlignedSpace.of(self.space, self.vocab), pseudo_count)


@dataclass(frozen=True, kw_only=True)
class RankerTraining:
    queries: int  # training queries (all folds)
    rows: int  # candidates trained on (sub-sampled)
    trees: int


def fit_tag_models(project: Project, posts: Sequence[WordsAndTags]) -> TagModels:
    """Surface forms, vocabulary (``tag2vec.min_count``) and a Tag2Vec space trained with ``[tag2vec]``."""
    from reeltag.tag2vec.train import to_space, train_new

    surface = SurfaceForms.fit(tags for _, tags in posts)
    canonical = canonical_posts(posts, surface)
    vocab = Vocabulary.fit([tags for _, tags in canonical], project.settings.tag2vec.min_count)
    with tempfile.TemporaryDirectory() as tmp:
        space = to_space(train_new([list(t) for _, t in canonical if t], project.settings.tag2vec, Path(tmp)), surface)
    return TagModels(surface, vocab, space)


def tag_queries(models: TagModels, posts: Sequence[WordsAndTags]) -> Queries:
    return make_queries([tags for _, tags in canonical_posts(posts, models.surface)], models.vocab)


def train_ranker(project: Project, posts: Sequence[WordsAndTags]) -> tuple[RankerModel, RankerTraining]:
    """The ranker fitted on every fold's queries, each fold scored by models fitted on the other folds."""
    cfg = project.settings.tag_ranker
    rng = np.random.default_rng(cfg.seed)
    fold = rng.integers(0, cfg.folds, len(posts))
    xs, ys, n_queries = [], [], 0
    for k in range(cfg.folds):
        models = fit_tag_models(project, [p for p, f in zip(posts, fold) if f != k])
        queries = tag_queries(models, [p for p, f in zip(posts, fold) if f == k])
        stats = models.stats(project.settings.tag2vec.hybrid_pseudo_count)
        x, y = training_rows(stats, queries, cfg.candidates_per_signal, cfg.negatives_per_query, rng)
        xs.append(x)
        ys.append(y)
        n_queries += len(queries.targets)
    model = fit_ranker_model(np.concatenate(xs), np.concatenate(ys), cfg)
    return model, RankerTraining(queries=n_queries, rows=sum(len(y) for y in ys), trees=model.trees)


def ranker_ranks(project: Project, model: RankerModel, stats: TagStats, queries: Queries) -> np.ndarray:
    """1-based ranks of the hidden tags under the ranker (see :func:`reeltag.tag2vec.ranker.ranked_scores`)."""
    per_signal = project.settings.tag_ranker.candidates_per_signal
    scorer = lambda contexts: ranked_scores(stats, contexts, per_signal, model.score)
    return ranks(scorer, queries, len(stats.vocab.tags))
