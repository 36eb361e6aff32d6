"""Glue shared by the flows: the project from section parameters, content-hash cache keys, I/O retries."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from prefect.cache_policies import NO_CACHE
from prefect.context import TaskRunContext
from prefect.tasks import exponential_backoff
from pydantic import BaseModel

from flows.server import SERVED_ROOT
from reeltag.errors import BadInput, ReeltagError
from reeltag.io import sha256_file, sha256_json
from reeltag.project import Project
from reeltag.security import resolve_path

# Not transient: retrying cannot make a missing file appear or a permission appear.
PERMANENT_OS_ERRORS = (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError, FileExistsError)
# Settings that say why or when a step runs, not what it computes: never part of a cache key.
NOT_OUTPUT_SETTINGS: dict[str, Any] = {"root": True, "schedules": True, "tracking": {"trigger"}}


def is_transient(exc: BaseException) -> bool:
    """An OS error that a retry may cure (a flaky network share), or a locked SQLite store; nothing else."""
    if isinstance(exc, OSError):
        return not isinstance(exc, (*PERMANENT_OS_ERRORS, ReeltagError))
    return "database is locked" in str(exc)  # sqlite3.OperationalError, also when SQLAlchemy or MLflow wraps it


def retry_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Prefect ``retry_condition_fn``: retry only when the task failed with a transient OS error."""
    try:
        state.result()
    except BaseException as exc:  # noqa: BLE001 (the state re-raises the task's own exception)
        return is_transient(exc)
    return False


# Only steps that read or write stores get retries, and only on transient I/O faults.
IO_RETRIES: dict[str, Any] = {
    "retries": 3,
    "retry_delay_seconds": exponential_backoff(backoff_factor=2),
    "retry_jitter_factor": 0.2,
    "retry_condition_fn": retry_transient,
}
NO_CACHING: dict[str, Any] = {"cache_policy": NO_CACHE}


def project_for(root: str, **sections: BaseModel | None) -> Project:
    """The project at ``root`` with the fields GIVEN in each section overriding its own (``None`` keeps the project's).

    Only explicitly set fields count (``--param tag2vec.epochs=5`` keeps the project's ``vector_size``)."""
    project = Project.open(root)
    updates = {name: section.model_dump(exclude_unset=True) for name, section in sections.items() if section is not None}
    updates = {name: values for name, values in updates.items() if values}
    return project.with_settings(**updates) if updates else project


def check_served_paths(root: str, **paths: str | list[str] | None) -> None:
    """Under ``reeltag serve``, a run's ``root`` must be the served project's and its path parameters must lie
    under it: anyone who reaches the Prefect API can start a deployment with any parameters (``root=/other``,
    ``out=~/.bashrc``). Runs started from the CLI (``flows run``) carry the user's own paths and are not checked."""
    served = os.environ.get(SERVED_ROOT)
    if not served:
        return
    base = resolve_path(served)
    if resolve_path(root) != base:
        raise BadInput(f"flow parameter root={root!r} is not the served project {base}")
    for name, value in paths.items():
        for item in [value] if isinstance(value, str) else value or []:
            if not resolve_path(item).is_relative_to(base):  # relative paths as the steps read them: from the cwd
                raise BadInput(f"flow parameter {name}={item!r} lies outside the served project {base}")


def settings_fingerprint(project: Project) -> str:
    """A hash of the settings that can change a step's outputs (not schedules, the trigger or the root)."""
    return sha256_json(project.settings.model_dump(mode="json", exclude=NOT_OUTPUT_SETTINGS))[:16]


def inbox(project: Project, name: str) -> Path:
    """Where scheduled runs pick up new inputs: ``<root>/data/inbox/<name>``."""
    return project.paths.data / "inbox" / name


def fingerprint(value: Any) -> Any:
    """A JSON-able digest of a task input: CONTENT hashes of files and folders, settings hashes, plain values."""
    if isinstance(value, Project):
        return {"root": str(value.paths.root), "config": settings_fingerprint(value)}
    if isinstance(value, BaseModel):
        return sha256_json(value.model_dump(mode="json"))
    if isinstance(value, Path) or (isinstance(value, str) and _is_path(value)):
        return _path_digest(Path(value))
    if isinstance(value, (list, tuple)):
        return [fingerprint(v) for v in value]
    if isinstance(value, dict):
        return {str(k): fingerprint(v) for k, v in value.items()}
    return repr(value)


def _is_path(text: str) -> bool:
    try:
        return ("/" in text or "." in text) and Path(text).exists()
    except OSError:
        return False


def _path_digest(path: Path) -> str:
    if path.is_file():
        return sha256_file(path)
    if not path.exists():
        return f"missing:{path}"
    files = sorted(p for p in path.rglob("*") if p.is_file())
    return sha256_json([[str(p.relative_to(path)), sha256_file(p)] for p in files])


def content_key(context: TaskRunContext, parameters: dict[str, Any]) -> str:
    """Prefect ``cache_key_fn``: the task's name + the content fingerprint of every input it is called with."""
    return key_for(context.task.name, parameters)


def key_for(task_name: str, parameters: dict[str, Any]) -> str:
    return f"{task_name}-{sha256_json(fingerprint(parameters))[:40]}"


def content_key_except(*outputs: str) -> Any:
    """Like :func:`content_key`, but the named parameters are output paths: keyed by name, not by content."""

    def key(context: TaskRunContext, parameters: dict[str, Any]) -> str:
        return output_key(context.task.name, parameters, outputs)

    return key


def output_key(task_name: str, parameters: dict[str, Any], outputs: tuple[str, ...]) -> str:
    inputs = {k: v for k, v in parameters.items() if k not in outputs}
    return key_for(task_name, {**inputs, "outputs": [repr(parameters.get(k)) for k in outputs]})


def cached_result(task: Any, key: str) -> Any | None:
    """What ``task``'s cache holds under ``key`` (None when nothing, or unreadable)."""
    from prefect.results import get_result_store

    try:
        store = get_result_store().update_for_task(task)
        return store.read(key).result if store.exists(key) else None
    except Exception:  # noqa: BLE001 (an unreadable record is a cache miss)
        return None


def champion_version(project: Project, model: str) -> str | None:
    """The champion's version of ``reeltag.<model>`` (part of cache keys of steps that build on it)."""
    info = project.tracker.by_alias(model, "champion")
    return info.version if info else None


def encoder_weights_file(project: Project) -> str:
    """The configured CLIP weights: a checkpoint path (hashed by content in cache keys) or a tag like 'random'."""
    weights = project.settings.clip.weights
    path = Path(weights) if Path(weights).is_absolute() else project.paths.root / weights
    return str(path) if path.is_file() else weights
