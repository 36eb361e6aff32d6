"""``reeltag suggest VIDEO_OR_FOLDER_OR_MANIFEST...`` (a video's tags from the champion models) and ``reeltag fusion
fit`` (the fusion of the mapper, visual kNN and text branches that ``suggest`` ranks with)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from reeltag.commands.common import ConfigOpt, JsonOpt, RootOpt, WeightsOpt, handles_errors, open_project, require_existing
from reeltag.commands.mapper import BIAS_TITLE
from reeltag.console import emit, emit_rows, emit_slices, progress
from reeltag.errors import BadInput
from reeltag.textfiles import read_utf8

fusion_app = typer.Typer(
    help="Fusion of the mapper, visual kNN and text branches (reeltag.fusion) for `suggest`.", no_args_is_help=True
)


@fusion_app.command("fit")
@handles_errors
def fit(
    labels: Annotated[Path, typer.Option("--labels", help="Company labels with a title/description/text column.")],
    weights: WeightsOpt = None,
    root: RootOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Fit the fusion ranker on out-of-fold scores of LABELS' train + val videos; every branch and the fusion on its
    test videos; register reeltag.fusion (champion when it does not lose to the mapper alone)."""
    from reeltag.suggest.fusion_fit import fit_fusion

    result = fit_fusion(open_project(root, config, clip={"weights": weights}), labels)
    emit(result, as_json, title=f"fusion (encoder weights: {result.encoder_weights})")
    emit_slices(result.slices, result.slices_reference, as_json)
    emit_rows(result.bias, BIAS_TITLE, as_json)


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
    from reeltag.suggest.steps import suggest_tags

    require_existing(inputs)
    project = open_project(root, config, clip={"weights": weights})
    allowed = split_tags(_read_allow(allow)) if allow is not None else None
    with progress("videos", None, enabled=not as_json) as advance:
        result = suggest_tags(
            project,
            inputs,
            k=k,
            exclude=split_tags(exclude or []),
            allow=allowed,
            min_score=min_score,
            on_progress=advance,
            text=text,
        )
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
    app.command("suggest")(suggest)
    app.add_typer(fusion_app, name="fusion")
