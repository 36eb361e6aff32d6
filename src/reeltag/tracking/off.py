"""What a step says when it needs the MLflow store and tracking is off (pure)."""

from __future__ import annotations

from reeltag.errors import ReeltagError

NOT_REGISTERED = "not registered: tracking is off (tracking.enabled = false)"


class TrackingOff(ReeltagError):
    """A step needs the MLflow store, but tracking is off."""


def needs_tracking(what: str) -> TrackingOff:
    return TrackingOff(
        f"{what} needs the MLflow registry, but tracking is off (tracking.enabled = false; "
        "set it to true or REELTAG_TRACKING__ENABLED=true)"
    )


def tracked_run_id(run_id: str | None, what: str) -> str:
    """``run_id`` of a run that ``what`` (a model, a registration) must be logged to: None is a run made with
    tracking off, which has nowhere to log it."""
    if run_id is None:
        raise needs_tracking(what)
    return run_id
