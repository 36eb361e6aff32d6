"""Step: ``reeltag rerank curve``, the depth–cost curve of a run (:mod:`reeltag.rerank.curve`), as one record.

Frames per video come from the video feature cache, which is keyed by the sampling (``video.frames_per_video``
among it): a frame count the cache does not hold yet is extracted once, by the same path as every feature
extraction, and read from the cache after that. The record (JSON) and its plot (PNG) are written atomically and
logged to a ``reeltag/rerank`` run (``reeltag.kind=curve``) with ``result.json``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from reeltag.console import jsonable
from reeltag.io import write_json_atomic
from reeltag.project import Project
from reeltag.rerank.curve import CurvePoint, PointInputs, choose_point, mark_pareto, measure_point
from reeltag.rerank.formats import Issue, read_qrels
from reeltag.rerank.metrics import check_measures, evaluate
from reeltag.rerank.search_inputs import SearchInputs, collect_features, load_search_inputs, quarantine_issues
from reeltag.rerank.tuning import grid
from reeltag.tracking.results import log_result

if TYPE_CHECKING:
    from reeltag.rerank.formats import Qrels
    from reeltag.video.encoder import ClipEncoder


@dataclass(frozen=True, kw_only=True)
class DepthCurve:
    run: Path
    measure: str
    depths: tuple[int, ...]
    frames: tuple[int, ...]
    points: tuple[CurvePoint, ...]  # per frames, per depth; ``pareto`` marked
    topics: int
    longest_run: int  # documents; depths above a topic's run length rerank its whole run (``capped_topics``)
    capped: str
    repeats: int  # timed passes per query
    encoder_model_id: str
    encoder_weights: str
    record: Path | None
    plot: Path | None
    input_issues: tuple[Issue, ...]
    run_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class CurveFiles:
    run: Path
    topics: Path
    qrels: Path
    manifest: Path


def measure_curve(
    project: Project,
    files: CurveFiles,
    *,
    depths: Sequence[int],
    frames: Sequence[int],
    output: Path | None = None,
    encoder: ClipEncoder | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> DepthCurve:
    """Every (depth, frames) point; the record and plot written to ``output`` (and ``.png`` beside it) if given."""
    from reeltag.video.encoder import load_encoder

    inputs = load_search_inputs(project, files.run, files.topics, files.manifest)
    qrels = read_qrels(files.qrels)
    quarantine_issues(project, qrels.issues)
    encoder = encoder or load_encoder(project.settings.clip, project.paths)
    curve = _measured(project, inputs, qrels, sorted(set(depths)), sorted(set(frames)), encoder, on_progress)
    curve = replace(curve, run=Path(files.run), input_issues=inputs.issues + qrels.issues)
    curve = write_curve(curve, output) if output else curve
    return replace(curve, run_id=_log_curve(project, curve))


def _measured(
    project: Project,
    inputs: SearchInputs,
    qrels: Qrels,
    depths: list[int],
    frames: list[int],
    encoder: ClipEncoder,
    on_progress: Callable[[int], None] | None,
) -> DepthCurve:
    cfg = project.settings.rerank
    [measure] = check_measures([cfg.tune_measure])
    feats = {
        f: collect_features(project.with_settings(video={"frames_per_video": f}), inputs, max(depths), encoder, on_progress)
        for f in frames
    }
    first = feats[frames[0]]
    judged = evaluate(inputs.run, qrels, [measure]).topics
    shared = PointInputs(
        run=inputs.run,
        qrels=qrels,
        queries=first.queries,
        topics=sorted(t for t in judged if t in first.queries),
        settings=grid(cfg.alpha_grid, cfg.tune_normalisations, cfg.tune_poolings),
        measure=measure,
        top_m=cfg.top_m,
        folds=cfg.cv_folds,
        seed=cfg.seed,
        resamples=cfg.bootstrap,
        repeats=cfg.curve_repeats,
    )
    points = [measure_point(shared, feats[f].frames, depth=d, frames_per_video=f) for f in frames for d in depths]
    longest = max(len(inputs.run.rankings[t]) for t in shared.topics)
    return DepthCurve(
        run=Path(),
        measure=measure,
        depths=tuple(depths),
        frames=tuple(frames),
        points=mark_pareto(points),
        topics=len(shared.topics),
        longest_run=longest,
        capped=_capped_note(depths, longest),
        repeats=cfg.curve_repeats,
        encoder_model_id=first.encoder_model_id,
        encoder_weights=first.encoder_weights,
        record=None,
        plot=None,
        input_issues=(),
    )


def _capped_note(depths: Sequence[int], longest: int) -> str:
    over = [d for d in depths if d > longest]
    if not over:
        return "no depth exceeds a run's length"
    return f"depths {', '.join(map(str, over))} exceed the longest run ({longest} documents): those topics are reranked whole"


def write_curve(curve: DepthCurve, output: Path, chosen: CurvePoint | None = None) -> DepthCurve:
    """The record at ``output`` and its plot beside it (``.png``), both atomic."""
    from reeltag.rerank.curve_plot import plot_curve

    plot = plot_curve(curve.points, output.with_suffix(".png"), measure=curve.measure, chosen=chosen)
    written = replace(curve, record=Path(output), plot=plot)
    write_json_atomic(output, jsonable(written))
    return written


def _log_curve(project: Project, curve: DepthCurve) -> str | None:
    tags = {"kind": "curve", "encoder_weights": curve.encoder_weights, "encoder_model_id": curve.encoder_model_id}
    with project.tracker.run("rerank", project.settings, tags=tags) as run:
        for path in (curve.record, curve.plot):
            if path is not None:
                project.tracker.log_artifact(run.run_id, path, "curve")
        log_result(project.tracker, run.run_id, curve)
    return run.run_id


def depth_for_budget(
    project: Project,
    files: CurveFiles,
    curve: DepthCurve | None = None,
    encoder: ClipEncoder | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> tuple[DepthCurve, CurvePoint] | None:
    """With ``rerank.latency_budget_ms`` set: the curve (``curve``, or measured over ``rerank.curve_depths`` at the
    served ``video.frames_per_video``) and its best-quality Pareto point that fits the budget at that frame count
    (the frames the feature cache and the API serve); ``None`` without a budget (``rerank.depth`` is kept)."""
    cfg, frames = project.settings.rerank, project.settings.video.frames_per_video
    if cfg.latency_budget_ms is None:
        return None
    curve = curve or measure_curve(
        project, files, depths=cfg.curve_depths, frames=(frames,), encoder=encoder, on_progress=on_progress
    )
    return curve, choose_point(curve.points, cfg.latency_budget_ms, frames)
