"""The one registration-and-gate step of every model (tag2vec, mapper, reranker, encoder, fusion) and its alias policy.

Alias policy (written here only):

- ``champion``: the version in use. It moves only on a GO, by compare-and-swap: the promotion happens only if the
  champion is still the one the gate compared against (under the store's alias lock). If another version became
  champion meanwhile (a concurrent training, a manual ``reeltag promote``), the new version is gated again against
  that one, up to :data:`MAX_REGATES` times, and promoted only on a GO; otherwise it is refused with the reason.
- ``challenger``: the newest version that passed its gate (set together with ``champion``).
- ``rollback``: the previous champion (moved by the promotion).
- A version that did not pass (NO-GO, NOT ENOUGH EVIDENCE, or a refused promotion) gets no alias; it carries its
  decision as version tags (``reeltag.decision``, ``reeltag.decision_reasons``) and its run has them too.
- A GO held back gets no alias either: a reranker, mapper or fusion made with a registered encoder that is not the
  champion encoder (:func:`waits_for_set`), or a fusion fitted for a mapper that is not the champion. It waits for
  its encoder's set promotion (:mod:`reeltag.registry.serving_set`), which moves it with the encoder.
- A manual ``reeltag promote`` makes any version champion (old champion → rollback) and leaves ``challenger``.
- A guardrail rollback (:func:`roll_back`, the ``ab-online`` flow) makes the ``rollback`` version champion again and
  removes ``rollback``; ``challenger`` stays.

Every alias change is appended to the alias history (:mod:`reeltag.registry.history`) with who and why, while the
alias lock is held; nothing else writes it.

Local copies of a version's native files live under ``data/models/<model>/<run id>/`` and are verified against
the sha256 recorded at registration before anything in them is loaded.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from reeltag.io import place_dir
from reeltag.project import Project
from reeltag.registry import history
from reeltag.registry.gates import Decision
from reeltag.tracking.integrity import NATIVE_SHA256, IntegrityError, verify_folder
from reeltag.tracking.naming import registered_model_name, tag
from reeltag.tracking.off import tracked_run_id
from reeltag.tracking.records import AliasMove, ChampionMoved, LoggedModel, RunInfo, VersionInfo

MAX_REGATES = 3


@dataclass(frozen=True, kw_only=True)
class GateOutcome:
    """A gate's decision against one champion (or none), the comparison metrics to log, and model-specific detail."""

    decision: Decision
    metrics: Mapping[str, float] = field(default_factory=dict)
    detail: Any = None


Gate = Callable[["VersionInfo | None"], GateOutcome]


@dataclass(frozen=True, kw_only=True)
class Candidate:
    model: str  # tag2vec | mapper | reranker | encoder | fusion
    run: RunInfo
    logged: LoggedModel
    tags: Mapping[str, Any]  # version tags: lineage (depends_on.*), settings


@dataclass(frozen=True, kw_only=True)
class Registration:
    version: str
    run_id: str
    outcome: GateOutcome  # the final gate (after any re-gate)
    compared_with: str | None  # champion version the final gate compared against
    promoted: bool
    champion: str | None  # after this step
    rollback: str | None
    regates: int  # how often the champion moved under the gate
    refusal: str | None = None  # why a GO was not promoted

    @property
    def decision(self) -> Decision:
        return self.outcome.decision


def register_and_gate(
    project: Project, candidate: Candidate, gate: Gate, champion: VersionInfo | None, hold: str | None = None
) -> Registration:
    """Gate against ``champion``, register the version with its decision, then apply the alias policy. ``hold``: why
    a GO is not promoted now (by default :func:`waits_for_set`), kept as the registration's refusal; the decision is
    recorded as it is."""
    outcome = gate(champion)
    _record_outcome(project, candidate.run, outcome, champion)
    tags = {**candidate.tags, "decision": outcome.decision.verdict}
    run_id = tracked_run_id(candidate.run.run_id, f"registering {registered_model_name(candidate.model)}")
    info = project.tracker.register(candidate.model, candidate.logged, run_id, tags)
    hold = hold if hold is not None else waits_for_set(project, candidate)
    if hold is not None:
        found = replace(_unpromoted(outcome, info.version, champion, run_id), refusal=hold if outcome.decision.go else None)
    else:
        found = _promote(project, candidate, info.version, gate, outcome, champion, run_id=run_id)
    project.tracker.set_version_tags(candidate.model, info.version, found.decision.run_tags)
    project.tracker.set_run_tags(
        run_id, {"version": info.version, "promoted": found.promoted, "promotion_refused": found.refusal or ""}
    )
    return found


ENCODER_OF = ("depends_on.encoder", "depends_on.clip")  # the encoder model id a mapper / fusion / reranker was made with


def waits_for_set(project: Project, candidate: Candidate) -> str | None:
    """Why a GO of ``candidate`` waits: it was made with a registered encoder other than the champion encoder, so it
    moves with that encoder's set (:func:`reeltag.registry.serving_set.promote_set`), never alone; None otherwise."""
    made_with = next((str(candidate.tags[k]) for k in ENCODER_OF if candidate.tags.get(k)), "")
    version = candidate.tags.get("depends_on.encoder_version")
    if candidate.model == "encoder" or not made_with or not version:
        return None
    champion = project.tracker.by_alias("encoder", "champion")
    if champion is None or champion.tags.get(tag("model_id")) == made_with:
        return None
    return (
        f"made with encoder v{version} ({made_with}), not the champion encoder v{champion.version}: it moves with its "
        f"set (`reeltag promote encoder --version {version}`)"
    )


def _unpromoted(outcome: GateOutcome, version: str, champion: VersionInfo | None, run_id: str) -> Registration:
    """The registration before any promotion: compared with ``champion``, which is still the champion."""
    current = champion.version if champion else None
    return Registration(
        version=version,
        run_id=run_id,
        outcome=outcome,
        compared_with=current,
        promoted=False,
        champion=current,
        rollback=None,
        regates=0,
    )


def _record_outcome(project: Project, run: RunInfo, outcome: GateOutcome, champion: VersionInfo | None) -> None:
    tracker = project.tracker
    tracker.log_metrics(run.run_id, outcome.metrics)
    tracker.set_tags(run.run_id, {**outcome.decision.run_tags, "compared_with": champion.version if champion else "none"})
    tracker.log_dict(
        run.run_id,
        {
            "verdict": outcome.decision.verdict,
            "reasons": list(outcome.decision.reasons),
            "compared_with": champion.version if champion else None,
        },
        "decision.json",
    )


def _promote(
    project: Project,
    candidate: Candidate,
    version: str,
    gate: Gate,
    outcome: GateOutcome,
    champion: VersionInfo | None,
    *,
    run_id: str,
) -> Registration:
    """Compare-and-swap promotion on GO; a moved champion is gated again (bounded)."""
    tracker, model = project.tracker, candidate.model
    found = _unpromoted(outcome, version, champion, run_id)
    while found.decision.go:
        try:
            why = _gate_why(project, candidate.run, found.outcome, run_id)
            move = tracker.promote(model, version, expected=found.compared_with, with_challenger=True, on_moved=why)
            return replace(found, promoted=True, champion=move.champion, rollback=move.rollback)
        except ChampionMoved as moved:
            if found.regates >= MAX_REGATES:
                return replace(found, champion=moved.current, refusal=f"the champion kept moving ({MAX_REGATES} re-gates)")
            current = tracker.version(model, moved.current) if moved.current else None
            outcome = gate(current)
            _record_outcome(project, candidate.run, outcome, current)
            found = replace(
                found, outcome=outcome, compared_with=moved.current, champion=moved.current, regates=found.regates + 1
            )
    if found.regates and not found.decision.go:
        return replace(
            found, refusal=f"champion moved to v{found.compared_with} during the gate; against it: {found.decision.verdict}"
        )
    return found


def _gate_why(project: Project, run: RunInfo, outcome: GateOutcome, run_id: str) -> Callable[[AliasMove], None]:
    """Records a GO's promotion: by the gate's trigger and run, for the gate's reasons."""
    reason = "; ".join((outcome.decision.verdict, *outcome.decision.reasons))
    why = history.Why(action="gate", by=f"{project.settings.tracking.trigger}: {run.name}", reason=reason, run_id=run_id)
    return lambda move: history.record(project, move, why)


def native_copy(project: Project, info: VersionInfo) -> Path:
    """A verified local copy of a version's ``native/`` files: ``data/models/<model>/<run id>/``.

    Keyed by run id (a reset store's new "v1" is another run, never the old copy); verified against the
    version's recorded sha256 each time, so a changed or stale copy is fetched again and changed artifacts in
    the store are refused.
    """
    model = info.model.removeprefix("reeltag.")
    target = project.paths.models / model / info.run_id
    expected, what = info.tags.get(NATIVE_SHA256), f"{info.model} v{info.version}"
    if target.is_dir():
        try:
            return verify_folder(target, expected, what)
        except IntegrityError:
            if not expected:
                raise
            shutil.rmtree(target)  # a copy that no longer matches: fetch it again (and verify that)
    fetch = lambda tmp: verify_folder(project.tracker.download_native(info, tmp / "dl"), expected, what)  # noqa: E731
    return place_dir(target, fetch, keep_existing=lambda found: _matches(found, expected, what))


def _matches(folder: Path, expected: str | None, what: str) -> bool:
    try:
        verify_folder(folder, expected, what)
    except IntegrityError:
        return False
    return True


def promote_by_hand(project: Project, model: str, info: VersionInfo, reason: str, by: str) -> tuple[AliasMove, dict[str, str]]:
    """A manual override (``reeltag promote``; the demo, to serve its simulated online experiment): ``info`` becomes
    champion (old champion → rollback); who, when and why are recorded as version and run tags."""
    why = history.Why(action="manual", by=by, reason=reason)
    move = project.tracker.promote(model, info.version, on_moved=lambda m: history.record(project, m, why))
    record = {
        "manual_promotion": "true",
        "promoted_by": by,
        "reason": reason,
        "promoted_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    project.tracker.set_version_tags(model, info.version, record)
    project.tracker.set_run_tags(info.run_id, record)
    return move, record


def roll_back(project: Project, model: str, *, champion: str, why: history.Why) -> AliasMove:
    """A guardrail breach: the ``rollback`` version becomes champion again (compare-and-swap on ``champion``, the
    version judged), ``rollback`` is removed; recorded in the history with ``why``. :class:`ChampionMoved` when the
    champion moved meanwhile or there is nothing to roll back to."""
    return project.tracker.roll_back(model, champion, on_moved=lambda move: history.record(project, move, why))


def champion_version(project: Project, model: str) -> str | None:
    """The version of ``reeltag.<model>`` the ``champion`` alias names (None before the first promotion)."""
    info = project.tracker.by_alias(model, "champion")
    return info.version if info else None
