"""The report's "Tag2Vec drift" evidence: the newest ``reeltag/drift`` run read back from its ``result.json``, and
how many Tag2Vec trainings a drift alarm started (runs tagged ``reeltag.trigger = drift``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reeltag.project import Project
from reeltag.tag2vec.drift import MEASURES
from reeltag.tracking.results import read_result


@dataclass(frozen=True, kw_only=True)
class DriftEvidence:
    run_id: str
    run_name: str
    champion_version: str | None
    posts: int  # posts the champion has not seen
    reference_posts: int  # posts it was trained on
    measures: dict[str, float]
    baseline: dict[str, float]
    margins: dict[str, float]
    top_new: tuple[str, ...]
    alarm: bool
    reasons: tuple[str, ...]
    drift_retrains: int  # Tag2Vec trainings started by a drift alarm (newest 100 runs)


def drift_evidence(project: Project) -> DriftEvidence | None:
    """None until an ingest has checked drift (or when tracking is off)."""
    if not project.settings.tracking.enabled:
        return None
    runs = project.tracker.runs("drift", max_results=1)
    record = read_result(project.tracker, runs[0]["run_id"], "DriftResult") if runs else None
    if record is None:
        return None
    retrains = project.tracker.runs("tag2vec", tags={"trigger": "drift"})
    return from_record(record, run_id=runs[0]["run_id"], run_name=runs[0]["name"], retrains=len(retrains), project=project)


def from_record(record: dict[str, Any], *, run_id: str, run_name: str, retrains: int, project: Project) -> DriftEvidence:
    check, cfg = record.get("check") or {}, project.settings.drift
    return DriftEvidence(
        run_id=run_id,
        run_name=run_name,
        champion_version=record.get("champion_version"),
        posts=int(check.get("posts", 0)),
        reference_posts=int(check.get("reference_posts", 0)),
        measures={m: float(check.get("measures", {}).get(m, 0.0)) for m in MEASURES} if check else {},
        baseline={m: float(check.get("baseline", {}).get(m, 0.0)) for m in MEASURES} if check else {},
        margins={
            "js": cfg.js_margin,
            "new_tag_share": cfg.new_tag_share_margin,
            "learnable_new_share": cfg.learnable_new_share_margin,
            "neighbour_movement": cfg.movement_margin,
        },
        top_new=tuple(check.get("measures", {}).get("top_new", ())) if check else (),
        alarm=bool(record.get("alarm")),
        reasons=tuple(record.get("reasons", ())),
        drift_retrains=retrains,
    )
