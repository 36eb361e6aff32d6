"""``reeltag mapper train|finetune|evaluate --labels L`` and ``reeltag suggest VIDEO_OR_FOLDER_OR_MANIFEST...``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from reeltag.commands.common import ConfigOpt, JsonOpt, RootOpt, handles_errors, open_project, require_existing
from reeltag.console import emit, progress
from reeltag.errors import BadInput
from reeltag.textfiles import read_utf8

mapper_app = typer.Typer(help="The video → Tag2Vec mapper: train, fine-tune on company labels, evaluate.", no_args_is_help=True)

LabelsOpt = Annotated[Path, typer.Option("--labels", help="Company labels, CSV or JSONL: video, tags[, split].")]
WeightsOpt = Annotated[
    str | None, typer.Option("--weights", help="CLIP weights: 'random' or a checkpoint file (default: clip.weights).")
]
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
    from reeltag.pipelines.mapper import train_mapper

    project = _project(root, config, weights, loss=loss, epochs=epochs)
    with progress("video features", None, enabled=not as_json) as advance:
        result = train_mapper(project, labels, on_progress=advance)
    emit(result, as_json, title=f"mapper train (encoder weights: {result.encoder_weights})")


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
    from reeltag.pipelines.mapper import finetune_mapper

    project = _project(root, config, weights, epochs=epochs)
    with progress("video features", None, enabled=not as_json) as advance:
        result = finetune_mapper(project, labels, on_progress=advance)
    emit(result, as_json, title=f"mapper finetune (encoder weights: {result.encoder_weights})")


@mapper_app.command("evaluate")
@handles_errors
def evaluate(
    labels: LabelsOpt, weights: WeightsOpt = None, root: RootOpt = None, config: ConfigOpt = None, as_json: JsonOpt = False
) -> None:
    """P@k, R@k, mAP, hit@k of the champion mapper and the baselines on the held-out videos of LABELS."""
    from reeltag.pipelines.mapper import evaluate_mapper

    project = _project(root, config, weights)
    with progress("video features", None, enabled=not as_json) as advance:
        result = evaluate_mapper(project, labels, on_progress=advance)
    emit(result, as_json, title=f"mapper evaluation (encoder weights: {result.encoder_weights})")


@handles_errors
def suggest(
    inputs: Annotated[
        list[Path], typer.Argument(help="Video files, folders (searched recursively) or manifests (CSV docid,path).")
    ],
    k: Annotated[int | None, typer.Option("-k", "--k", min=1, help="Tags per video (default: mapper.k).")] = None,
    exclude: Annotated[
        list[str] | None, typer.Option("--exclude", help="Tags never suggested (repeat or comma-separate).")
    ] = None,
    allow: Annotated[
        Path | None, typer.Option("--allow", help="File of the only tags that may be suggested (whitespace/comma-separated).")
    ] = None,
    min_score: Annotated[float | None, typer.Option("--min-score", min=-1.0, max=1.0, help="Lowest cosine score shown.")] = None,
    text: Annotated[
        str | None, typer.Option("--text", help="Title/description of the video(s): the text branch of a fitted fusion.")
    ] = None,
    weights: WeightsOpt = None,
    root: RootOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Suggest hashtags for videos with the champion mapper; unreadable files are quarantined and the rest go on."""
    from reeltag.mapper.labels import split_tags
    from reeltag.pipelines.mapper import suggest_tags

    require_existing(inputs)
    project = _project(root, config, weights)
    allowed = split_tags(_read_allow(allow)) if allow is not None else None
    with progress("videos", None, enabled=not as_json) as advance:
        result = suggest_tags(project, inputs, k, split_tags(exclude or []), allowed, min_score, on_progress=advance, text=text)
    emit(result if as_json else _readable(result), as_json, title=f"suggested tags (encoder weights: {result.encoder_weights})")


def _read_allow(path: Path) -> str:
    if not path.is_file():
        raise BadInput(f"allow-list file not found: {path}")
    return read_utf8(path)


def _readable(result: Any) -> dict[str, Any]:
    shown = {v.video: " ".join(f"{s.tag}({s.score:.2f} {s.branch})" for s in v.tags) for v in result.videos}
    notes = {f"note: {v.video}": v.note for v in result.videos if v.note}
    counts = {
        k: getattr(result, k)
        for k in (
            "inputs",
            "suggested",
            "quarantined",
            "mapper_version",
            "tag2vec_version",
            "encoder_id",
            "encoder_weights",
            "seconds",
            "ranking",
        )
    }
    return {**counts, **shown, **notes, **{f"quarantined: {q.item}": q.reason for q in result.quarantine}}


def register(app: typer.Typer) -> None:
    app.add_typer(mapper_app, name="mapper")
    app.command("suggest")(suggest)
