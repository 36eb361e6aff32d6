"""``reeltag review [--port] [--reviewer]`` (the page), ``review add VIDEOS|FOLDER|MANIFEST``, ``review export``,
``review release NAME``."""

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
from reeltag.errors import NotFound

review_app = typer.Typer(help="Staff review: a web page to accept, reject and add suggested tags.", invoke_without_command=True)


@review_app.callback()
@handles_errors
def serve(
    ctx: typer.Context,
    port: Annotated[
        int | None, typer.Option("--port", min=1, max=65535, help="Port on 127.0.0.1 (default: review.port, 8010).")
    ] = None,
    reviewer: Annotated[
        str | None, typer.Option("--reviewer", help="Reviewer name the page offers (default: review.reviewer).")
    ] = None,
    root: RootOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Serve the review page on 127.0.0.1 (without a sub-command); Ctrl-C stops it."""
    if ctx.invoked_subcommand is not None:
        return
    from reeltag.api.server import serve_review
    from reeltag.review.server import HOST

    project = open_project(root, config, review={"port": port, "reviewer": reviewer})
    typer.echo(
        f"staff review on http://{HOST}:{project.settings.review.port}/ (queue {project.settings.review.queue!r}, "
        f"store {project.paths.review_db}); Ctrl-C stops it",
        err=True,
    )
    serve_review(project)


@review_app.command("add")
@handles_errors
def add(
    inputs: Annotated[
        list[Path] | None, typer.Argument(help="Videos, folders or manifests (default: data/inbox/videos/).")
    ] = None,
    root: RootOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Enqueue videos with the champion mapper's suggestions (unreadable files are quarantined)."""
    from reeltag.review.steps import add_to_review

    emit(add_to_review(open_project(root, config), inputs or ()), as_json, title="review add")


@review_app.command("rescore")
@handles_errors
def rescore(root: RootOpt = None, config: ConfigOpt = None, as_json: JsonOpt = False) -> None:
    """Give the undecided items the champion mapper's suggestions (finetune-mapper runs this after its fit)."""
    from reeltag.review.rescore import rescore_queue

    emit(rescore_queue(open_project(root, config)), as_json, title="review rescore")


@review_app.command("export")
@handles_errors
def export(
    out: Annotated[Path | None, typer.Option("--out", help="Labels CSV (default: data/inbox/labels.csv).")] = None,
    root: RootOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write the decided items as company labels (video,tags,split), atomically; finetune-mapper picks them up."""
    from reeltag.review.export import export_labels
    from reeltag.review.store import ReviewStore

    project = open_project(root, config)
    target = out or project.paths.data / "inbox" / "labels.csv"
    emit(
        export_labels(ReviewStore(project.paths.review_db), target, project.settings.review.queue), as_json, title="review export"
    )


@review_app.command("release")
@handles_errors
def release(
    name: Annotated[str, typer.Argument(help="A reviewer name a browser claimed (its cookie was lost).")],
    root: RootOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Free a claimed reviewer name: the browser that claimed it no longer acts as it; the next to choose it does."""
    from reeltag.review.store import ReviewStore

    store = ReviewStore(open_project(root, config).paths.review_db).require()
    if not store.release_reviewer(name):
        raise NotFound(f"no browser has claimed the reviewer name {name[:64]!r}")
    emit({"released": name, "db": str(store.path)}, as_json, title="review release")


def register(app: typer.Typer) -> None:
    app.add_typer(review_app, name="review")
