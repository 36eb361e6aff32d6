"""``reeltag text train POSTS...`` and ``reeltag text evaluate --train F --val F --test F``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reeltag.commands.common import (
    ConfigOpt,
    JsonOpt,
    RootOpt,
    handles_errors,
    open_project,
)
from reeltag.console import emit

text_app = typer.Typer(
    help="The text branch: a video's title or description → hashtags, learned from posts.", no_args_is_help=True
)
FilesOpt = Annotated[list[Path], typer.Option(help="Posts files (JSONL, CSV or plain text), as `reeltag ingest` reads them.")]


@text_app.command("train")
@handles_errors
def train(
    posts: Annotated[list[Path], typer.Argument(help="Posts files (JSONL, CSV or plain text).")],
    root: RootOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Learn words → hashtags from POSTS (method chosen on a seeded validation share); `suggest --text` uses it."""
    from reeltag.pipelines.text import train_text_model

    emit(train_text_model(open_project(root, config), posts), as_json, title="text model")


@text_app.command("evaluate")
@handles_errors
def evaluate(
    train: FilesOpt, val: FilesOpt, test: FilesOpt, root: RootOpt = None, config: ConfigOpt = None, as_json: JsonOpt = False
) -> None:
    """P@5, hit@10, MRR@10 of text → hashtags on TEST posts (hashtags removed), method chosen on VAL."""
    from reeltag.pipelines.text import evaluate_text_branch

    emit(evaluate_text_branch(open_project(root, config), train, val, test), as_json, title="text branch")


@text_app.command("leave-one-out")
@handles_errors
def leave_one_out(
    train: FilesOpt, val: FilesOpt, test: FilesOpt, root: RootOpt = None, config: ConfigOpt = None, as_json: JsonOpt = False
) -> None:
    """Leave-one-tag-out hit@k/MRR@k on TEST posts: baselines, Tag2Vec, hybrid, learned combinations tuned on VAL."""
    from reeltag.pipelines.recommend import evaluate_recommenders_on_files

    emit(evaluate_recommenders_on_files(open_project(root, config), train, val, test), as_json, title="tag recommenders")


fusion_app = typer.Typer(
    help="Fusion of the mapper, visual kNN and text branches (reeltag.fusion) for `suggest`.", no_args_is_help=True
)


@fusion_app.command("fit")
@handles_errors
def fit(
    labels: Annotated[Path, typer.Option("--labels", help="Company labels with a title/description/text column.")],
    weights: Annotated[
        str | None, typer.Option("--weights", help="CLIP weights: 'random' or a checkpoint (default: clip.weights).")
    ] = None,
    root: RootOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Fit the fusion ranker on out-of-fold scores of LABELS' train + val videos; every branch and the fusion on its
    test videos; register reeltag.fusion (champion when it does not lose to the mapper alone)."""
    from reeltag.pipelines.fusion import fit_fusion

    result = fit_fusion(open_project(root, config, clip={"weights": weights}), labels)
    emit(result, as_json, title=f"fusion (encoder weights: {result.encoder_weights})")


def register(app: typer.Typer) -> None:
    app.add_typer(text_app, name="text")
    app.add_typer(fusion_app, name="fusion")
