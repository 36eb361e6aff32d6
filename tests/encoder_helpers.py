"""Helpers for the encoder-upgrade tests: checkpoints as reeltag.encoder versions (seeded random-init reeltag-tiny ones,
or a given checkpoint), a reranker version made with one, by hand (test setup); and the live side: a client loop of
reranks and suggests against a served API, recording which encoder and models made each answer."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx

from reeltag.io import sha256_file
from reeltag.project import Project
from reeltag.registry.gates import Decision
from reeltag.registry.policy import Candidate, GateOutcome, register_and_gate
from reeltag.rerank.gate import reranker_candidate
from reeltag.rerank.model import RerankerParams

NO_EVIDENCE = Decision(False, ("test setup: registered by hand",), "NOT ENOUGH EVIDENCE")
RERANK_BODY = {"query": "a red circle", "candidates": [{"docid": f"s{i:04d}", "score": 1.0 - i / 30} for i in range(24)]}


def _hand(project: Project, model: str, run, logged, tags: dict[str, str]) -> str:  # noqa: ANN001
    candidate = Candidate(model=model, run=run, logged=logged, tags=tags)
    return register_and_gate(project, candidate, lambda info: GateOutcome(decision=NO_EVIDENCE), None).version


def register_encoder(project: Project, folder: Path, seed: int) -> tuple[str, str]:
    """A seeded random-init reeltag-tiny checkpoint registered as a reeltag.encoder version (no alias): (version,
    model id). Its sidecar says ``random``: the weights were never trained."""
    from reeltag.video.adapt import save_checkpoint
    from reeltag.video.encoder import ResolvedWeights, build_model

    weights = ResolvedWeights(arch="reeltag-tiny", checkpoint=None, model_id="-", weights_kind="random")
    checkpoint = save_checkpoint(
        build_model(weights, seed), folder / f"enc-{seed}.pt", {"arch": "reeltag-tiny", "weights_kind": "random"}
    )
    return register_checkpoint(project, checkpoint, "reeltag-tiny")


def register_checkpoint(project: Project, checkpoint: Path, arch: str) -> tuple[str, str]:
    """A reeltag checkpoint (with its sidecar) registered as a reeltag.encoder version (no alias): (version, model id)."""
    from reeltag.video.weights import sidecar_path

    model_id = f"{arch}@{sha256_file(checkpoint)[:16]}"
    files = {"checkpoint": checkpoint, "sidecar": sidecar_path(checkpoint)}
    with project.tracker.run("encoder", project.settings, tags={"kind": "test"}) as run:
        logged = project.tracker.log_model(run.run_id, files, loader="reeltag.video.encoder:load_pyfunc")
        return _hand(project, "encoder", run, logged, {"model_id": model_id, "arch": arch}), model_id


def register_reranker(project: Project, model_id: str, alpha: float, weights_kind: str = "random") -> str:
    params = RerankerParams(
        alpha=alpha,
        normalisation="minmax",
        pooling="max",
        top_m=3,
        depth=100,
        encoder_model_id=model_id,
        encoder_weights=weights_kind,
    )
    with project.tracker.run("rerank", project.settings, tags={"kind": "test"}) as run:
        candidate = reranker_candidate(project, run, params, {})
        return _hand(project, "reranker", run, candidate.logged, dict(candidate.tags))


def client_loop(url: str, stop: threading.Event, seen: list[tuple[str, int, str, str, str]]) -> None:
    """Alternate reranks and suggests until ``stop``; record (route, status, encoder, model version, ranking) of each
    answer (model version: the reranker's or the mapper's; ranking: the suggest's ``ranking``, "" for a rerank)."""
    with httpx.Client(base_url=url, timeout=60.0) as client:
        while not stop.is_set():
            r = client.post("/v1/rerank", json=RERANK_BODY)
            model = r.json()["model"] if r.status_code == 200 else {"encoder": "", "version": ""}
            seen.append(("rerank", r.status_code, model["encoder"], model["version"], ""))
            s = client.post("/v1/suggest", json={"video": "s0003"})
            body = s.json() if s.status_code == 200 else {"encoder": "", "mapper_version": "", "ranking": ""}
            seen.append(("suggest", s.status_code, body["encoder"], body["mapper_version"], body["ranking"]))


def wait_encoder(url: str, version: str, limit_s: float = 120.0) -> None:
    """Until ``/v1/models`` names encoder ``version`` as served (or fail after ``limit_s``)."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if httpx.get(f"{url}/v1/models", timeout=10.0).json()["encoder"]["version"] == version:
            return
        time.sleep(0.1)
    raise AssertionError(f"encoder v{version} not served after {limit_s} s")


def switches(encoders: list[str]) -> int:
    """How often consecutive answers changed encoder."""
    return sum(1 for a, b in zip(encoders, encoders[1:]) if a != b)
