"""The recommender ``tag2vec train`` offers, chosen on validation posts (never on the held-out test posts).

The training posts are split into fit and validation posts (``corpus.val_sources``, else the latest
``tag2vec.val_fraction`` by ingestion order). Every method of ``tag2vec.offered`` is fitted on the fit posts and
scored on the validation posts' leave-one-tag-out queries; the best by hit@k, then MRR@k, is offered: the pyfunc
serves it, ``tag2vec evaluate`` and the go/no-go report name it. The final Tag2Vec model is then trained on all
training posts; the learned ranker, when offered, is the one trained on the fit posts' folds (the one validated),
scored with the final model's statistics, as ``text leave-one-out`` does.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from reeltag.errors import NotFound
from reeltag.project import Project
from reeltag.tag2vec.baselines import AlignedSpace, Vocabulary
from reeltag.tag2vec.evaluate import MethodScore, Queries, ranks, score, scorers
from reeltag.tag2vec.ranker import TagStats, ranked_scores
from reeltag.tag2vec.ranker_fit import (
    RankerTraining,
    Sentences,
    TagModels,
    fit_tag_models,
    ranker_ranks,
    tag_queries,
    train_ranker,
)
from reeltag.tag2vec.ranker_model import RankerModel, load_ranker_model, save_ranker_model
from reeltag.tag2vec.space import TagSpace

RANKER, RANKER_FILE = "ranker_tags", "ranker.pkl"


@dataclass(frozen=True, kw_only=True)
class Offer:
    recommender: str  # what is served, reported and named
    val: dict[str, MethodScore]  # each offered method on the validation queries (models fitted on the fit posts)
    val_queries: int
    fit_posts: int
    val_posts: int
    ranker: RankerTraining | None  # the ranker's training, when it was offered
    note: str  # how the choice was made (or why it could not be made on validation)


@dataclass(frozen=True, eq=False)
class Offered:
    offer: Offer
    ranker: RankerModel | None  # the fitted ranker, kept only when it is the one offered


def choose_offer(project: Project, fit: Sentences, val: Sentences) -> Offered:
    """The best of ``tag2vec.offered`` on ``val``'s queries, every method fitted on ``fit`` only."""
    offered = project.settings.tag2vec.offered
    sizes = {"fit_posts": len(fit), "val_posts": len(val)}
    if len(offered) == 1 and offered[0] != RANKER:
        return Offered(
            Offer(recommender=offered[0], val={}, val_queries=0, ranker=None, note="the only one offered", **sizes), None
        )
    models = fit_tag_models(project, fit)
    queries = tag_queries(models, val)
    if len(queries.targets) == 0:
        note = f"no validation queries (posts with >= 2 known tags): {offered[0]}, the first of tag2vec.offered"
        return Offered(Offer(recommender=offered[0], val={}, val_queries=0, ranker=None, note=note, **sizes), None)
    scores, fitted, note = _val_scores(project, models, fit, queries)
    best = max(scores, key=lambda n: (scores[n].hit_at_k, scores[n].mrr_at_k))
    training = fitted[1] if fitted else None
    offer = Offer(recommender=best, val=scores, val_queries=len(queries.targets), ranker=training, note=note, **sizes)
    return Offered(offer, fitted[0] if fitted and best == RANKER else None)


def _val_scores(
    project: Project, models: TagModels, fit: Sentences, queries: Queries
) -> tuple[dict[str, MethodScore], tuple[RankerModel, RankerTraining] | None, str]:
    cfg = project.settings.tag2vec
    found = scorers(models.vocab, models.space, cfg.hybrid_pseudo_count)
    n_tags = len(models.vocab.tags)
    scores: dict[str, MethodScore] = {n: score(ranks(found[n], queries, n_tags), cfg.eval_k) for n in cfg.offered if n != RANKER}
    if RANKER not in cfg.offered:
        return scores, None, "best on validation posts by hit@k, then MRR@k"
    try:
        fitted = train_ranker(project, fit)
    except ValueError as err:  # too few posts for its folds to hold a hidden tag among the candidates
        if not scores:
            raise
        return scores, None, f"best on validation posts; {RANKER} left out: {err}"
    stats = models.stats(cfg.hybrid_pseudo_count)
    scores[RANKER] = score(ranker_ranks(project, fitted[0], stats, queries), cfg.eval_k)
    return scores, fitted, "best on validation posts by hit@k, then MRR@k"


def offer_meta(project: Project, offered: Offered) -> dict[str, Any]:
    """What ``meta.json`` records of the choice (the pyfunc and ``tag2vec evaluate`` read it back)."""
    offer = offered.offer
    return {
        "recommender": offer.recommender,
        "recommender_note": offer.note,
        "val": {name: asdict(s) for name, s in offer.val.items()},
        "val_queries": offer.val_queries,
        "ranker_candidates_per_signal": project.settings.tag_ranker.candidates_per_signal,
    }


def save_offered(offered: Offered, folder: Path) -> None:
    """``ranker.pkl`` beside the Tag2Vec files when the ranker is offered (nothing otherwise)."""
    if offered.ranker is not None:
        save_ranker_model(offered.ranker, folder / RANKER_FILE)


def load_offered_ranker(folder: Path, meta: dict[str, Any]) -> RankerModel | None:
    """The saved ranker when ``meta`` names it the recommender (a model of reeltag's own store: see
    :func:`reeltag.tag2vec.ranker_model.load_ranker_model`); None otherwise."""
    if meta.get("recommender") != RANKER:
        return None
    if not (folder / RANKER_FILE).is_file():
        raise NotFound(f"{folder} names {RANKER} its recommender but has no {RANKER_FILE}")
    return load_ranker_model(folder / RANKER_FILE)


def served_ranker_ranks(space: TagSpace, vocab: Vocabulary, queries: Queries, ranker: RankerModel) -> np.ndarray:
    """The ranks the served ranker gives (statistics of ``vocab`` and ``space``, settings recorded in its meta)."""
    stats = TagStats.of(vocab, AlignedSpace.of(space, vocab), float(space.meta.get("hybrid_pseudo_count", 100.0)))
    per_signal = int(space.meta.get("ranker_candidates_per_signal", 50))
    return ranks(lambda c: ranked_scores(stats, c, per_signal, ranker.score), queries, len(vocab.tags))
