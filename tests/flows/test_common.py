"""flows/_common: section parameters override only the fields given; cache keys ignore why/when a step runs;
retries only on transient I/O errors."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from flows._cache import fingerprint
from flows._common import is_transient, project_for
from reeltag.config import Tag2VecSection, TrackingSection
from reeltag.errors import BadInput, ContractFailed


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "reeltag.toml").write_text("[tag2vec]\nvector_size = 64\n")
    return tmp_path


def test_a_section_parameter_overrides_only_the_fields_it_sets(root: Path) -> None:
    project = project_for(str(root), tag2vec=Tag2VecSection.model_validate({"epochs": 5}))
    assert project.settings.tag2vec.epochs == 5
    assert project.settings.tag2vec.vector_size == 64  # from reeltag.toml, not the default 100


def test_cache_fingerprint_ignores_trigger_and_schedules_but_not_the_steps_settings(root: Path) -> None:
    base = fingerprint(project_for(str(root)))
    assert fingerprint(project_for(str(root), tracking=TrackingSection(trigger="scheduled"))) == base
    assert fingerprint(project_for(str(root)).with_settings(schedules={"poc_report": "*/5 * * * *"})) == base
    assert fingerprint(project_for(str(root), tag2vec=Tag2VecSection.model_validate({"epochs": 7}))) != base


@pytest.mark.parametrize(
    ("exc", "transient"),
    [
        (OSError("stale NFS handle"), True),
        (TimeoutError("slow share"), True),
        (ConnectionResetError(), True),
        (FileNotFoundError("x"), False),
        (PermissionError("x"), False),
        (IsADirectoryError("x"), False),
        (NotADirectoryError("x"), False),
        (ValueError("size huge"), False),
        (BadInput("bad"), False),
        (ContractFailed("bad"), False),
        (KeyError("x"), False),
        (sqlite3.OperationalError("database is locked"), True),
        (sqlite3.OperationalError("no such table: runs"), False),
    ],
)
def test_only_transient_os_errors_are_retried(exc: BaseException, transient: bool) -> None:
    assert is_transient(exc) is transient


@pytest.mark.flow
@pytest.mark.parametrize(
    ("exc", "attempts"), [(ValueError("size 'huge'"), 1), (FileNotFoundError("gone"), 1), (OSError("flaky"), 3)]
)
def test_io_tasks_retry_transient_os_errors_only(exc: BaseException, attempts: int) -> None:
    from prefect import flow, task

    from flows._common import IO_RETRIES

    calls: list[int] = []

    @task(**{**IO_RETRIES, "retries": 2, "retry_delay_seconds": 0, "retry_jitter_factor": None})
    def io_step() -> None:
        calls.append(1)
        raise exc

    @flow
    def run() -> None:
        io_step()

    with pytest.raises(type(exc)):
        run()
    assert len(calls) == attempts
