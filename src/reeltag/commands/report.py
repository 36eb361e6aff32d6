"""``reeltag report``: the go/no-go report (HTML + decision.json), logged to MLflow ``reeltag/report``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from reeltag.commands.common import ConfigOpt, JsonOpt, RootOpt, handles_errors, open_project
from reeltag.console import emit


@handles_errors
def report(
    out: Annotated[Path | None, typer.Option("--out", help="HTML file (default data/reports/report.html).")] = None,
    labels: Annotated[Path | None, typer.Option("--labels", help="Labels file to re-measure the mapper on.")] = None,
    search: Annotated[
        Path | None, typer.Option("--search", help="Search set folder (base.run, topics.txt, qrels.txt, manifest.csv).")
    ] = None,
    root: RootOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write the PoC go/no-go report (HTML + decision.json) and log it to MLflow reeltag/report."""
    from reeltag.report.steps import build_report

    result = build_report(
        open_project(root, config),
        labels=str(labels) if labels else None,
        search=str(search) if search else None,
        out=str(out) if out else None,
    )
    emit(result, as_json, title=f"PoC verdict: {result.verdict}")


def register(app: typer.Typer) -> None:
    app.command("report")(report)
