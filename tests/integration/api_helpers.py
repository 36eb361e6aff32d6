"""Helpers for the API tests: register a reranker or fusion version by hand, start and stop a server process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import httpx
import numpy as np

from reeltag.api.loaders import load_reranker
from reeltag.demo.api_child import free_port  # noqa: F401 (the tests import it from here)
from reeltag.demo.api_child import stop_process as stop_server
from reeltag.project import Project
from reeltag.registry.gates import Decision
from reeltag.registry.policy import Candidate, GateOutcome, native_copy, register_and_gate
from reeltag.rerank.gate import reranker_candidate
from reeltag.rerank.model import RerankerParams
from reeltag.suggest.fusion_model import FUSION_FILE, KNN_FILE, _log_native

NO_EVIDENCE = Decision(False, ("test setup: registered by hand",), "NOT ENOUGH EVIDENCE")


def champion_params(project: Project) -> RerankerParams:
    return load_reranker(project, project.tracker.by_alias("reranker", "champion").version)


def register_reranker_version(project: Project, **changes: object) -> str:
    """A new ``reeltag.reranker`` version: the champion's params with ``changes`` (not promoted)."""
    params = replace(champion_params(project), **changes)
    with project.tracker.run("rerank", project.settings, tags={"kind": "test"}) as run:
        candidate = reranker_candidate(project, run, params, {})
        champion = project.tracker.by_alias("reranker", "champion")
        return register_and_gate(project, candidate, lambda info: GateOutcome(decision=NO_EVIDENCE), champion).version


def register_fusion_version(project: Project, **changes: object) -> str:
    """A new ``reeltag.fusion`` version: the champion's ``fusion.json`` with ``changes`` (None drops a key), the
    same kNN features (not promoted)."""
    champion = project.tracker.by_alias("fusion", "champion")
    folder = native_copy(project, champion) / "fusion"
    meta = json.loads((folder / FUSION_FILE).read_text(encoding="utf-8")) | changes
    with np.load(folder / KNN_FILE, allow_pickle=False) as stored:
        features = stored["features"]
    with project.tracker.run("fusion", project.settings, tags={"kind": "test"}) as run:
        logged = _log_native(project, run.run_id, {k: v for k, v in meta.items() if v is not None}, features)
        candidate = Candidate(model="fusion", run=run, logged=logged, tags={"kind": "test"})
        return register_and_gate(project, candidate, lambda info: GateOutcome(decision=NO_EVIDENCE), champion).version


def start_server(args: list[str], url: str, log: Path, timeout_s: float = 180.0) -> subprocess.Popen:
    """Start ``args`` in its own process group; wait until ``url`` answers 200 (or fail with the log's tail)."""
    src, venv_bin = str(Path(__file__).resolve().parents[2] / "src"), str(Path(sys.executable).parent)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")]),
        "PATH": os.pathsep.join([venv_bin, os.environ.get("PATH", "")]),
    }  # as with the venv activated
    proc = subprocess.Popen(args, stdout=log.open("wb"), stderr=subprocess.STDOUT, env=env, start_new_session=True)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited {proc.returncode}: {log.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=2.0).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    stop_server(proc)
    raise AssertionError(f"server not ready after {timeout_s} s: {log.read_text()[-3000:]}")


def python() -> str:
    return sys.executable
