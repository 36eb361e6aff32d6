"""Beyond one machine (registered on ``reeltag``'s CLI through the ``reeltag.commands`` entry point): ``deploy --pool`` registers the flows to a Prefect work pool; ``worker --pool`` runs them.

Both talk to the Prefect server ``PREFECT_API_URL`` names (e.g. the one ``deploy/up.sh`` starts on PostgreSQL);
without it they refuse in one line, since a work pool on a temporary in-process server would vanish with it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from flows.cli import prefect_home
from reeltag.commands.common import (
    ConfigOpt,
    JsonOpt,
    RootOpt,
    handles_errors,
    open_project,
)
from reeltag.console import emit
from reeltag.errors import BadInput

PoolOpt = Annotated[str, typer.Option("--pool", help="Prefect work pool name (a 'process' pool; created when missing).")]


def server_url() -> str:
    """``PREFECT_API_URL``, checked to answer; a clear error otherwise."""
    from flows.server import is_healthy

    url = os.environ.get("PREFECT_API_URL", "")
    if not url:
        raise BadInput(
            "PREFECT_API_URL is not set: work pools live on a Prefect server; start one (deploy/up.sh) "
            "and export PREFECT_API_URL=http://HOST:PORT/api (one machine: use `reeltag serve`)"
        )
    if not is_healthy(url):
        raise BadInput(f"no Prefect server answers at PREFECT_API_URL={url}")
    return url


@handles_errors
def deploy(
    pool: PoolOpt,
    source: Annotated[
        Path | None, typer.Option("--source", help="Checkout the workers run the flows from (default: this one).")
    ] = None,
    root: RootOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Register every flow, with its schedule, to work pool POOL on the Prefect server at PREFECT_API_URL."""
    project = open_project(root, config)
    if source is not None and not (source / "flows" / "deployments.py").is_file():
        raise BadInput(f"--source {source}: no flows/deployments.py there (expected a reeltag checkout)")
    prefect_home(project)
    server_url()
    from flows.workpool import deploy_to_pool

    emit(deploy_to_pool(project.settings, pool, source), as_json, title=f"deployed to work pool {pool}")


@handles_errors
def worker(
    pool: PoolOpt,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Flow runs this worker runs at the same time.")] = 1,
    root: RootOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Start a Prefect process worker on POOL (replaces this process; Ctrl-C twice stops it)."""
    prefect_home(open_project(root, config))
    server_url()
    from flows.workpool import source_dir

    cmd = [sys.executable, "-m", "prefect", "worker", "start", "--pool", pool, "--type", "process", "--limit", str(limit)]
    os.execve(sys.executable, cmd, worker_env(source_dir()))


def worker_env(source: Path) -> dict[str, str]:
    """This environment with the checkout's ``src`` and root first on PYTHONPATH (flow runs import both)."""
    paths = [str(source / "src"), str(source), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(dict.fromkeys(paths))}


def register(app: typer.Typer) -> None:
    app.command("deploy")(deploy)
    app.command("worker")(worker)
