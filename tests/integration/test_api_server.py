"""A real ``reeltag api`` process on a free 127.0.0.1 port (stopped by its pid): a client loop keeps
reranking while a new reranker version is promoted; no request fails and ``/v1/models`` shows the new
version within ``api.reload_s`` + 1 s. Plus: a champion that cannot load leaves the old one serving, and the
registered pyfunc serves through ``mlflow models serve --env-manager local``."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
from api_helpers import (
    champion_params,
    free_port,
    register_reranker_version,
    start_server,
    stop_server,
)
from fastapi.testclient import TestClient
from loopback import LOCAL
from server_process import reeltag_command

from reeltag.api.app import create_app
from reeltag.api.service import Service
from reeltag.project import Project
from reeltag.rerank.scoring import blend

pytestmark = [pytest.mark.integration, pytest.mark.slow]

BODY = {"query": "a red circle", "candidates": [{"docid": f"s{i:04d}", "score": 1.0 - i / 30} for i in range(24)]}


def _client_loop(url: str, stop: threading.Event, statuses: list[int], versions: list[str]) -> None:
    with httpx.Client(base_url=url, timeout=30.0) as client:
        while not stop.is_set():
            response = client.post("/v1/rerank", json=BODY)
            statuses.append(response.status_code)
            if response.status_code == 200:
                versions.append(response.json()["model"]["version"])


def _wait_serving(url: str, version: str, limit_s: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < limit_s:
        if httpx.get(f"{url}/v1/models", timeout=5.0).json()["serving"]["reranker"] == version:
            return time.monotonic() - started
        time.sleep(0.05)
    return float("inf")


def test_live_swap_under_load_in_a_real_uvicorn_process(served_project, tmp_path: Path) -> None:
    project = Project.open(served_project.root)
    old = project.tracker.by_alias("reranker", "champion").version
    new = register_reranker_version(project, alpha=0.25 if champion_params(project).alpha != 0.25 else 0.75)
    port, reload_s = free_port(), project.settings.api.reload_s
    url = f"http://127.0.0.1:{port}"
    proc = start_server(
        [*reeltag_command(), "api", "--root", str(served_project.root), "--port", str(port)],
        f"{url}/readyz",
        tmp_path / "api.log",
    )
    statuses: list[int] = []
    versions: list[str] = []
    stop = threading.Event()
    loop = threading.Thread(target=_client_loop, args=(url, stop, statuses, versions))
    try:
        loop.start()
        time.sleep(1.0)
        project.tracker.promote("reranker", new)
        waited = _wait_serving(url, new, 30.0)
        time.sleep(1.0)
    finally:
        stop.set()
        loop.join(timeout=60)
        project.tracker.promote("reranker", old)
        code = stop_server(proc)
    assert waited <= reload_s + 1.0, f"new champion served after {waited:.2f} s (api.reload_s={reload_s})"
    assert len(statuses) > 10 and all(200 <= s < 300 for s in statuses), sorted(set(statuses))
    first_new = versions.index(new)
    assert versions[0] == old and set(versions[first_new:]) == {new}  # once swapped, never back mid-stream
    assert code in (0, -2), (tmp_path / "api.log").read_text()[-2000:]


def test_a_champion_that_fails_to_load_leaves_the_old_one_serving(served_project) -> None:
    project = Project.open(served_project.root)
    service = Service.start(project)
    good = service.champions.reranker.version
    bad = register_reranker_version(project, encoder_model_id="reeltag-tiny@another-encoder")
    project.tracker.promote("reranker", bad)
    try:
        assert service.refresh() is False
        with TestClient(create_app(service, watch=False), base_url=LOCAL) as client:
            models = client.get("/v1/models").json()
            served = client.post("/v1/rerank", json=BODY)
    finally:
        project.tracker.promote("reranker", good)
    assert models["serving"]["reranker"] == good and f"reranker v{bad} not loaded" in models["errors"]["reranker"]
    assert served.status_code == 200 and served.json()["model"]["version"] == good


def test_the_registered_reranker_pyfunc_serves_through_mlflow_models_serve(served_project, tmp_path: Path) -> None:
    mlflow_cli = Path(sys.executable).with_name("mlflow")
    if not mlflow_cli.is_file():
        pytest.skip(f"no mlflow command next to {sys.executable}")
    project = Project.open(served_project.root)
    port = free_port()
    env_uri = {"MLFLOW_TRACKING_URI": project.paths.tracking_uri, "MLFLOW_REGISTRY_URI": project.paths.tracking_uri}
    os.environ.update(env_uri)
    try:
        proc = start_server(
            [
                str(mlflow_cli),
                "models",
                "serve",
                "-m",
                "models:/reeltag.reranker@champion",
                "--env-manager",
                "local",
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-w",
                "1",
            ],
            f"http://127.0.0.1:{port}/ping",
            tmp_path / "mlflow-serve.log",
        )
    finally:
        for key in env_uri:
            os.environ.pop(key, None)
    rows = [["q1", 3.0, 0.1], ["q1", 2.0, 0.9], ["q1", 1.0, None], ["q2", 5.0, 0.3], ["q2", 4.0, 0.2]]
    try:
        got = httpx.post(
            f"http://127.0.0.1:{port}/invocations",
            timeout=60.0,
            json={"dataframe_split": {"columns": ["qid", "base", "clip"], "data": rows}},
        )
    finally:
        stop_server(proc)
    assert got.status_code == 200, got.text
    p = champion_params(project)
    expected = np.concatenate(
        [
            blend(np.array([3.0, 2.0, 1.0]), np.array([0.1, 0.9, np.nan]), p.alpha, p.normalisation),
            blend(np.array([5.0, 4.0]), np.array([0.3, 0.2]), p.alpha, p.normalisation),
        ]
    )
    assert np.asarray(got.json()["predictions"], dtype=float) == pytest.approx(expected)
