"""Glue shared by the flows: the project from section parameters, served-path checks, I/O retries (cache keys:
:mod:`flows._cache`)."""

from __future__ import annotations

import os
from collections.abc import Mapping
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


# Section fields a served run may set only to the served project's own value: the tracking ones would point the
# project's runs and registry at another store or widen where model artifacts may be loaded from; the video ones
# would choose where extraction runs (a Dask scheduler anywhere, whose answers the run unpickles; 1,024 workers).
SERVED_OWN_FIELDS = {"tracking": ("uri", "artifact_roots"), "video": ("executor", "dask_address", "dask_workers")}
PathParam = str | list[str] | None


def project_for(
    root: str,
    *,
    paths: Mapping[str, PathParam] | None = None,
    weights: Mapping[str, str | None] | None = None,
    **sections: BaseModel | None,
) -> Project:
    """The project at ``root`` with the fields GIVEN in each section overriding its own (``None`` keeps the project's).

    Only explicitly set fields count (``--param tag2vec.epochs=5`` keeps the project's ``vector_size``). Under
    ``reeltag serve`` the run is checked first, here and only here: ``root`` is the served project's, the ``paths``
    parameters lie under it, so do ``weights`` files and ``clip.weights``, and :data:`SERVED_OWN_FIELDS` keep the
    project's own values."""
    base = _served_base()
    if base is not None:
        check_served_paths(base, root, paths or {})
        check_served_weights(base, {**(weights or {}), **_clip_weights(sections)})
    project = Project.open(root)
    if base is not None:
        check_served_sections(project, sections)
    updates = {name: section.model_dump(exclude_unset=True) for name, section in sections.items() if section is not None}
    updates = {name: values for name, values in updates.items() if values}
    return project.with_settings(**updates) if updates else project


def _served_base() -> Path | None:
    """The project root ``reeltag serve`` serves (set for the flow runs it starts); None outside a served run."""
    served = os.environ.get(SERVED_ROOT)
    return resolve_path(served) if served else None


def check_served_paths(base: Path, root: str, paths: Mapping[str, PathParam]) -> None:
    """A served run's ``root`` must be the served project's and its path parameters must lie under it: anyone who
    reaches the Prefect API can start a deployment with any parameters (``root=/other``, ``out=~/.bashrc``). Runs
    started from the CLI (``flows run``) carry the user's own paths and are not checked."""
    if resolve_path(root) != base:
        raise BadInput(f"flow parameter root={root!r} is not the served project {base}")
    for name, value in paths.items():
        for item in [value] if isinstance(value, str) else value or []:
            if not resolve_path(item).is_relative_to(base):  # relative paths as the steps read them: from the cwd
                raise BadInput(f"flow parameter {name}={item!r} lies outside the served project {base}")


def _clip_weights(sections: Mapping[str, BaseModel | None]) -> dict[str, str | None]:
    clip = sections.get("clip")
    if clip is None or "weights" not in clip.model_fields_set:
        return {}
    return {"clip.weights": clip.model_dump(include={"weights"})["weights"]}


def check_served_weights(base: Path, weights: Mapping[str, str | None]) -> None:
    """Each encoder weights parameter of a served run that names a file (absolute, ``~``, or relative to the root,
    as the encoder reads it) must lie under the served project; 'random' and pretrained tags pass."""
    for name, value in weights.items():
        if value is None or value == "random":
            continue
        path = Path(value).expanduser()
        path = path if path.is_absolute() else base / path
        if (path.exists() or "/" in value) and not resolve_path(path).is_relative_to(base):
            raise BadInput(f"flow parameter {name}={value!r} lies outside the served project {base}")


def check_served_sections(project: Project, sections: Mapping[str, BaseModel | None]) -> None:
    """A served run's section parameters may set :data:`SERVED_OWN_FIELDS` only to the served project's own values
    (its ``reeltag.toml`` and environment: what ``reeltag serve`` was started with)."""
    for name, fields in SERVED_OWN_FIELDS.items():
        section = sections.get(name)
        given = section.model_dump(include=set(fields) & section.model_fields_set) if section is not None else {}
        own = getattr(project.settings, name).model_dump(include=set(given))
        changed = sorted(field for field in given if given[field] != own[field])
        if changed:
            raise BadInput(
                f"flow parameter {name}.{changed[0]} cannot be set in a served run (only to the served project's own "
                "value: set it in its reeltag.toml and restart `reeltag serve`)"
            )


def inbox(project: Project, name: str) -> Path:
    """Where scheduled runs pick up new inputs: ``<root>/data/inbox/<name>``."""
    return project.paths.data / "inbox" / name
