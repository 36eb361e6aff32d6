"""``reeltag tag2vec train|evaluate|neighbors|trends``."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from reeltag.commands.common import ConfigOpt, JsonOpt, RootOpt, handles_errors, open_project
from reeltag.console import emit, emit_slices, progress

tag2vec_app = typer.Typer(help="Tag2Vec: train, evaluate, neighbours, trends.", no_args_is_help=True)
VersionOpt = Annotated[str | None, typer.Option("--version", help="Registry version (default: the champion).")]


@dataclass(frozen=True, kw_only=True)
class EvaluateOutput:
    version: str
    k: int
    queries: int
    heldout_posts: int
    vocabulary: int
    recommender: str  # the one the training chose on validation posts (served by the pyfunc, shown by the report)
    recommender_note: str  # how it was chosen
    val: dict[str, Any]  # the offered methods on the validation posts (the choice)
    methods: dict[str, Any]
    slices: list[dict[str, Any]]  # tag_frequency bands of tag2vec_io against slices_reference
    slices_reference: str
    note: str
    run_id: str | None  # MLflow run in reeltag/tag2vec; None when tracking is off


@tag2vec_app.command("train")
@handles_errors
def train(
    incremental: Annotated[bool, typer.Option("--incremental", help="Continue the champion on posts newer than it.")] = False,
    epochs: Annotated[int | None, typer.Option("--epochs", min=1, help="Training passes [tag2vec.epochs].")] = None,
    root: RootOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Train skip-gram Tag2Vec on the validated sentences, register it, promote it if it passes the gate."""
    from reeltag.tag2vec.steps import train_tag2vec

    project = open_project(root, config, tag2vec={"epochs": epochs})
    with progress("train tag2vec", None, enabled=not as_json):
        result = train_tag2vec(project, incremental=incremental)
    emit(result, as_json, title=f"tag2vec v{result.version}: {result.verdict}")
    emit_slices(result.slices, result.slices_reference, as_json)


@tag2vec_app.command("evaluate")
@handles_errors
def evaluate(version: VersionOpt = None, root: RootOpt = None, config: ConfigOpt = None, as_json: JsonOpt = False) -> None:
    """hit@k and MRR@k on held-out posts: Tag2Vec (input-input, input-output), popularity, co-occurrence, hybrid,
    the learned ranker when offered; names the recommender chosen on validation posts; one MLflow run in reeltag/tag2vec."""
    from reeltag.tag2vec.steps import evaluate_tag2vec

    project = open_project(root, config)
    with progress("evaluate", None, enabled=not as_json):
        result = evaluate_tag2vec(project, version)
    ev = result.evaluation
    note = "leave-one-tag-out over held-out posts with >=2 known tags; ties count against the hidden tag"
    emit(
        EvaluateOutput(
            version=result.version,
            k=ev.k,
            queries=ev.queries,
            heldout_posts=ev.heldout_posts,
            vocabulary=ev.vocabulary,
            recommender=ev.recommender,
            recommender_note=ev.recommender_note,
            val={name: asdict(score) for name, score in ev.val.items()},
            methods={name: asdict(score) for name, score in ev.methods.items()},
            slices=ev.slices,
            slices_reference=ev.slices_reference,
            note=note,
            run_id=result.run_id,
        ),
        as_json,
        title="tag2vec evaluate",
    )
    emit_slices(ev.slices, ev.slices_reference, as_json)


@tag2vec_app.command("neighbors")
@handles_errors
def neighbors(
    tag: Annotated[str, typer.Argument(help="A tag, written any way (#Cats, cat…).")],
    k: Annotated[int, typer.Option("-k", min=1, help="How many neighbours.")] = 10,
    version: VersionOpt = None,
    root: RootOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The k nearest tags (cosine) in the champion's (or a version's) tag space."""
    from reeltag.tag2vec.steps import tag_neighbours

    emit(tag_neighbours(open_project(root, config), tag, k, version), as_json, title=f"neighbours of {tag}")


@tag2vec_app.command("trends")
@handles_errors
def trends(
    from_version: Annotated[str, typer.Option("--from", help="Older registry version.")],
    to_version: Annotated[str, typer.Option("--to", help="Newer registry version.")],
    top: Annotated[int, typer.Option("--top", min=1, help="Tags per list.")] = 20,
    root: RootOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """New tags, fastest-rising tags and tags whose neighbours changed most between two versions."""
    from reeltag.tag2vec.steps import tag_trends

    emit(tag_trends(open_project(root, config), from_version, to_version, top), as_json, title="tag2vec trends")


@tag2vec_app.command("follow")
@handles_errors
def follow(
    posts: Annotated[Path, typer.Argument(help="Dated posts: lines ending in 'Mon D, YYYY' (the astha 2013 tweets).")],
    start: Annotated[str, typer.Option("--from", help="First month (YYYY-MM) added after the initial training.")],
    end: Annotated[str | None, typer.Option("--to", help="Last month added (default: the last but one).")] = None,
    validation_months: Annotated[
        int, typer.Option(min=1, help="First months from --from on which the recent mode's setting is chosen (not compared).")
    ] = 2,
    root: RootOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Frozen vs incremental vs full retrain vs recent vs drift-triggered, month by month: next-month hit@k, share of
    next-month tags known, paired bootstrap intervals against frozen, retrain counts."""
    from reeltag.tag2vec.follow import follow_trends

    emit(follow_trends(open_project(root, config), posts, start, end, validation_months), as_json, title="trend following")


def register(app: typer.Typer) -> None:
    app.add_typer(tag2vec_app, name="tag2vec")
