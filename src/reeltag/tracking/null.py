"""The tracker of a project with ``tracking.enabled = false``: logs nothing, refuses registry writes in one line.

Reads (champion look-ups, versions, runs) still go to the store, so suggesting or evaluating with tracking off
works; a step that must register or promote says that it needs tracking instead of silently skipping.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

from reeltag.tracking import naming
from reeltag.tracking.off import needs_tracking
from reeltag.tracking.records import RunInfo
from reeltag.tracking.store import Tracker


class NullTracker(Tracker):
    enabled = False

    @contextmanager
    def run(
        self,
        component: str,
        settings: Any = None,
        trigger: str | None = None,
        tags: Any = None,
        parent: RunInfo | None = None,
        name: str | None = None,
    ) -> Iterator[RunInfo]:
        trigger = trigger or (settings.tracking.trigger if settings else "manual")
        yield RunInfo(run_id=None, name=name or naming.run_name(component, trigger), experiment=naming.experiment_name(component))

    def log_metrics(self, run_id: str | None, metrics: Any, step: int | None = None) -> None:
        return None

    def log_params(self, run_id: str | None, params: Any) -> None:
        return None

    def set_tags(self, run_id: str | None, tags: Any) -> None:
        return None

    def log_dict(self, run_id: str | None, obj: Any, artifact_file: str) -> None:
        return None

    def log_text(self, run_id: str | None, text: str, artifact_file: str) -> None:
        return None

    def log_artifact(self, run_id: str | None, path: Any, artifact_path: str | None = None) -> None:
        return None

    def log_model(self, run_id: Any, artifacts: Any, loader: str) -> NoReturn:
        raise needs_tracking("logging a model")

    def register(self, model: str, logged: Any, run_id: Any, tags: Any = None) -> NoReturn:
        raise needs_tracking(f"registering {naming.registered_model_name(model)}")

    def set_alias(self, model: str, alias: str, version: Any) -> NoReturn:
        raise needs_tracking(f"moving the {alias} alias of {naming.registered_model_name(model)}")

    def promote(
        self, model: str, version: Any, expected: Any = None, with_challenger: bool = False, on_moved: Any = None
    ) -> NoReturn:
        raise needs_tracking(f"promoting {naming.registered_model_name(model)}")

    def roll_back(self, model: str, expected: Any, on_moved: Any = None) -> NoReturn:
        raise needs_tracking(f"rolling back {naming.registered_model_name(model)}")

    def set_version_tags(self, model: str, version: Any, tags: Any) -> NoReturn:
        raise needs_tracking(f"tagging {naming.registered_model_name(model)} v{version}")
