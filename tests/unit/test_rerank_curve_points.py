"""The depth–cost curve's pure parts: the Pareto front, the point a latency budget picks, the timed serving path."""

from itertools import count

import numpy as np
import pytest

from reeltag.errors import BadInput
from reeltag.rerank.catalogue import build_matrix
from reeltag.rerank.curve import CurvePoint, PointInputs, choose_point, mark_pareto, query_latencies_ms
from reeltag.rerank.formats import Qrels, Ranking, Run
from reeltag.rerank.tuning import Setting


def _point(depth: int, quality: float, p95: float, frames: int = 8) -> CurvePoint:
    return CurvePoint(
        depth=depth,
        frames=frames,
        quality=quality,
        ci_low=quality - 0.05,
        ci_high=quality + 0.05,
        p50_ms=p95 / 2,
        p95_ms=p95,
        capped_topics=0,
        candidates=depth,
        setting="alpha0.50-minmax-max",
    )


POINTS = [_point(100, 0.50, 1.0), _point(500, 0.60, 3.0), _point(1000, 0.58, 5.0), _point(5000, 0.62, 20.0)]


def test_a_point_is_on_the_front_unless_another_is_as_good_and_as_fast_one_strictly() -> None:
    marked = mark_pareto([*POINTS, _point(250, 0.50, 1.0)])
    assert [(p.depth, p.pareto) for p in marked] == [(100, True), (500, True), (1000, False), (5000, True), (250, True)]


def test_the_budget_picks_the_best_quality_front_point_that_fits_at_the_served_frame_count() -> None:
    assert choose_point(POINTS, 5.0, 8).depth == 500  # 1000 fits but is dominated by 500
    assert choose_point(POINTS, 20.0, 8).depth == 5000
    assert choose_point([*POINTS, _point(2000, 0.9, 0.5, frames=4)], 5.0, 8).depth == 500  # other frame counts: not served
    with pytest.raises(BadInput, match="fastest p95 is 1 ms"):
        choose_point(POINTS, 0.5, 8)


def test_each_query_is_timed_on_the_serving_path_and_its_median_pass_kept() -> None:
    rng = np.random.default_rng(0)
    frames = {f"d{i}": rng.normal(size=(3, 4)).astype(np.float32) for i in range(6)}
    docids = tuple(frames)
    run = Run({q: Ranking(q, docids, tuple(float(-i) for i in range(6))) for q in ("q1", "q2")}, "base")
    inputs = PointInputs(
        run=run,
        qrels=Qrels({}),
        queries={"q1": rng.normal(size=4), "q2": rng.normal(size=4)},
        topics=["q1", "q2"],
        settings=[],
        measure="AP",
        top_m=2,
        folds=2,
        seed=0,
        resamples=10,
        repeats=3,
    )
    ticks = count()
    clock = lambda: next(ticks) * 0.001  # noqa: E731 (every pass takes exactly 1 ms)
    latencies = query_latencies_ms(build_matrix(frames, 4), inputs, depth=4, setting=Setting(0.5, "minmax", "max"), clock=clock)
    assert latencies == pytest.approx([1.0, 1.0])
