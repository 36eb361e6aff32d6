"""The one Typer app ``reeltag``. Sub-commands live in ``reeltag.commands.*`` and register here; the commands that
run Prefect flows live in ``flows/`` (the top layer) and register through the ``reeltag.commands`` entry points.

Heavy libraries are imported inside command bodies, so ``reeltag --help`` stays fast.
"""

from __future__ import annotations

import importlib
import os
from importlib.metadata import entry_points

import typer

from reeltag import __version__
from reeltag.tracking.naming import TELEMETRY_OFF

COMMAND_MODULES = (
    "reeltag.commands.core",
    "reeltag.commands.clip",
    "reeltag.commands.encoders",
    "reeltag.commands.mapper",
    "reeltag.commands.corpus",
    "reeltag.commands.tag2vec",
    "reeltag.commands.rerank",
    "reeltag.commands.registry",
    "reeltag.commands.report",
    "reeltag.commands.review",
    "reeltag.commands.api",
    "reeltag.commands.text",
    "reeltag.commands.suggest",
    "reeltag.commands.ab_online",
)
PLUGIN_GROUP = "reeltag.commands"  # entry points adding commands from above src/reeltag (the flow commands in flows/)

app = typer.Typer(
    name="reeltag",
    help="Hashtag suggestion (Tag2Vec) and CLIP search reranking for short videos.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"reeltag {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
) -> None:
    """reeltag: Tag2Vec hashtag suggestion and CLIPRerank, kept fresh by Prefect, tracked in MLflow."""
    for key, value in TELEMETRY_OFF.items():  # the process entry point, not the library, sets process-wide state
        os.environ.setdefault(key, value)


for _module in COMMAND_MODULES:
    importlib.import_module(_module).register(app)
for _plugin in entry_points(group=PLUGIN_GROUP):
    _plugin.load()(app)
