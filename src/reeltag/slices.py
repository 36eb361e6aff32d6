"""Slices: where quality hides (pure numpy). One definition of each slice, used by every evaluation and the gate.

A *slice* is a named function from an evaluation item to a *band*. Every evaluation that reports a mean also
reports, per slice and band, the item count, both systems' means, the delta (challenger − reference) and its
paired bootstrap CI (:mod:`reeltag.bootstrap`, items resampled within the band), as :class:`SliceFigure` records in
its ``result.json`` (``slices``: a list of :meth:`SliceFigure.record`). The gate reads them back
(:func:`worst_slice`): a band with at least ``min_items`` items that loses by more than ``max_loss`` with its whole
CI below zero refuses the promotion, named.

The bands (thresholds are settings, ``[slices]``):

* ``tag_frequency`` (suggestions: the held-out tag's training frequency): ``head`` ≥ ``head_min``, ``tail`` ≤
  ``tail_max``, ``torso`` between; :func:`frequency_band`.
* ``video_length`` (suggestions): ``short`` < ``short_s`` seconds ≤ ``medium`` < ``long_s`` ≤ ``long``;
  :func:`length_band`.
* ``topic_length`` (search: words in the topic text): ``1-2``, ``3-5``, ``6+``; :func:`words_band`.
* ``relevant_count`` (search: judged-relevant documents of the topic): ``few`` ≤ ``few_max`` < ``some`` <
  ``many_min`` ≤ ``many``; :func:`count_band`.
* ``topic_category`` (search, where topics carry one): the category itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from reeltag.bootstrap import bootstrap_ci

RESAMPLES, SEED, CONFIDENCE = 1000, 11, 0.95


@dataclass(frozen=True, kw_only=True)
class SliceFigure:
    """One band of one slice: counts, means, the delta challenger − reference and its paired bootstrap CI
    (``None`` without a reference, or with fewer than 2 items)."""

    slice: str
    band: str
    metric: str
    items: int
    challenger: float
    reference: float | None
    delta: float | None
    ci_low: float | None
    ci_high: float | None

    def record(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> SliceFigure:
        return cls(**{name: record[name] for name in cls.__dataclass_fields__})

    @property
    def loses(self) -> bool:
        """The whole CI of the delta is below zero."""
        return self.ci_high is not None and self.ci_high < 0.0


def frequency_band(count: int, *, head_min: int, tail_max: int) -> str:
    """``head`` / ``torso`` / ``tail`` by a tag's training frequency."""
    return "head" if count >= head_min else "tail" if count <= tail_max else "torso"


def length_band(seconds: float, *, short_s: float, long_s: float) -> str:
    return "short" if seconds < short_s else "long" if seconds >= long_s else "medium"


def words_band(text: str) -> str:
    words = len(text.split())
    return "1-2" if words <= 2 else "3-5" if words <= 5 else "6+"


def count_band(count: int, *, few_max: int, many_min: int) -> str:
    return "few" if count <= few_max else "many" if count >= many_min else "some"


def slice_figures(
    *,
    slice_name: str,
    metric: str,
    bands: Sequence[str],
    challenger: np.ndarray,
    reference: np.ndarray | None = None,
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> list[SliceFigure]:
    """Per band (sorted), the per-item values of ``challenger`` (and ``reference``, paired item by item)."""
    labels = np.asarray(bands, dtype=object)
    values = np.asarray(challenger, dtype=float)
    base = None if reference is None else np.asarray(reference, dtype=float)
    if len(labels) != len(values) or (base is not None and len(base) != len(values)):
        raise ValueError(f"slice {slice_name}: {len(labels)} bands for {len(values)} items")
    return [
        _figure(
            slice_name, metric, str(band), values[labels == band], None if base is None else base[labels == band], resamples, seed
        )
        for band in sorted(set(labels.tolist()))
    ]


def _figure(
    slice_name: str, metric: str, band: str, values: np.ndarray, base: np.ndarray | None, resamples: int, seed: int
) -> SliceFigure:
    deltas = None if base is None else values - base
    low, high = bootstrap_ci(deltas, resamples, seed, CONFIDENCE) if deltas is not None and len(deltas) > 1 else (None, None)
    return SliceFigure(
        slice=slice_name,
        band=band,
        metric=metric,
        items=len(values),
        challenger=float(values.mean()),
        reference=None if base is None else float(base.mean()),
        delta=None if deltas is None else float(deltas.mean()),
        ci_low=low,
        ci_high=high,
    )


def worst_slice(figures: Sequence[SliceFigure], *, min_items: int, max_loss: float) -> SliceFigure | None:
    """The band that loses most among those with ≥ ``min_items`` items, a loss over ``max_loss`` and the whole
    CI below zero; ``None`` when no band does."""
    losing = [f for f in figures if f.items >= min_items and f.delta is not None and f.delta < -max_loss and f.loses]
    return min(losing, key=lambda f: (f.delta, f.slice, f.band), default=None)


def records(figures: Sequence[SliceFigure]) -> list[dict[str, Any]]:
    """The figures as ``result.json`` records."""
    return [f.record() for f in figures]


def from_records(rows: Sequence[Mapping[str, Any]]) -> list[SliceFigure]:
    return [SliceFigure.from_record(row) for row in rows]
