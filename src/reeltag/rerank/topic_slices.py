"""Search slices (pure): each topic's band per slice, and the per-slice figures of paired per-topic values.

The slices and their bands are :mod:`reeltag.slices`' (one definition each):

* ``topic_length``: words in the topic text (:func:`reeltag.slices.words_band`), where the texts are known;
* ``relevant_count``: judged-relevant documents of the topic in the qrels (rel > 0; unjudged −1 is not relevant),
  :func:`reeltag.slices.count_band` with ``[slices] few_max`` / ``many_min``;
* ``topic_category``: the category a categories file gives the topic (``qid category`` per line, the topics
  file's layout). The demo search set writes one (``categories.txt``: the demo category each topic shows);
  TRECVID topics have none and no keyword rule is applied to them: without a file the slice is absent.

A topic missing from a slice's bands (no text, no category) is left out of that slice only.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from reeltag.config import SlicesSection
from reeltag.rerank.formats import Qrels
from reeltag.slices import SliceFigure, count_band, slice_figures, words_band

TOPIC_LENGTH, RELEVANT_COUNT, TOPIC_CATEGORY = "topic_length", "relevant_count", "topic_category"
Bands = dict[str, dict[str, str]]  # slice → qid → band


def relevant_counts(qrels: Qrels) -> dict[str, int]:
    return {qid: sum(1 for rel in judged.values() if rel > 0) for qid, judged in qrels.judgments.items()}


def topic_bands(
    *, qrels: Qrels, cfg: SlicesSection, texts: Mapping[str, str] | None = None, categories: Mapping[str, str] | None = None
) -> Bands:
    """Each topic's band in every slice its inputs allow."""
    counts = relevant_counts(qrels)
    bands: Bands = {RELEVANT_COUNT: {q: count_band(n, few_max=cfg.few_max, many_min=cfg.many_min) for q, n in counts.items()}}
    if texts:
        bands[TOPIC_LENGTH] = {q: words_band(text) for q, text in texts.items()}
    if categories:
        bands[TOPIC_CATEGORY] = dict(categories)
    return dict(sorted(bands.items()))


def topic_figures(
    bands: Bands,
    challenger: Mapping[str, float],
    reference: Mapping[str, float] | None,
    *,
    metric: str,
    resamples: int,
    seed: int,
) -> list[SliceFigure]:
    """Per slice and band, ``challenger`` against ``reference`` (paired topic by topic, on topics both have)."""
    figures: list[SliceFigure] = []
    for name, band_of in bands.items():
        topics = [t for t in sorted(challenger) if t in band_of and (reference is None or t in reference)]
        if topics:
            figures += slice_figures(
                slice_name=name,
                metric=metric,
                bands=[band_of[t] for t in topics],
                challenger=np.array([challenger[t] for t in topics], dtype=float),
                reference=None if reference is None else np.array([reference[t] for t in topics], dtype=float),
                resamples=resamples,
                seed=seed,
            )
    return figures
