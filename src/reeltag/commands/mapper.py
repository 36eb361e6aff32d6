"""``reeltag mapper train|finetune|evaluate --labels L`` (suggesting with the mapper: :mod:`reeltag.commands.suggest`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from reeltag.commands.common import ConfigOpt, JsonOpt, RootOpt, WeightsOpt, handles_errors, open_project
from reeltag.console import emit, emit_rows, emit_slices, progress

BIAS_TITLE = "popularity bias of the top 5 (ratio > 1: leans to head tags) and vocabulary coverage"
mapper_app = typer.Typer(help="The video → Tag2Vec mapper: train, fine-tune on company labels, evaluate.", no_args_is_help=True)

LabelsOpt = Annotated[Path, typer.Option("--labels", help="Company labels, CSV or JSONL: video, tags[, split].")]
EpochsOpt = Annotated[int | None, typer.Option("--epochs", min=1, help="Maximum epochs (default: mapper.epochs).")]


def _project(root: Path | None, config: Path | None, weights: str | None, **mapper: Any) -> Any:
    return open_project(root, config, clip={"weights": weights}, mapper=mapper)


@mapper_app.command("train")
@handles_errors
def train(
    labels: LabelsOpt,
    loss: Annotated[
        str | None, typer.Option("--loss", help="auto (best on validation), regression or ranking (default: mapper.loss).")
    ] = None,
    epochs: EpochsOpt = None,
    weights: WeightsOpt = None,
    root: RootOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Train a mapper from scratch on LABELS; register reeltag.mapper; promote it when the gate says GO."""
    from reeltag.mapper.steps import train_mapper

    project = _project(root, config, weights, loss=loss, epochs=epochs)
    with progress("video features", None, enabled=not as_json) as advance:
        result = train_mapper(project, labels, on_progress=advance)
    emit(result, as_json, title=f"mapper train (encoder weights: {result.encoder_weights})")
    emit_slices(result.slices, result.slices_reference, as_json)
    emit_rows(result.bias, BIAS_TITLE, as_json)


@mapper_app.command("finetune")
@handles_errors
def finetune(
    labels: LabelsOpt,
    epochs: EpochsOpt = None,
    weights: WeightsOpt = None,
    root: RootOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Fine-tune the champion mapper on LABELS with early stopping; promote it when the gate says GO."""
    from reeltag.mapper.steps import finetune_mapper

    project = _project(root, config, weights, epochs=epochs)
    with progress("video features", None, enabled=not as_json) as advance:
        result = finetune_mapper(project, labels, on_progress=advance)
    emit(result, as_json, title=f"mapper finetune (encoder weights: {result.encoder_weights})")
    emit_slices(result.slices, result.slices_reference, as_json)
    emit_rows(result.bias, BIAS_TITLE, as_json)


@mapper_app.command("evaluate")
@handles_errors
def evaluate(
    labels: LabelsOpt, weights: WeightsOpt = None, root: RootOpt = None, config: ConfigOpt = None, as_json: JsonOpt = False
) -> None:
    """P@k, R@k, mAP, hit@k of the champion mapper and the baselines on the held-out videos of LABELS."""
    from reeltag.mapper.steps import evaluate_mapper

    project = _project(root, config, weights)
    with progress("video features", None, enabled=not as_json) as advance:
        result = evaluate_mapper(project, labels, on_progress=advance)
    emit(result, as_json, title=f"mapper evaluation (encoder weights: {result.encoder_weights})")
    emit_slices(result.slices, result.slices_reference, as_json)
    emit_rows(result.bias, BIAS_TITLE, as_json)


def register(app: typer.Typer) -> None:
    app.add_typer(mapper_app, name="mapper")
