"""Out-of-fold visual scores of the non-test labelled videos, for fitting the fusion ranker on them all.

The validation split alone is a handful of videos (8 on the small demo), too few to fit the fusion on. So the
train and validation videos are cut into ``folds``; each fold's mapper scores come from a mapper trained on the
other folds but one (which stops it early), its kNN votes and its label prior from the other folds' videos
and labels. No fold ever sees its own labels, and the test videos are never used.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from reeltag.config import MapperSection
from reeltag.mapper.evaluate import Examples, Truth, cosine_scores, knn_scores
from reeltag.mapper.nearest import TagIndex
from reeltag.suggest.fusion import label_prior

if TYPE_CHECKING:
    from reeltag.mapper.model import MapperArgs  # (that module imports torch)


@dataclass(frozen=True, kw_only=True, eq=False)
class OutOfFold:
    videos: Examples  # the non-test videos (train then val), with their truth
    mapper: np.ndarray  # (videos, candidates) cosines of a mapper that never saw the video's fold
    knn: np.ndarray
    prior: np.ndarray


def joined(parts: Sequence[Examples]) -> Examples:
    """One set of examples out of several (features, truth and frames in order)."""
    truth = Truth(tuple(c for p in parts for c in p.truth.columns), tuple(n for p in parts for n in p.truth.n_true))
    frames = tuple(f for p in parts for f in p.frames) if all(p.frames for p in parts) else ()
    return Examples(np.concatenate([p.features for p in parts]), truth, frames)


def subset(data: Examples, rows: np.ndarray) -> Examples:
    truth = Truth(tuple(data.truth.columns[i] for i in rows), tuple(data.truth.n_true[i] for i in rows))
    frames = tuple(data.frames[i] for i in rows) if data.frames else ()
    return Examples(data.features[rows], truth, frames)


def out_of_fold(videos: Examples, args: MapperArgs, index: TagIndex, settings: MapperSection, folds: int) -> OutOfFold:
    """Out-of-fold mapper cosines, kNN votes and label prior of ``videos`` (``args``: the champion's mapper)."""
    fold = np.arange(len(videos.features)) % folds
    mapper, knn = np.zeros((len(fold), len(index.keys))), np.zeros((len(fold), len(index.keys)))
    prior = np.zeros_like(mapper)
    for f in range(folds):
        held, rest = np.flatnonzero(fold == f), np.flatnonzero(fold != f)
        stop = np.flatnonzero(fold == (f + 1) % folds)
        fit_on = np.flatnonzero((fold != f) & (fold != (f + 1) % folds))
        mapper[held] = _fold_mapper(args, index, subset(videos, fit_on), subset(videos, stop), settings, videos.features[held])
        knn[held] = knn_scores(videos.features[rest], subset(videos, rest).truth, videos.features[held], len(index.keys))
        prior[held] = label_prior(subset(videos, rest).truth, len(index.keys))
    return OutOfFold(videos=videos, mapper=mapper, knn=knn, prior=prior)


def _fold_mapper(
    args: MapperArgs, index: TagIndex, train: Examples, stop: Examples, s: MapperSection, held: np.ndarray
) -> np.ndarray:
    from reeltag.mapper.model import TagMapper
    from reeltag.mapper.train import FitParams, fit, predict

    params = FitParams(
        epochs=s.epochs, patience=s.patience, lr=s.lr, weight_decay=s.weight_decay, seed=s.seed, augment=s.augment_pools
    )
    fitted = fit(args, index.vectors, train, stop, params)
    model = TagMapper(fitted.args)
    model.load_state_dict(fitted.state)
    return cosine_scores(predict(model, held), index.vectors)
