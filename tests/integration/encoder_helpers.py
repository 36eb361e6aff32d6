"""Helpers for the encoder-upgrade tests: seeded reeltag-tiny checkpoints as reeltag.encoder versions, a reranker
version made with one, by hand (test setup)."""

from __future__ import annotations

from pathlib import Path

from reeltag.io import sha256_file
from reeltag.project import Project
from reeltag.registry.gates import Decision
from reeltag.registry.policy import Candidate, GateOutcome, register_and_gate
from reeltag.rerank.gate import reranker_candidate
from reeltag.rerank.model import RerankerParams

NO_EVIDENCE = Decision(False, ("test setup: registered by hand",), "NOT ENOUGH EVIDENCE")


def _hand(project: Project, model: str, run, logged, tags: dict[str, str]) -> str:  # noqa: ANN001
    candidate = Candidate(model=model, run=run, logged=logged, tags=tags)
    return register_and_gate(project, candidate, lambda info: GateOutcome(decision=NO_EVIDENCE), None).version


def register_encoder(project: Project, folder: Path, seed: int) -> tuple[str, str]:
    """A seeded reeltag-tiny checkpoint registered as a reeltag.encoder version (no alias): (version, model id)."""
    from reeltag.video.adapt import save_checkpoint
    from reeltag.video.encoder import ResolvedWeights, build_model
    from reeltag.video.weights import sidecar_path

    weights = ResolvedWeights(arch="reeltag-tiny", checkpoint=None, model_id="-", weights_kind="random")
    checkpoint = save_checkpoint(
        build_model(weights, seed), folder / f"enc-{seed}.pt", {"arch": "reeltag-tiny", "weights_kind": "demo-trained"}
    )
    model_id = f"reeltag-tiny@{sha256_file(checkpoint)[:16]}"
    files = {"checkpoint": checkpoint, "sidecar": sidecar_path(checkpoint)}
    with project.tracker.run("encoder", project.settings, tags={"kind": "test"}) as run:
        logged = project.tracker.log_model(run.run_id, files, loader="reeltag.video.encoder:load_pyfunc")
        return _hand(project, "encoder", run, logged, {"model_id": model_id, "arch": "reeltag-tiny"}), model_id


def register_reranker(project: Project, model_id: str, alpha: float) -> str:
    params = RerankerParams(
        alpha=alpha,
        normalisation="minmax",
        pooling="max",
        top_m=3,
        depth=100,
        encoder_model_id=model_id,
        encoder_weights="demo-trained",
    )
    with project.tracker.run("rerank", project.settings, tags={"kind": "test"}) as run:
        candidate = reranker_candidate(project, run, params, {})
        return _hand(project, "reranker", run, candidate.logged, dict(candidate.tags))
