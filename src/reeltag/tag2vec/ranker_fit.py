"""The learned tags-only ranker (:mod:`reeltag.tag2vec.ranker`), trained without leakage, and the models it reads.

Its training queries come from the training posts themselves, split into ``tag_ranker.folds`` seeded folds: the
queries of one fold get their features from co-occurrences and a Tag2Vec model fitted on the other folds only,
so no query is scored with statistics that include its own post. Validation and test queries are then scored
with the statistics of the models they are evaluated against. ``text leave-one-out`` and ``tag2vec train`` (which
offers the ranker when it wins on validation posts) both train it here.
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

Sentences = Sequence[Sequence[str]]  # the normalised tags of each post


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


def fit_tag_models(project: Project, sentences: Sentences) -> TagModels:
    """Surface forms, vocabulary (``tag2vec.min_count``) and a Tag2Vec space trained with ``[tag2vec]``."""
    from reeltag.tag2vec.train import to_space, train_new

    surface = SurfaceForms.fit(sentences)
    canonical = [surface.sentence(tags) for tags in sentences]
    vocab = Vocabulary.fit(canonical, project.settings.tag2vec.min_count)
    with tempfile.TemporaryDirectory() as tmp:
        space = to_space(train_new([list(t) for t in canonical if t], project.settings.tag2vec, Path(tmp)), surface)
    return TagModels(surface, vocab, space)


def tag_queries(models: TagModels, sentences: Sentences) -> Queries:
    return make_queries([models.surface.sentence(tags) for tags in sentences], models.vocab)


def train_ranker(project: Project, sentences: Sentences) -> tuple[RankerModel, RankerTraining]:
    """The ranker fitted on every fold's queries, each fold scored by models fitted on the other folds."""
    cfg = project.settings.tag_ranker
    rng = np.random.default_rng(cfg.seed)
    fold = rng.integers(0, cfg.folds, len(sentences))
    xs, ys, n_queries = [], [], 0
    for k in range(cfg.folds):
        models = fit_tag_models(project, [s for s, f in zip(sentences, fold) if f != k])
        queries = tag_queries(models, [s for s, f in zip(sentences, fold) if f == k])
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
