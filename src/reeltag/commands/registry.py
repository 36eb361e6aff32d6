"""``reeltag compare MODEL`` (champion vs another version, from their result records), ``reeltag promote MODEL``
(the manual override of the alias policy) and ``reeltag history [MODEL]`` (every alias move, oldest first)."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer

from reeltag.commands.common import ConfigOpt, JsonOpt, RootOpt, handles_errors, open_project
from reeltag.console import console, emit


@handles_errors
def compare(
    model: Annotated[str, typer.Argument(help="tag2vec, mapper, reranker, encoder or fusion.")],
    version: Annotated[str | None, typer.Option("--version", help="Version to compare (default: the newest).")] = None,
    root: RootOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Champion vs the newest version (or --version): their runs' result records side by side and the gate's decision."""
    from reeltag.registry.compare import compare_versions

    emit(compare_versions(open_project(root, config), model, version), as_json, title=f"compare {model}")


@handles_errors
def promote(
    model: Annotated[str, typer.Argument(help="tag2vec, mapper, reranker, encoder or fusion.")],
    version: Annotated[str, typer.Option("--version", help="The version to make champion.")],
    reason: Annotated[str, typer.Option("--reason", help="Why the gate is overridden (recorded).")] = "manual override",
    root: RootOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Manual override: make VERSION the champion (old champion → rollback); who, when and why are recorded as tags.
    ``encoder`` moves its whole serving set (the reranker, mapper and fusion made with it, then the encoder): an
    upgrade, or a rollback to an older encoder."""
    from reeltag.registry.compare import registered_version
    from reeltag.registry.policy import promote_by_hand
    from reeltag.registry.serving_set import ENCODER, promote_set

    project = open_project(root, config)
    if model == ENCODER:
        emit(promote_set(project, version, reason=reason, by=getpass.getuser()), as_json, title="promote encoder set")
        return
    move, record = promote_by_hand(project, model, registered_version(project, model, version), reason, getpass.getuser())
    emit({"model": move.model, "champion": move.champion, "rollback": move.rollback, **record}, as_json, title="promote")


HISTORY_COLUMNS = ("seq", "at", "alias", "previous", "version", "action", "by", "reason")


@handles_errors
def history(
    model: Annotated[
        str | None, typer.Argument(help="tag2vec, mapper, reranker, encoder or fusion; omitted: every model.")
    ] = None,
    root: RootOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Every move of MODEL's aliases (champion, challenger, rollback; no MODEL: of every model, in the order they
    moved), oldest first: who moved it and why."""
    from rich.table import Table

    from reeltag.errors import BadInput
    from reeltag.registry.history import read_history

    try:
        moves = read_history(open_project(root, config), model)
    except ValueError as exc:  # a model name that cannot be one (naming's slug check)
        raise BadInput(f"{exc}; models: tag2vec, mapper, reranker, encoder, fusion") from None
    if as_json:
        emit({"model": model, "moves": moves}, as_json)
        return
    table = Table(title=f"alias history of {model or 'every model'}")
    columns = HISTORY_COLUMNS if model else ("seq", "at", "model", *HISTORY_COLUMNS[2:])
    for name in columns:
        table.add_column(name)
    for m in moves:
        table.add_row(*(str(getattr(m, name) or "-") for name in columns))
    console().print(table)


def register(app: typer.Typer) -> None:
    app.command("compare")(compare)
    app.command("promote")(promote)
    app.command("history")(history)
