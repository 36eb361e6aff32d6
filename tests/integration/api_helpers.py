"""Helpers for the API tests: register a reranker or fusion version by hand, start and stop a server process."""

from __future__ import annotations

import json
import sys
from dataclasses import replace

import numpy as np
from server_process import free_port, start_server, stop_server  # noqa: F401 (the tests import them from here)

from reeltag.api.loaders import load_reranker
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


def python() -> str:
    return sys.executable
