"""Step: champion vs another version of a model, side by side, from the ``result.json`` records of their runs
(what the report reads too); metric names in MLflow are for its UI only."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from reeltag.errors import BadInput, NotFound
from reeltag.project import Project
from reeltag.tracking.records import VersionInfo
from reeltag.tracking.results import require_result


@dataclass(frozen=True, kw_only=True)
class RecordLayout:
    """Where a model's result record keeps its measurements and its gate's decision."""

    kind: str  # the result type its training run logs
    sections: tuple[str, ...]  # top-level fields whose numbers are compared
    decision: str  # the field holding the gate's verdict (the reasons are in ``reasons``)


LAYOUTS = {
    "tag2vec": RecordLayout(kind="TrainResult", sections=("evaluation",), decision="verdict"),
    "mapper": RecordLayout(kind="MapperTrained", sections=("test", "loss_scores"), decision="decision"),
    "reranker": RecordLayout(
        kind="TuneResult", sections=("cross_validated", "baseline_value", "comparison", "engine_comparison"), decision="verdict"
    ),
    "encoder": RecordLayout(kind="AdaptResult", sections=("metrics",), decision="verdict"),
}


@dataclass(frozen=True, kw_only=True)
class Comparison:
    model: str
    champion: str | None
    challenger: str | None
    metrics: dict[str, dict[str, float | None]]  # measurement → {"champion": .., "challenger": ..}
    challenger_decision: str | None
    challenger_reasons: str | None


def compare_versions(project: Project, model: str, version: str | None = None) -> Comparison:
    """The champion vs ``version`` (default: the newest version): their records' numbers and the other's decision."""
    layout = _layout(model)
    champion = project.tracker.by_alias(model, "champion")
    other = registered_version(project, model, version) if version else next(reversed(project.tracker.versions(model)), None)
    if champion is None and other is None:
        raise NotFound(f"no version of reeltag.{model} is registered yet")
    records = {name: _record(project, model, layout, v) for name, v in (("champion", champion), ("challenger", other))}
    numbers = {name: dict(_numbers(record, layout.sections)) for name, record in records.items()}
    names = sorted(set(numbers["champion"]) | set(numbers["challenger"]))
    reasons = records["challenger"].get("reasons")
    return Comparison(
        model=model,
        champion=champion.version if champion else None,
        challenger=other.version if other else None,
        metrics={n: {side: numbers[side].get(n) for side in ("champion", "challenger")} for n in names},
        challenger_decision=records["challenger"].get(layout.decision),
        challenger_reasons=" | ".join(reasons) if reasons is not None else None,
    )


def registered_version(project: Project, model: str, version: str) -> VersionInfo:
    """The registry's record of ``reeltag.<model>`` VERSION, or :class:`NotFound` (not the registry's traceback)."""
    try:
        return project.tracker.version(model, version)
    except Exception as exc:  # the registry's own error names the model and version
        raise NotFound(f"reeltag.{model} version {version} not found: {exc}") from exc


def _layout(model: str) -> RecordLayout:
    if model not in LAYOUTS:
        raise BadInput(f"unknown model {model!r}: use one of {', '.join(LAYOUTS)}")
    return LAYOUTS[model]


def _record(project: Project, model: str, layout: RecordLayout, version: VersionInfo | None) -> dict[str, Any]:
    if version is None:
        return {}
    return require_result(project.tracker, version.run_id, layout.kind, f"reeltag.{model} v{version.version}")


def _numbers(record: dict[str, Any], sections: tuple[str, ...]) -> Iterator[tuple[str, float]]:
    """``section/key/...`` → value for every number under the record's ``sections`` (a null stays out)."""
    for section in sections:
        yield from _leaves(section, record.get(section))


def _leaves(path: str, value: Any) -> Iterator[tuple[str, float]]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _leaves(f"{path}/{key}", inner)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield path, float(value)
