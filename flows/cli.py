"""The CLI commands that run flows: ``flows list|run``, ``serve``, ``demo``, ``deploy --pool``, ``worker --pool``.

They register on ``reeltag``'s CLI through the ``reeltag.commands`` entry point (pyproject.toml), so
``src/reeltag`` never imports this folder; flows sit above every other layer.

Prefect is imported only inside these command bodies, after ``PREFECT_HOME`` (and the API URL) point at
the project's own state (``<root>/data/prefect``): Prefect reads its settings when it is imported.
"""

from __future__ import annotations

import inspect
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeGuard, cast

import typer
from rich.console import Console

from reeltag.commands.common import ConfigOpt, JsonOpt, RootOpt, handles_errors, open_project
from reeltag.commands.demo_log import demo_logging, quiet_environment
from reeltag.console import emit
from reeltag.errors import BadInput, NotFound
from reeltag.project import Project

if TYPE_CHECKING:
    from prefect.states import State

    from reeltag.demo.generate import DemoSizeName

flows_app = typer.Typer(help="Prefect flows: list schedules, run one now.", no_args_is_help=True)
ParamOpt = Annotated[list[str] | None, typer.Option("--param", help="k=v (JSON values; dotted keys for config sections).")]


def prefect_home(project: Project) -> Path:
    """Point Prefect at the project's state unless the caller chose another (must run before importing Prefect)."""
    os.environ.setdefault("PREFECT_HOME", str(project.paths.prefect_home))
    defaults = {
        "DO_NOT_TRACK": "true",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
    }  # first start migrates a new SQLite db
    for key, value in defaults.items():
        os.environ.setdefault(key, value)
    home = Path(os.environ["PREFECT_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    return home


def parse_params(pairs: list[str] | None) -> dict[str, Any]:
    """``["tag2vec.epochs=5", "files=[\\"a.jsonl\\"]"]`` → ``{"tag2vec": {"epochs": 5}, "files": ["a.jsonl"]}``."""
    out: dict[str, Any] = {}
    for pair in pairs or []:
        key, sep, text = pair.partition("=")
        if not sep or not key:
            raise BadInput(f"--param {pair!r}: expected KEY=VALUE")
        try:
            value: Any = json.loads(text)
        except json.JSONDecodeError:
            value = text
        section, dot, field = key.partition(".")
        if dot:
            out.setdefault(section, {})[field] = value
        else:
            out[key] = value
    return out


@dataclass(frozen=True)
class FlowRunResult:
    flow: str
    state: str
    result: Any


@flows_app.command("list")
@handles_errors
def list_flows(root: RootOpt = None, config: ConfigOpt = None, as_json: JsonOpt = False) -> None:
    """Every flow with its cron schedule (UTC unless schedules.timezone says otherwise) and its next runs."""
    project = open_project(root, config)
    prefect_home(project)
    from flows.deployments import schedule_table

    rows = schedule_table(project.settings)
    emit(
        {"flows": rows} if as_json else {r.flow: f"{r.cron or '(no schedule)'}  next: {', '.join(r.next_runs)}" for r in rows},
        as_json,
        title="flows and schedules",
    )


@flows_app.command("run")
@handles_errors
def run_flow(
    name: Annotated[str, typer.Argument(help="Flow name, e.g. retrain-tag2vec (see `reeltag flows list`).")],
    param: ParamOpt = None,
    root: RootOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Run one flow now, in this process (a temporary Prefect API starts if no server is configured)."""
    project = open_project(root, config)
    prefect_home(project)
    from flows.deployments import FLOWS, load_flow

    if name not in FLOWS:
        raise NotFound(f"unknown flow {name!r}; flows: {', '.join(FLOWS)}")
    flow, params = load_flow(name), parse_params(param)
    check_param_names(name, list(inspect.signature(flow.fn).parameters), params)
    from prefect.exceptions import ParameterBindError, ParameterTypeError

    try:
        # a Flow[..., Any] matches Prefect's first __call__ overload (a NoReturn flow: None); return_state gives a State
        state = cast("State[Any]", flow(**{"root": str(project.paths.root), **params}, return_state=True))
        result = state.result(raise_on_failure=True)
    except (ParameterBindError, ParameterTypeError) as exc:
        raise BadInput(f"flow {name}: invalid --param: {one_line(str(exc))}") from exc
    emit(FlowRunResult(name, str(state.name), result), as_json, title=f"{name}: {state.name}")


def check_param_names(flow: str, accepted: list[str], params: dict[str, Any]) -> None:
    """Refuse a ``--param`` the flow does not take, naming it and the ones it does."""
    unknown = [k for k in params if k not in accepted]
    if unknown:
        raise BadInput(f"flow {flow} has no parameter {', '.join(map(repr, unknown))}; its parameters: {', '.join(accepted)}")


def one_line(message: str) -> str:
    """Prefect's multi-line parameter errors as one line: 'Flow run received invalid parameters: - a: …; - b: …'."""
    return "; ".join(line.strip() for line in message.splitlines() if line.strip()).replace(":; ", ": ")


@handles_errors
def serve(
    port: Annotated[int, typer.Option("--port", help="Port of the local Prefect server (127.0.0.1).")] = 4200,
    cron: Annotated[
        list[str] | None, typer.Option("--cron", help="NAME=EXPR overrides a schedule, e.g. poc-report='*/5 * * * *'.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Flow runs at the same time.")] = 1,
    root: RootOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Start a local Prefect server if none is reachable, then serve every deployment; Ctrl-C stops both."""
    overrides = parse_crons(cron)
    project = open_project(root, config, schedules=overrides)
    from flows.server import SERVED_ROOT, ensure_server

    server = ensure_server(prefect_home(project), port)
    os.environ.update(server.client_env())
    os.environ[SERVED_ROOT] = str(project.paths.root)  # the flow runs it serves keep their paths under this root
    typer.echo(
        f"Prefect UI: {server.api_url.removesuffix('/api')}  (state in {os.environ['PREFECT_HOME']}; Ctrl-C stops)", err=True
    )
    try:
        from flows.deployments import serve_all

        serve_all(project.settings, limit=limit)
    finally:
        server.stop()


def parse_crons(pairs: list[str] | None) -> dict[str, str]:
    """``["poc-report=*/5 * * * *"]`` → ``{"poc_report": "*/5 * * * *"}``; checked again by the settings."""
    out: dict[str, str] = {}
    for pair in pairs or []:
        name, sep, expr = pair.partition("=")
        if not sep or not name.strip():
            raise BadInput(f"--cron {pair!r}: expected NAME=EXPR, e.g. poc-report='*/5 * * * *' (empty EXPR = no schedule)")
        out[name.strip().replace("-", "_")] = expr.strip()
    return out


@handles_errors
def demo(
    root: Annotated[Path, typer.Option("--root", help="Demo project folder (inputs, stores, MLflow, Prefect state).")] = Path(
        "demo-out"
    ),
    size: Annotated[str, typer.Option("--size", help="Demo data size: tiny, small or full.")] = "small",
    seed: Annotated[int, typer.Option("--seed", help="Seed of the demo data.")] = 1,
    quick: Annotated[
        bool, typer.Option("--quick", help="Smoke run: few adaptation steps and epochs, small grid (use with --size tiny).")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Run the whole PoC on demo data through the Prefect flows and say where the report and the runs are."""
    if not _is_demo_size(size):
        raise BadInput(f"--size {size!r}: expected one of {', '.join(DEMO_SIZES)}")
    from reeltag.demo.steps import check_demo_root

    project = Project.open(root)
    check_demo_root(project.paths.root)  # before the Prefect state folder is made, and before Prefect starts
    prefect_home(project)
    quiet_environment()
    from flows.poc_demo import poc_demo  # imports Prefect, which sets up its logging: redirected below

    log_file = project.paths.demo_log
    typer.echo(f"reeltag demo ({size}, seed {seed}): Prefect and MLflow logs go to {log_file}", err=True)
    with demo_logging(log_file, Console(stderr=True)):
        summary = poc_demo(str(project.paths.root), size=size, seed=seed, quick=quick)
    emit(summary, as_json, title=f"demo: {summary.verdict}")
    if not as_json:
        typer.echo(demo_instructions(project, log_file))


DEMO_SIZES: tuple[DemoSizeName, ...] = ("tiny", "small", "full")  # not imported from there: it pulls in video writers


def _is_demo_size(size: str) -> TypeGuard[DemoSizeName]:
    return size in DEMO_SIZES


def demo_instructions(project: Project, log_file: Path) -> str:
    home = os.environ["PREFECT_HOME"]
    return "\n".join(
        (
            f"Report:      {project.paths.reports / 'report.html'} (and decision.json beside it)",
            f"Logs:        {log_file}",
            f"MLflow UI:   .venv/bin/mlflow ui --backend-store-uri {project.tracker.uri} --port 5000",
            f"Prefect UI:  PREFECT_HOME={home} .venv/bin/prefect server start --host 127.0.0.1  (then http://127.0.0.1:4200)",
            f"Schedules:   .venv/bin/reeltag serve --root {project.paths.root}",
        )
    )


def register(app: typer.Typer) -> None:
    app.add_typer(flows_app, name="flows")
    app.command("serve")(serve)
    app.command("demo")(demo)
