"""``reeltag encoders compare``: the same search set through two or more CLIP encoders, side by side (quality,
per-query latency, extraction cost)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reeltag.commands.common import ConfigOpt, JsonOpt, RootOpt, handles_errors, open_project, require_existing
from reeltag.console import console, emit, jsonable, progress

encoders_app = typer.Typer(help="CLIP encoders: compare them on your search set.", no_args_is_help=True)

TopicsOpt = Annotated[Path, typer.Option("--topics", help="Topics file: qid text per line.")]
QrelsOpt = Annotated[Path, typer.Option("--qrels", help="qrels (qid 0 docid rel).")]
ManifestOpt = Annotated[Path, typer.Option("--manifest", help="CSV docid,path (paths relative to the manifest).")]
EncoderOpt = Annotated[
    list[str],
    typer.Option(
        "--encoder",
        help="ARCH=WEIGHTS, repeat for each encoder (two or more): reeltag-tiny=random, reeltag-tiny-rn=enc.pt, "
        "ViT-B-32=openai (a pretrained tag needs the network or the hub cache).",
    ),
]


@handles_errors
def compare(
    run: Annotated[Path, typer.Argument(help="Base engine run (TREC).")],
    topics: TopicsOpt,
    qrels: QrelsOpt,
    manifest: ManifestOpt,
    encoder: EncoderOpt,
    depth: Annotated[int | None, typer.Option("--depth", min=1, help="Top-k of each topic to rerank [rerank.depth].")] = None,
    root: RootOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """MAP, P@5 (configured setting and CLIP alone), ms/query and frames/s of each encoder on one search set."""
    from reeltag.errors import BadInput
    from reeltag.rerank.encoder_compare import EncoderSpec, compare_encoders

    if len(encoder) < 2:
        raise BadInput(f"{len(encoder)} --encoder given; compare needs two or more (ARCH=WEIGHTS each)")
    require_existing([run, topics, qrels, manifest])
    project = open_project(root, config, rerank={"depth": depth})
    specs = [EncoderSpec.parse(e) for e in encoder]
    with progress("encoding the catalogue per encoder", None, enabled=not as_json) as advance:
        result = compare_encoders(project, specs, files=(run, topics, qrels, manifest), on_progress=advance)
    if as_json:
        emit(result, as_json)
        return
    emit({k: v for k, v in vars(result).items() if k != "encoders"}, as_json, title="encoders compare")
    _side_by_side(jsonable(result.encoders))


def _side_by_side(rows: dict[str, dict[str, object]]) -> None:
    """One column per encoder, one row per figure."""
    from rich.table import Table

    table = Table(title="encoders side by side")
    table.add_column("figure", style="bold")
    for number in range(1, len(rows) + 1):
        table.add_column(f"#{number}")
    table.add_row("encoder", *rows)
    for figure in next(iter(rows.values())):
        table.add_row(figure, *(_shown(row[figure]) for row in rows.values()))
    console().print(table)


def _shown(value: object) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


@handles_errors
def backfill(
    inputs: Annotated[list[Path], typer.Argument(help="Manifests (catalogue, labels), folders or video files.")],
    version: Annotated[
        str | None, typer.Option("--version", help="reeltag.encoder version to backfill with (default: the [clip] encoder).")
    ] = None,
    root: RootOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Encode every video with a candidate encoder into the feature cache: resumable (a killed run's entries are kept
    and only the missing ones are encoded next time), progress and ETA shown; the serving encoder's entries untouched."""
    from reeltag.video.backfill import backfill_features
    from reeltag.video.inputs import resolve_inputs

    require_existing(inputs)
    project = open_project(root, config)
    total = len(resolve_inputs(inputs, project.settings.paths.allow_absolute_manifest_paths).videos)
    with progress("backfilling features", total, enabled=not as_json) as advance:
        result = backfill_features(project, inputs, version=version, on_progress=advance)
    emit(result, as_json, title=f"encoders backfill ({result.weights_kind} weights)")


def register(app: typer.Typer) -> None:
    encoders_app.command("compare")(compare)
    encoders_app.command("backfill")(backfill)
    app.add_typer(encoders_app, name="encoders")
