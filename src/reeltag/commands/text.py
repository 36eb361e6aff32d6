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
    from reeltag.text.steps import train_text_model

    emit(train_text_model(open_project(root, config), posts), as_json, title="text model")


@text_app.command("evaluate")
@handles_errors
def evaluate(
    train: FilesOpt, val: FilesOpt, test: FilesOpt, root: RootOpt = None, config: ConfigOpt = None, as_json: JsonOpt = False
) -> None:
    """P@5, hit@10, MRR@10 of text → hashtags on TEST posts (hashtags removed), method chosen on VAL."""
    from reeltag.text.steps import evaluate_text_branch

    emit(evaluate_text_branch(open_project(root, config), train, val, test), as_json, title="text branch")


@text_app.command("leave-one-out")
@handles_errors
def leave_one_out(
    train: FilesOpt,
    val: FilesOpt,
    test: FilesOpt,
    seeds: Annotated[
        int,
        typer.Option("--seeds", min=1, max=50, help="Runs, seeds advanced by 0..N-1: each figure's mean and 95 % Student-t CI."),
    ] = 1,
    root: RootOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Leave-one-tag-out hit@k/MRR@k on TEST posts: baselines, Tag2Vec, hybrid, learned combinations tuned on VAL."""
    from reeltag.text.recommenders import evaluate_recommenders_on_files

    result = evaluate_recommenders_on_files(open_project(root, config), train, val, test, seeds=seeds)
    emit(result, as_json, title="tag recommenders")


def register(app: typer.Typer) -> None:
    app.add_typer(text_app, name="text")
