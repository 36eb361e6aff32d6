"""Results as records: each step's frozen result is logged to its run as ``result.json`` (with a schema version)
and read back from there by the report and by reuse; metric names are for the MLflow UI, not a data format."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reeltag.tracking.null import NullTracker
    from reeltag.tracking.store import Tracker

from reeltag.console import jsonable
from reeltag.errors import ReeltagError

SCHEMA = 1
RESULT_FILE = "result.json"


def log_result(tracker: Tracker | NullTracker, run_id: str | None, result: Any) -> None:
    """``{"schema": 1, "type": <result class>, "result": {...}}`` as the run's ``result.json`` (nothing without a run)."""
    if run_id is not None:
        record = {"schema": SCHEMA, "type": type(result).__name__, "result": jsonable(result)}
        tracker.log_dict(run_id, record, RESULT_FILE)


def read_result(tracker: Tracker | NullTracker, run_id: str, kind: str) -> dict[str, Any] | None:
    """The ``kind`` result a run logged, or None when it has none of this schema (a run of an older reeltag)."""
    record = tracker.read_dict(run_id, RESULT_FILE)
    if not isinstance(record, dict) or record.get("schema") != SCHEMA or record.get("type") != kind:
        return None
    return record["result"]


def require_result(tracker: Tracker | NullTracker, run_id: str, kind: str, what: str) -> dict[str, Any]:
    """Like :func:`read_result`, but a missing record is a one-line error naming what to re-run."""
    found = read_result(tracker, run_id, kind)
    if found is None:
        raise ReeltagError(
            f"{what}: its run {run_id} has no {RESULT_FILE} (schema {SCHEMA}); it was logged by an older "
            "reeltag: re-run the step that made it"
        )
    return found
