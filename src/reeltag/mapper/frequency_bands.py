"""Per-slice figures and the popularity bias of tag suggestions (pure numpy).

The ``tag_frequency`` slice (:mod:`reeltag.slices`) of a suggestion evaluation has one item per (held-out video,
true tag) pair, for every label tag in the candidate vocabulary; its value is 1 when the method ranks that tag in
its top :data:`SLICE_K` (``pair_hit_at_5``), else 0; its band is the tag's training frequency (the training videos
labelled with it) by :func:`reeltag.slices.frequency_band`. Two methods scored on the same videos give the same
pairs, so their per-band deltas are paired.

The popularity bias of a method is the share of its suggested top-k tags that are head tags divided by the share
of head tags among the true labels (1: as popular as the truth; above 1: it leans to the head), and its coverage
the distinct tags it suggests in any top-k over the test videos ÷ the vocabulary size.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from reeltag.config import SlicesSection
from reeltag.mapper.evaluate import Truth
from reeltag.ranking import top_k
from reeltag.slices import SliceFigure, frequency_band, slice_figures

SLICE_K = 5
METRIC = f"pair_hit_at_{SLICE_K}"
SLICE = "tag_frequency"
BASELINES = ("popularity", "knn", "zero_shot")
Champion = tuple[str, np.ndarray]  # the champion's name and its score matrix on the same videos


@dataclass(frozen=True, eq=False)
class Pairs:
    """The (video row, candidate column) pairs of the true tags, and each pair's band."""

    videos: np.ndarray
    tags: np.ndarray
    bands: tuple[str, ...]
    head: np.ndarray  # per candidate column: whether the tag is a head tag


@dataclass(frozen=True, kw_only=True)
class PopularityBias:
    k: int
    head_share_suggested: float  # of all top-k slots over the test videos
    head_share_truth: float  # of the (video, true tag) pairs
    ratio: float | None  # suggested ÷ truth; None when no true tag is a head tag
    coverage: float  # distinct tags in any top-k ÷ vocabulary size


def training_counts(train: Truth, n_candidates: int) -> np.ndarray:
    """Training videos labelled with each candidate tag."""
    counts = np.zeros(n_candidates, dtype=np.int64)
    for cols in train.columns:
        counts[list(cols)] += 1
    return counts


def truth_pairs(truth: Truth, counts: np.ndarray, bands: SlicesSection) -> Pairs:
    """One pair per true in-vocabulary tag of each video, banded by ``counts`` (its training frequency)."""
    found = [(video, col) for video, cols in enumerate(truth.columns) for col in sorted(cols)]
    videos, tags = (np.array(part, dtype=np.int64) for part in zip(*found)) if found else (np.zeros(0, np.int64),) * 2
    band = tuple(frequency_band(int(counts[t]), head_min=bands.head_min, tail_max=bands.tail_max) for t in tags)
    return Pairs(videos=videos, tags=tags, bands=band, head=counts >= bands.head_min)


def heldout_pairs(train: Truth, test: Truth, *, candidates: int, bands: SlicesSection) -> Pairs:
    """The test videos' pairs, banded by the tags' frequency in the ``train`` labels."""
    return truth_pairs(test, training_counts(train, candidates), bands)


def pair_hits(scores: np.ndarray, pairs: Pairs, k: int = SLICE_K) -> np.ndarray:
    """1.0 where the pair's tag is in its video's top ``k`` of ``scores``, else 0.0."""
    idx, _ = top_k(scores, k)
    return (idx[pairs.videos] == pairs.tags[:, None]).any(axis=1).astype(float)


def frequency_slices(challenger: np.ndarray, reference: np.ndarray | None, pairs: Pairs) -> list[SliceFigure]:
    """Per training-frequency band: ``pair_hit_at_5`` of the ``challenger`` scores against the ``reference`` scores."""
    base = None if reference is None else pair_hits(reference, pairs)
    return slice_figures(
        slice_name=SLICE, metric=METRIC, bands=pairs.bands, challenger=pair_hits(challenger, pairs), reference=base
    )


def popularity_bias(scores: np.ndarray, pairs: Pairs, k: int = SLICE_K) -> PopularityBias:
    """How much more often ``scores`` suggests head tags than the true labels carry them, and its coverage."""
    idx, _ = top_k(scores, k)
    suggested = float(pairs.head[idx].mean()) if idx.size else 0.0
    truth = float(pairs.head[pairs.tags].mean()) if len(pairs.tags) else 0.0
    return PopularityBias(
        k=k,
        head_share_suggested=suggested,
        head_share_truth=truth,
        ratio=suggested / truth if truth > 0 else None,
        coverage=len(np.unique(idx)) / max(scores.shape[1], 1),
    )


def best_baseline(test: Mapping[str, Mapping[str, float]]) -> str:
    """The baseline with the best P@5 on the test videos (what the mapper is sliced against without a champion)."""
    return max((name for name in BASELINES if name in test), key=lambda name: test[name]["p_at_5"])


def mapper_slices(
    scores: Mapping[str, np.ndarray], test: Mapping[str, Mapping[str, float]], pairs: Pairs, champion: Champion | None = None
) -> tuple[list[SliceFigure], str]:
    """The mapper's per-band figures against ``champion`` (its name and its scores on the same videos), else
    against the best baseline; with the reference's name."""
    if champion is not None:
        return frequency_slices(scores["mapper"], champion[1], pairs), champion[0]
    base = best_baseline(test)
    return frequency_slices(scores["mapper"], scores[base], pairs), f"baseline {base}"


def biases(scores: Mapping[str, np.ndarray], pairs: Pairs) -> dict[str, PopularityBias]:
    """The popularity bias and coverage of every method's top :data:`SLICE_K`."""
    return {name: popularity_bias(matrix, pairs) for name, matrix in scores.items()}
