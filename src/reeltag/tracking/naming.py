"""MLflow naming rules of the house (pure)."""

from __future__ import annotations

import re
from datetime import datetime, timezone

COMPONENTS = ("tag2vec", "mapper", "rerank", "encoder", "fusion", "ab", "data-validation", "report", "features", "demo", "drift")
ALIASES = ("champion", "challenger", "rollback")
TAG_PREFIX = "reeltag."
ENGINE_AB = "engine_ab/"  # metric prefix (MLflow UI): a tune run's held-out values vs the engine; the report reads result.json
TELEMETRY_OFF = {"DO_NOT_TRACK": "true", "MLFLOW_DISABLE_TELEMETRY": "true", "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
_SAFE = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def experiment_name(component: str) -> str:
    """``reeltag/<component>``, e.g. ``reeltag/tag2vec``."""
    _check_slug(component, "component")
    return f"reeltag/{component}"


def run_name(component: str, trigger: str, when: datetime | None = None) -> str:
    """``<component>-<trigger>-<UTC yyyymmddTHHMMZ>``, e.g. ``tag2vec-scheduled-20261121T0300Z``."""
    _check_slug(component, "component")
    _check_slug(trigger, "trigger")
    stamp = (when or datetime.now(timezone.utc)).astimezone(timezone.utc).strftime("%Y%m%dT%H%MZ")
    return f"{component}-{trigger}-{stamp}"


def registered_model_name(model: str) -> str:
    """``reeltag.<model>``, e.g. ``reeltag.tag2vec``; accepts the full name too."""
    short = model.removeprefix("reeltag.")
    _check_slug(short, "model")
    return f"reeltag.{short}"


def tag(name: str) -> str:
    """``reeltag.<name>`` for run and model-version tags."""
    return name if name.startswith(TAG_PREFIX) else f"{TAG_PREFIX}{name}"


def metric(split: str, name: str) -> str:
    """``<split>/<metric>``: ``test/hit_at_10``, ``delta/map``."""
    return f"{split}/{name}"


def _check_slug(value: str, what: str) -> None:
    if not _SAFE.match(value):
        raise ValueError(f"{what} {value!r} must be lower-case letters, digits and dashes")
