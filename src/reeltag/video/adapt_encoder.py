"""Step: adapt a CLIP encoder to company videos (contrastive fine-tuning), track and register it.

``adapt_encoder(project, pairs, from_=..., arch=..., steps=...)`` samples frames inside each pair's segment,
holds out whole videos, trains with open_clip's CLIP loss, measures zero-shot accuracy on the held-out
segments before and after, saves a local checkpoint (+ sidecar) under ``data/models/encoders/``, logs the run
to MLflow ``reeltag/encoder`` and registers ``reeltag.encoder``. From random init the result is
``demo-trained``; from real (or adapted) weights it is ``adapted``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reeltag import quarantine
from reeltag.errors import BadInput
from reeltag.io import sha256_file
from reeltag.project import Project
from reeltag.registry.gates import TIE_EPS, Threshold, comparison_metrics, decide
from reeltag.registry.policy import Candidate, GateOutcome, Registration, register_and_gate
from reeltag.tracking.off import NOT_REGISTERED
from reeltag.tracking.results import log_result
from reeltag.video.inputs import Rejected

if TYPE_CHECKING:
    from reeltag.video.adapt import PairFrames  # (that module imports torch)

COMPONENT, MODEL = "encoder", "encoder"
SOURCE = "clip adapt"


@dataclass(frozen=True, kw_only=True)
class AdaptResult:
    checkpoint: Path
    arch: str
    model_id: str
    weights_kind: str
    base_model_id: str
    base_weights_kind: str
    steps: int
    train_pairs: int
    heldout_pairs: int
    texts: int
    metrics: dict[str, float]
    quarantined: int
    run_id: str | None = None  # None when tracking is off
    version: str | None = None
    verdict: str = ""  # the registration gate's (adapted vs the weights it started from)
    reasons: tuple[str, ...] = ()
    promoted: bool = False
    seconds: float = 0.0


@dataclass(frozen=True, kw_only=True)
class _Data:
    train: PairFrames
    heldout: PairFrames
    n_train: int
    n_heldout: int
    rejected: tuple[Rejected, ...]


def adapted_kind(base_kind: str) -> str:
    """Fine-tuned real (or already adapted) weights are 'adapted'; trained from random init, 'demo-trained'."""
    return "adapted" if base_kind in ("real", "adapted") else "demo-trained"


def adapt_encoder(
    project: Project,
    pairs: str | Path,
    from_: str | None = None,
    arch: str | None = None,
    steps: int | None = None,
    out: str | Path | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> AdaptResult:
    """Adapt ``from_`` ('random', a checkpoint file or a pretrained tag; default clip.weights) on ``pairs``."""
    from reeltag.video.encoder import load_encoder

    started = time.perf_counter()
    clip = project.settings.clip
    base = clip.model_copy(update={"weights": from_ or clip.weights, "arch": arch or clip.arch, "weights_kind": "auto"})
    encoder = load_encoder(base, project.paths)
    base_id, base_kind = encoder.model_id, encoder.weights_kind
    data = _prepare(project, Path(pairs), encoder)
    metrics = _train(project, encoder, data, steps or clip.adapt_steps, base_kind, on_progress)
    target = Path(out) if out else _default_target(project, encoder.arch)
    sidecar = _sidecar(encoder.arch, base_id, base_kind, Path(pairs), metrics, steps or clip.adapt_steps)
    _save(encoder, target, sidecar)
    model_id = f"{encoder.arch}@{sha256_file(target)[:16]}"
    result = AdaptResult(
        checkpoint=target,
        arch=encoder.arch,
        model_id=model_id,
        weights_kind=sidecar["weights_kind"],
        base_model_id=base_id,
        base_weights_kind=base_kind,
        steps=steps or clip.adapt_steps,
        train_pairs=data.n_train,
        heldout_pairs=data.n_heldout,
        texts=len(data.train.texts),
        metrics=metrics,
        quarantined=len(data.rejected),
    )
    return _finish(project, result, started)


def _finish(project: Project, result: AdaptResult, started: float) -> AdaptResult:
    """Register and gate (tracking on), else only the gate's verdict; the time it all took."""
    if project.tracker.enabled:
        found = _track(project, result)
        done = replace(
            result,
            run_id=found.run_id,
            version=found.version,
            verdict=found.decision.verdict,
            reasons=found.decision.reasons,
            promoted=found.promoted,
        )
    else:
        decision = gate_adapted(project, result).decision
        done = replace(result, verdict=decision.verdict, reasons=decision.reasons + (NOT_REGISTERED,))
    done = replace(done, seconds=round(time.perf_counter() - started, 1))
    log_result(project.tracker, done.run_id, done)
    return done


def _prepare(project: Project, pairs_file: Path, encoder: Any) -> _Data:
    from reeltag.video.adapt import sample_pair_frames
    from reeltag.video.pairs import read_pairs, split_by_video

    clip, video = project.settings.clip, project.settings.video
    found = read_pairs(pairs_file, project.settings.paths.allow_absolute_manifest_paths)
    train, held = split_by_video(found.pairs, clip.adapt_holdout)
    args = (encoder.image_size, clip.adapt_frames_per_pair, video.decode_threads, video.max_side)
    train_frames, bad_train = sample_pair_frames(train, *args)
    held_frames, bad_held = sample_pair_frames(held, *args)
    _quarantine(project, found.rejected, bad_train + bad_held)
    if train_frames.n_frames == 0 or len(train_frames.texts) < 2:
        raise BadInput(f"{pairs_file}: contrastive adaptation needs readable pairs with at least two distinct texts")
    return _Data(
        train=train_frames,
        heldout=held_frames,
        n_train=len(train) - len(bad_train),
        n_heldout=len(held) - len(bad_held),
        rejected=found.rejected + bad_train + bad_held,
    )


def _quarantine(project: Project, rows: Sequence[Rejected], videos: Sequence[Rejected]) -> None:
    records = [quarantine.QuarantineRecord(kind="pairs", item=r.item, reason=r.reason, source=SOURCE) for r in rows]
    records += [quarantine.QuarantineRecord(kind="videos", item=r.item, reason=r.reason, source=SOURCE) for r in videos]
    quarantine.record(project.paths.quarantine, records)


def _train(
    project: Project, encoder: Any, data: _Data, steps: int, base_kind: str, on_progress: Callable[[int], None] | None
) -> dict[str, float]:
    from reeltag.video.adapt import TrainConfig, train_contrastive, zero_shot_accuracy

    clip = project.settings.clip
    lr = clip.adapt_lr or (1e-3 if base_kind == "random" else 1e-5)
    before, chance = zero_shot_accuracy(encoder, data.heldout)
    cfg = TrainConfig(steps=steps, batch_size=clip.adapt_batch_size, lr=lr, seed=clip.seed)
    losses = train_contrastive(encoder, data.train, cfg, (lambda step, loss: on_progress(1)) if on_progress else None)
    after, _ = zero_shot_accuracy(encoder, data.heldout)
    train_acc, train_chance = zero_shot_accuracy(encoder, data.train)
    return {
        "heldout/zero_shot_acc": after,
        "heldout/zero_shot_acc_before": before,
        "heldout/chance": chance,
        "train/zero_shot_acc": train_acc,
        "train/chance": train_chance,
        "train/loss_first": losses[0],
        "train/loss_last": float(sum(losses[-10:]) / len(losses[-10:])),
        "train/lr": lr,
    }


def _default_target(project: Project, arch: str) -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return project.paths.models / "encoders" / f"{arch}-{stamp}.pt"


def _sidecar(arch: str, base_id: str, base_kind: str, pairs: Path, metrics: dict[str, float], steps: int) -> dict[str, Any]:
    return {
        "weights_kind": adapted_kind(base_kind),
        "arch": arch,
        "base_model_id": base_id,
        "base_weights_kind": base_kind,
        "pairs": str(pairs),
        "pairs_sha256": sha256_file(pairs),
        "steps": steps,
        "metrics": metrics,
    }


def _save(encoder: Any, target: Path, sidecar: dict[str, Any]) -> None:
    from reeltag.video.adapt import save_checkpoint

    save_checkpoint(encoder.model, target, sidecar)


def gate_adapted(project: Project, result: AdaptResult) -> GateOutcome:
    """Held-out zero-shot accuracy after adaptation against the weights it started from (same held-out segments),
    and above chance; demo-trained weights or too few held-out pairs are warnings (never promoted)."""
    gates, acc = project.settings.gates, "heldout/zero_shot_acc"
    rules = [
        Threshold(metric=acc, tolerance=gates.tolerance, min_abs_delta=gates.min_abs_delta, min_rel_delta=gates.min_rel_delta),
        Threshold(metric="heldout/above_chance", min_value=TIE_EPS),
    ]
    warnings = (
        [f"{result.weights_kind} weights (trained from random init): no general visual meaning"]
        if result.weights_kind == "demo-trained"
        else []
    )
    if result.heldout_pairs < gates.min_eval_items:
        warnings.append(f"tiny data: {result.heldout_pairs} held-out pairs (< gates.min_eval_items={gates.min_eval_items})")
    challenger = {acc: result.metrics[acc], "heldout/above_chance": result.metrics[acc] - result.metrics["heldout/chance"]}
    before = {acc: result.metrics["heldout/zero_shot_acc_before"]}
    decision = decide(challenger, before, rules, warnings=warnings, reference="the weights before adaptation")
    return GateOutcome(decision=decision, metrics=comparison_metrics(challenger, before))


def _track(project: Project, result: AdaptResult) -> Registration:
    from reeltag.video.weights import sidecar_path

    tracker = project.tracker
    tags = {"encoder_weights": result.weights_kind, "model_id": result.model_id, "base_model_id": result.base_model_id}
    with tracker.run(COMPONENT, project.settings, tags=tags) as run:
        tracker.log_params(
            run.run_id,
            {
                "adapt.from": result.base_model_id,
                "adapt.steps": result.steps,
                "adapt.train_pairs": result.train_pairs,
                "adapt.heldout_pairs": result.heldout_pairs,
            },
        )
        tracker.log_metrics(run.run_id, result.metrics)
        logged = tracker.log_model(
            run.run_id,
            {"checkpoint": result.checkpoint, "sidecar": sidecar_path(result.checkpoint)},
            loader="reeltag.video.encoder:load_pyfunc",
        )
    lineage = {
        "model_id": result.model_id,
        "weights_kind": result.weights_kind,
        "arch": result.arch,
        "checkpoint_sha256": sha256_file(result.checkpoint),
        "depends_on.clip_base": result.base_model_id,
    }
    candidate = Candidate(model=MODEL, run=run, logged=logged, tags=lineage)
    return register_and_gate(project, candidate, lambda info: gate_adapted(project, result), tracker.by_alias(MODEL, "champion"))
