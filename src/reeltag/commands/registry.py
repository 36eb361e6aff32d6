"""``reeltag compare MODEL`` (champion vs another version, from their result records) and ``reeltag promote MODEL``
(the manual override of the alias policy)."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer

from reeltag.commands.common import ConfigOpt, JsonOpt, RootOpt, handles_errors, open_project
from reeltag.console import emit


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
    """Manual override: make VERSION the champion (old champion → rollback); who, when and why are recorded as tags."""
    from reeltag.registry.compare import registered_version
    from reeltag.registry.policy import promote_by_hand

    project = open_project(root, config)
    move, record = promote_by_hand(project, model, registered_version(project, model, version), reason, getpass.getuser())
    emit({"model": move.model, "champion": move.champion, "rollback": move.rollback, **record}, as_json, title="promote")


def register(app: typer.Typer) -> None:
    app.command("compare")(compare)
    app.command("promote")(promote)
