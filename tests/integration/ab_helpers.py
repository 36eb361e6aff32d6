"""Online A/B test helpers: a project (or a real API process) with an ``[ab.online]`` experiment configured."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from api_helpers import free_port, start_server, stop_server

from reeltag.ab.event_log import Log, read_log
from reeltag.ab.events import EventStore
from reeltag.project import Project


def env_for(experiment: dict[str, Any]) -> dict[str, str]:
    return {f"REELTAG_AB__ONLINE__{k.upper()}": str(v) for k, v in experiment.items()}


@contextmanager
def api_process(root: Path, experiment: dict[str, Any], log: Path) -> Iterator[tuple[str, Any]]:
    """A real ``reeltag api`` process (uvicorn, 127.0.0.1, free port) with the experiment; stopped by its pid."""
    import sys

    env, port = env_for(experiment), free_port()
    url = f"http://127.0.0.1:{port}"
    os.environ.update(env)
    try:
        proc = start_server(
            [sys.executable, "-c", "from reeltag.cli import app; app()", "api", "--root", str(root), "--port", str(port)],
            f"{url}/readyz",
            log,
        )
    finally:
        for key in env:
            os.environ.pop(key, None)
    try:
        yield url, proc
    finally:
        stop_server(proc)


def experiment_log(root: Path, name: str) -> Log:
    return read_log(EventStore(Project.open(root).paths.ab_events_db), name, 0.0, 2e10)
