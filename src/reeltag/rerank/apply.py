"""Apply CLIPRerank to a whole run (pure numpy): the top-``depth`` of each topic is rescored, the rest kept.

Frame similarities are computed once per topic (:func:`prepare`), so trying many settings (tuning) only
re-pools and re-fuses. The documents below ``depth`` keep the engine's order under the reranked head; their
written score is ``min(head) − 1 − j`` so every reader puts them after the head. Topics without a text
(unknown topics) pass through unchanged and are counted.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from reeltag.rerank.formats import Qrels, Ranking, Run
from reeltag.rerank.metrics import evaluate
from reeltag.rerank.scoring import Reranked, blend, frame_similarities, pool, ranking, stack_frames
from reeltag.rerank.tuning import Setting


@dataclass(frozen=True, kw_only=True)
class TopicCandidates:
    """One topic's head (engine order) with its frame similarities, and its untouched tail."""

    qid: str
    docids: tuple[str, ...]
    base: np.ndarray
    sims: np.ndarray  # (docs, frames), −inf padding
    counts: np.ndarray  # frames per document; 0 = no readable video
    tail: Ranking


@dataclass(frozen=True)
class Prepared:
    topics: dict[str, TopicCandidates]
    passthrough: dict[str, Ranking]  # topics without a query text
    tag: str

    @property
    def candidates(self) -> int:
        return sum(len(t.docids) for t in self.topics.values())

    @property
    def without_video(self) -> int:
        return sum(int(np.sum(t.counts == 0)) for t in self.topics.values())


def head_docids(run: Run, depth: int, qids: set[str] | None = None) -> list[str]:
    """Distinct documents in the top-``depth`` of the chosen topics (first-seen order)."""
    seen: dict[str, None] = {}
    for qid in run.qids:
        if qids is None or qid in qids:
            seen.update(dict.fromkeys(run.rankings[qid].docids[:depth]))
    return list(seen)


def prepare_topic(rank: Ranking, query: np.ndarray, frames: Mapping[str, np.ndarray], depth: int) -> TopicCandidates:
    stack = stack_frames([frames.get(d) for d in rank.docids[:depth]], dim=len(query))
    return topic_from_similarities(rank, frame_similarities(query, stack), stack.counts, depth)


def topic_from_similarities(rank: Ranking, sims: np.ndarray, counts: np.ndarray, depth: int) -> TopicCandidates:
    """A topic's head with its frame similarities (``sims``: (top-``depth`` documents, frames)) and its tail."""
    head = rank.docids[:depth]
    tail = Ranking(rank.qid, rank.docids[depth:], rank.scores[depth:])
    base = np.array(rank.scores[:depth], dtype=np.float64)
    return TopicCandidates(qid=rank.qid, docids=head, base=base, sims=sims, counts=counts, tail=tail)


def prepare(run: Run, queries: Mapping[str, np.ndarray], frames: Mapping[str, np.ndarray], depth: int) -> Prepared:
    """Frame similarities of every topic's head; topics without a query vector pass through."""
    topics = {q: prepare_topic(r, queries[q], frames, depth) for q, r in run.rankings.items() if q in queries}
    passthrough = {q: r for q, r in run.rankings.items() if q not in queries}
    return Prepared(topics, passthrough, run.tag)


def score_topic(topic: TopicCandidates, setting: Setting, top_m: int) -> Reranked:
    """The head's pooled CLIP score, fused score and order (best first) under one setting."""
    clip = pool(topic.sims, topic.counts, setting.pooling, top_m)
    fused = blend(topic.base, clip, setting.alpha, setting.normalisation)
    return Reranked(ranking(fused), fused, clip)


def rerank_topic(topic: TopicCandidates, setting: Setting, top_m: int) -> Ranking:
    return ranking_of(topic, score_topic(topic, setting, top_m))


def ranking_of(topic: TopicCandidates, scored: Reranked) -> Ranking:
    """The head in its new order, then the tail in the engine's order with scores below the head's."""
    head_scores = scored.fused[scored.order]
    floor = float(head_scores.min()) if len(head_scores) else 0.0
    tail_scores = tuple(floor - 1.0 - j for j in range(len(topic.tail)))
    return Ranking(
        topic.qid, picked(topic.docids, scored.order.tolist()) + topic.tail.docids, tuple(head_scores.tolist()) + tail_scores
    )


def picked(items: tuple[str, ...], order: list[int]) -> tuple[str, ...]:
    """``items`` at the positions ``order`` (one C call: ``itemgetter`` of one position gives the item, not a tuple)."""
    return operator.itemgetter(*order)(items) if len(order) > 1 else tuple(items[i] for i in order)


def rerank_prepared(prepared: Prepared, setting: Setting, top_m: int, tag: str | None = None) -> Run:
    """The reranked run under one setting."""
    rankings = {q: rerank_topic(t, setting, top_m) for q, t in prepared.topics.items()}
    rankings.update(prepared.passthrough)
    return Run(dict(sorted(rankings.items())), tag or prepared.tag)


def score_settings(
    prepared: Prepared,
    qrels: Qrels,
    settings: Sequence[Setting],
    top_m: int,
    measure: str,
    on_setting: Callable[[Setting, float], None] | None = None,
) -> dict[Setting, dict[str, float]]:
    """Per-topic ``measure`` of the reranked run under every setting."""
    table = {}
    for setting in settings:
        result = evaluate(rerank_prepared(prepared, setting, top_m), qrels, [measure])
        table[setting] = result.per_topic[measure]
        if on_setting:
            on_setting(setting, result.mean[measure])
    return table
