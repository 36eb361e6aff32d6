"""The depth–cost curve (pure numpy): what each rerank depth k and frames per video buy, and what they cost.

For one (k, frames) point: the cross-validated quality (the tuning grid scored per topic at depth k, α etc.
chosen by :func:`reeltag.rerank.tuning.cross_validate`, the held-out mean with a bootstrap CI over topics), and
the per-query latency of the real scoring path, the functions ``/v1/rerank`` runs
(:func:`reeltag.rerank.catalogue.prepare_candidates` over a :class:`~reeltag.rerank.catalogue.FeatureMatrix`, then
:func:`~reeltag.rerank.apply.score_topic` and :func:`~reeltag.rerank.apply.ranking_of`): each query is timed
``repeats`` times, its latency is the median, and the point reports the p50 and p95 over queries (the query's text
vector is computed once beforehand, as the API caches it). A depth above a topic's run length reranks the whole
run: the topic is counted in ``capped_topics``.

A point is on the Pareto front when no other point has at least its quality at no more p95 latency, one of them
strictly better; :func:`choose_point` picks, among the front's points that fit a latency budget, the best quality.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from reeltag.bootstrap import bootstrap_ci
from reeltag.errors import BadInput
from reeltag.rerank.apply import prepare, ranking_of, score_settings, score_topic
from reeltag.rerank.catalogue import FeatureMatrix, build_matrix, prepare_candidates
from reeltag.rerank.formats import Qrels, Run
from reeltag.rerank.tuning import Setting, cross_validate


@dataclass(frozen=True, kw_only=True)
class CurvePoint:
    depth: int  # documents per topic reranked (requested; capped at the topic's run length)
    frames: int  # frames per video
    quality: float  # mean held-out per-topic measure, cross-validated
    ci_low: float  # 95% bootstrap CI of that mean over topics
    ci_high: float
    p50_ms: float  # per-query scoring latency over the topics (each the median of its timed passes)
    p95_ms: float
    capped_topics: int  # topics whose run is shorter than ``depth``
    candidates: int  # documents scored, all topics
    setting: str  # the setting chosen on every topic at this point
    pareto: bool = False


@dataclass(frozen=True, kw_only=True)
class PointInputs:
    """What every point of one curve shares (the frames differ per frame count)."""

    run: Run
    qrels: Qrels
    queries: Mapping[str, np.ndarray]
    topics: Sequence[str]  # judged topics with a query vector: the ones scored and timed
    settings: Sequence[Setting]
    measure: str
    top_m: int
    folds: int
    seed: int
    resamples: int
    repeats: int


def measure_point(inputs: PointInputs, frames: Mapping[str, np.ndarray], *, depth: int, frames_per_video: int) -> CurvePoint:
    """Quality and latency of reranking the top-``depth`` with ``frames`` (docid → (n, dim) frame vectors)."""
    prepared = prepare(inputs.run, inputs.queries, frames, depth)
    table = score_settings(prepared, inputs.qrels, inputs.settings, inputs.top_m, inputs.measure)
    cv = cross_validate(table, inputs.topics, inputs.folds, inputs.seed)
    held_out = np.array([cv.held_out[t] for t in inputs.topics], dtype=float)
    low, high = bootstrap_ci(held_out, inputs.resamples, inputs.seed)
    dim = len(next(iter(inputs.queries.values())))
    latencies = query_latencies_ms(build_matrix(frames, dim), inputs, depth=depth, setting=cv.chosen)
    return CurvePoint(
        depth=depth,
        frames=frames_per_video,
        quality=float(held_out.mean()),
        ci_low=low,
        ci_high=high,
        p50_ms=float(np.percentile(latencies, 50)),
        p95_ms=float(np.percentile(latencies, 95)),
        capped_topics=sum(1 for t in inputs.topics if len(inputs.run.rankings[t]) < depth),
        candidates=sum(min(depth, len(inputs.run.rankings[t])) for t in inputs.topics),
        setting=cv.chosen.label,
    )


def query_latencies_ms(
    matrix: FeatureMatrix,
    inputs: PointInputs,
    *,
    depth: int,
    setting: Setting,
    clock: Callable[[], float] = time.perf_counter,
) -> np.ndarray:
    """Per topic, the median over ``inputs.repeats`` passes of the serving path's time, ms (the scoring loop
    compiled first, as the API does at start)."""
    from reeltag.rerank.frame_dots import warm_up

    warm_up()
    out = []
    for qid in inputs.topics:
        rank, query = inputs.run.rankings[qid], inputs.queries[qid]
        passes = []
        for _ in range(inputs.repeats):
            start = clock()
            topic = prepare_candidates(matrix, rank, query, depth)
            ranking_of(topic, score_topic(topic, setting, inputs.top_m))
            passes.append(clock() - start)
        out.append(1000.0 * float(np.median(passes)))
    return np.array(out)


def mark_pareto(points: Sequence[CurvePoint]) -> tuple[CurvePoint, ...]:
    """The points, each marked whether it is on the quality–p95 Pareto front."""
    return tuple(replace(p, pareto=not any(_dominates(o, p) for o in points)) for p in points)


def _dominates(a: CurvePoint, b: CurvePoint) -> bool:
    return a.quality >= b.quality and a.p95_ms <= b.p95_ms and (a.quality > b.quality or a.p95_ms < b.p95_ms)


def choose_point(points: Sequence[CurvePoint], budget_ms: float, frames: int) -> CurvePoint:
    """The best-quality Pareto point at ``frames`` per video whose p95 fits ``budget_ms`` (ties: the faster, then
    the shallower); :class:`BadInput` when none fits."""
    served = mark_pareto([p for p in points if p.frames == frames])
    fits = [p for p in served if p.pareto and p.p95_ms <= budget_ms]
    if not fits:
        fastest = min((p.p95_ms for p in served), default=float("nan"))
        raise BadInput(
            f"no depth-cost point at {frames} frames per video fits rerank.latency_budget_ms={budget_ms:g} "
            f"(the fastest p95 is {fastest:.3g} ms)"
        )
    return max(fits, key=lambda p: (p.quality, -p.p95_ms, -p.depth))
