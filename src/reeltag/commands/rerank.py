"""``reeltag rerank [apply] RUN``, ``reeltag rerank tune RUN``, ``reeltag rerank curve RUN``, ``reeltag evaluate RUN``,
``reeltag ab RUN_A RUN_B``.

``rerank`` is a group whose default command is ``apply``: ``reeltag rerank RUN --topics T ...`` is read as
``reeltag rerank apply RUN ...`` whenever the first word is not a sub-command name (a run file literally
called ``tune`` or ``apply`` needs the explicit ``rerank apply tune``).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from reeltag.commands.common import ConfigOpt, JsonOpt, RootOpt, handles_errors, open_project
from reeltag.console import console, emit, progress

if TYPE_CHECKING:
    from typer._click.core import Context  # Typer's own copy of click, which TyperGroup is typed against


class _DefaultApply(TyperGroup):
    """Route ``rerank RUN ...`` to ``rerank apply RUN ...``."""

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["apply", *args]
        return super().parse_args(ctx, args)


rerank_app = typer.Typer(
    cls=_DefaultApply, help="CLIPRerank: rescore a run's top-k with CLIP frame features (default: apply).", no_args_is_help=True
)

RunArg = Annotated[Path, typer.Argument(help="TREC run: qid Q0 docid rank score tag.")]
TopicsOpt = Annotated[Path, typer.Option("--topics", help="Topics file: qid text per line.")]
ManifestOpt = Annotated[Path, typer.Option("--manifest", help="CSV docid,path (paths relative to the manifest).")]
QrelsOpt = Annotated[Path, typer.Option("--qrels", help="qrels (qid 0 docid rel) or sampled qrels (qid 0 docid stratum rel).")]
DepthOpt = Annotated[int | None, typer.Option("--depth", min=1, help="Top-k of each topic to rerank [rerank.depth].")]
WeightsOpt = Annotated[str | None, typer.Option("--weights", help="CLIP weights: 'random' or a checkpoint file [clip.weights].")]
CategoriesOpt = Annotated[
    Path | None,
    typer.Option("--categories", help="qid category per line: adds the topic_category slice (TRECVID topics have none)."),
]
SliceTopicsOpt = Annotated[Path | None, typer.Option("--topics", help="Topics file: adds the topic_length slice.")]
MeasuresOpt = Annotated[
    list[str] | None,
    typer.Option("--measures", help="Measures, e.g. AP,P@10,R@100,nDCG@10,xinfAP,infNDCG,iP@10 (repeat or comma-separate)."),
]


def _measures(values: list[str] | None) -> list[str] | None:
    names = [m for v in values or [] for m in v.split(",") if m.strip()]
    return names or None


@rerank_app.command("apply")
@handles_errors
def apply(
    run: RunArg,
    topics: TopicsOpt,
    manifest: ManifestOpt,
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write the reranked TREC run.")],
    alpha: Annotated[
        float | None,
        typer.Option("--alpha", min=0.0, max=1.0, help="Weight of the CLIP score; 0 keeps the engine's order [rerank.alpha]."),
    ] = None,
    depth: DepthOpt = None,
    pooling: Annotated[str | None, typer.Option("--pooling", help="max, mean or topm [rerank.pooling].")] = None,
    normalisation: Annotated[str | None, typer.Option("--normalisation", help="minmax, zscore or none.")] = None,
    weights: WeightsOpt = None,
    root: RootOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Rerank the top-k of every topic of RUN with CLIP frame features; write a TREC run."""
    from reeltag.rerank.steps import rerank_run

    overrides: dict[str, Any] = {"alpha": alpha, "depth": depth, "pooling": pooling, "normalisation": normalisation}
    project = open_project(root, config, rerank=overrides, clip={"weights": weights})
    with progress("frame features", None, enabled=not as_json) as advance:
        result = rerank_run(project, run, topics, manifest, output, on_progress=advance)
    emit(result, as_json, title=f"reranked run (CLIP weights: {result.encoder_weights})")


@rerank_app.command("tune")
@handles_errors
def tune(
    run: RunArg,
    topics: TopicsOpt,
    qrels: QrelsOpt,
    manifest: ManifestOpt,
    depth: DepthOpt = None,
    measure: Annotated[str | None, typer.Option("--measure", help="Measure to maximise [rerank.tune_measure].")] = None,
    folds: Annotated[int | None, typer.Option("--folds", min=2, help="Cross-validation folds [rerank.cv_folds].")] = None,
    weights: WeightsOpt = None,
    categories: CategoriesOpt = None,
    budget: Annotated[
        float | None,
        typer.Option(
            "--latency-budget-ms",
            min=0.0,
            help="Pick the depth from the depth-cost curve: the best-quality Pareto point whose p95 fits [rerank.latency_budget_ms].",
        ),
    ] = None,
    root: RootOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Grid over α × normalisation × pooling, cross-validated over topics; register reeltag.reranker."""
    from reeltag.rerank.steps import tune_rerank

    overrides: dict[str, Any] = {"depth": depth, "tune_measure": measure, "cv_folds": folds, "latency_budget_ms": budget}
    project = open_project(root, config, rerank=overrides, clip={"weights": weights})
    with progress("frame features", None, enabled=not as_json) as advance:
        result = tune_rerank(project, run, topics, qrels, manifest, on_progress=advance, categories=categories)
    emit(result, as_json, title=f"rerank tuning: {result.verdict} (CLIP weights: {result.encoder_weights})")


def _numbers(text: str | None) -> list[int] | None:
    return [int(v) for v in text.split(",") if v.strip()] if text else None


@rerank_app.command("curve")
@handles_errors
def curve(
    run: RunArg,
    topics: TopicsOpt,
    qrels: QrelsOpt,
    manifest: ManifestOpt,
    depths: Annotated[str | None, typer.Option("--depths", help="Comma-separated depths [rerank.curve_depths].")] = None,
    frames: Annotated[
        str | None, typer.Option("--frames", help="Comma-separated frames per video [rerank.curve_frames].")
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Record (JSON; the plot beside it, .png) [data/reports/rerank-curve.json]."),
    ] = None,
    weights: WeightsOpt = None,
    root: RootOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Depth-cost curve: per (depth, frames per video), cross-validated quality and p50/p95 scoring latency."""
    from reeltag.rerank.depth_cost import CurveFiles, measure_curve

    overrides: dict[str, Any] = {"curve_depths": _numbers(depths), "curve_frames": _numbers(frames)}
    project = open_project(root, config, rerank=overrides, clip={"weights": weights})
    cfg = project.settings.rerank
    files = CurveFiles(run=run, topics=topics, qrels=qrels, manifest=manifest)
    with progress("frame features", None, enabled=not as_json) as advance:
        result = measure_curve(
            project,
            files,
            depths=cfg.curve_depths,
            frames=cfg.curve_frames,
            output=output or project.paths.reports / "rerank-curve.json",
            on_progress=advance,
        )
    emit(result, as_json, title=f"depth-cost curve (CLIP weights: {result.encoder_weights})")


@handles_errors
def evaluate(
    run: RunArg,
    qrels: QrelsOpt,
    measures: MeasuresOpt = None,
    per_topic: Annotated[bool, typer.Option("--per-topic", help="Also print every topic's values.")] = False,
    root: RootOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """AP/MAP, P@k, R@k, nDCG@k (ir-measures) and NIST's xinfAP, infNDCG, iP@k (sample_eval.pl) of a run."""
    from reeltag.rerank.steps import evaluate_run

    result = evaluate_run(open_project(root, config), run, qrels, _measures(measures), per_topic)
    if as_json or not result.per_topic:
        emit(result, as_json, title=f"evaluation of {run.name}")
        return
    emit(replace(result, per_topic=None), as_json, title=f"evaluation of {run.name}")
    _print_per_topic(result.per_topic, result.mean)


def _print_per_topic(per_topic: dict[str, dict[str, float]], mean: dict[str, float]) -> None:
    from rich.table import Table

    table = Table("topic", *per_topic, title="per topic")
    topics = sorted({q for values in per_topic.values() for q in values})
    for qid in topics:
        table.add_row(qid, *(f"{per_topic[m][qid]:.4f}" for m in per_topic))
    table.add_row("all", *(f"{mean[m]:.4f}" for m in per_topic), style="bold")
    console().print(table)


@handles_errors
def ab(
    run_a: Annotated[Path, typer.Argument(help="Run A (base / champion).")],
    run_b: Annotated[Path, typer.Argument(help="Run B (reranked / challenger).")],
    qrels: QrelsOpt,
    measures: MeasuresOpt = None,
    topics: SliceTopicsOpt = None,
    categories: CategoriesOpt = None,
    root: RootOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Paired per-topic A/B of two runs: mean delta (B − A), bootstrap 95% CI, Wilcoxon p, wins/ties/losses; per slice."""
    from reeltag.rerank.steps import compare_runs

    project = open_project(root, config)
    result = compare_runs(project, run_a, run_b, qrels, _measures(measures), topics=topics, categories=categories)
    if as_json:
        emit(result, as_json)
        return
    emit(replace(result, comparisons=(), slices=()), as_json, title=f"A/B: {run_b.name} (B) vs {run_a.name} (A)")
    _print_comparisons(result.comparisons)


def _print_comparisons(comparisons: Any) -> None:
    from rich.table import Table

    table = Table("metric", "A", "B", "B − A", "95% CI", "Wilcoxon p", "wins/ties/losses", "topics")
    for c in comparisons:
        table.add_row(
            c.metric,
            f"{c.mean_a:.4f}",
            f"{c.mean_b:.4f}",
            f"{c.mean_delta:+.4f}",
            f"[{c.ci_low:+.4f}, {c.ci_high:+.4f}]",
            f"{c.wilcoxon_p:.3g}",
            f"{c.wins}/{c.ties}/{c.losses}",
            str(c.n_topics),
        )
    console().print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(rerank_app, name="rerank")
    app.command("evaluate")(evaluate)
    app.command("ab")(ab)
