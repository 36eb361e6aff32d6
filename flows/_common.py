"""Glue shared by the flows: the project from section parameters, served-path checks, I/O retries (cache keys:
:mod:`flows._cache`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from prefect.cache_policies import NO_CACHE
from prefect.tasks import exponential_backoff
from pydantic import BaseModel

from flows.server import SERVED_ROOT
from reeltag.errors import BadInput, ReeltagError
from reeltag.project import Project
from reeltag.security import resolve_path

# Not transient: retrying cannot make a missing file appear or a permission appear.
PERMANENT_OS_ERRORS = (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError, FileExistsError)


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


# Section fields a served run may not set: they would point the project's runs and registry at another store
# or widen where model artifacts may be loaded from.
SERVED_FIXED_FIELDS = {"tracking": ("uri", "artifact_roots")}


def project_for(root: str, **sections: BaseModel | None) -> Project:
    """The project at ``root`` with the fields GIVEN in each section overriding its own (``None`` keeps the project's).

    Only explicitly set fields count (``--param tag2vec.epochs=5`` keeps the project's ``vector_size``). Under
    ``reeltag serve`` the sections are checked first (:func:`check_served_sections`)."""
    check_served_sections(sections)
    project = Project.open(root)
    updates = {name: section.model_dump(exclude_unset=True) for name, section in sections.items() if section is not None}
    updates = {name: values for name, values in updates.items() if values}
    return project.with_settings(**updates) if updates else project


def _served_base() -> Path | None:
    """The project root ``reeltag serve`` serves (set for the flow runs it starts); None outside a served run."""
    served = os.environ.get(SERVED_ROOT)
    return resolve_path(served) if served else None


def check_served_paths(root: str, **paths: str | list[str] | None) -> None:
    """Under ``reeltag serve``, a run's ``root`` must be the served project's and its path parameters must lie
    under it: anyone who reaches the Prefect API can start a deployment with any parameters (``root=/other``,
    ``out=~/.bashrc``). Runs started from the CLI (``flows run``) carry the user's own paths and are not checked."""
    base = _served_base()
    if base is None:
        return
    if resolve_path(root) != base:
        raise BadInput(f"flow parameter root={root!r} is not the served project {base}")
    for name, value in paths.items():
        for item in [value] if isinstance(value, str) else value or []:
            if not resolve_path(item).is_relative_to(base):  # relative paths as the steps read them: from the cwd
                raise BadInput(f"flow parameter {name}={item!r} lies outside the served project {base}")


def check_served_sections(sections: dict[str, BaseModel | None]) -> None:
    """Under ``reeltag serve``, section parameters may not set :data:`SERVED_FIXED_FIELDS`, and a ``clip.weights``
    that names a file must lie under the served project (a checkpoint is read from it)."""
    if _served_base() is None:
        return
    for name, fixed in SERVED_FIXED_FIELDS.items():
        section = sections.get(name)
        refused = sorted(set(fixed) & section.model_fields_set) if section is not None else []
        if refused:
            raise BadInput(f"flow parameter {name}.{refused[0]} cannot be set in a served run (it is the project's own)")
    clip = sections.get("clip")
    if clip is not None and "weights" in clip.model_fields_set:
        check_served_weights(**{"clip.weights": clip.model_dump(include={"weights"})["weights"]})


def check_served_weights(**weights: str | None) -> None:
    """Under ``reeltag serve``, each encoder weights parameter that names a file (absolute, ``~``, or relative to the
    root, as the encoder reads it) must lie under the served project; 'random' and pretrained tags pass."""
    base = _served_base()
    if base is None:
        return
    for name, value in weights.items():
        if value is None or value == "random":
            continue
        path = Path(value).expanduser()
        path = path if path.is_absolute() else base / path
        if (path.exists() or "/" in value) and not resolve_path(path).is_relative_to(base):
            raise BadInput(f"flow parameter {name}={value!r} lies outside the served project {base}")


def inbox(project: Project, name: str) -> Path:
    """Where scheduled runs pick up new inputs: ``<root>/data/inbox/<name>``."""
    return project.paths.data / "inbox" / name
