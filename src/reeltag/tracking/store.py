"""The only mlflow import: experiments, runs, registry, aliases, lineage.

Store: ``sqlite:///<root>/mlruns/mlflow.db`` with artifacts under ``<root>/mlruns/artifacts``.
"""

from __future__ import annotations

import importlib
import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
from filelock import FileLock
from mlflow.tracking import MlflowClient

from reeltag.config import Settings
from reeltag.paths import ProjectPaths
from reeltag.tracking import naming

TELEMETRY_OFF = {"DO_NOT_TRACK": "true", "MLFLOW_DISABLE_TELEMETRY": "true", "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    name: str
    experiment: str


@dataclass(frozen=True)
class VersionInfo:
    model: str
    version: str
    run_id: str
    tags: dict[str, str]
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class AliasMove:
    model: str
    champion: str
    rollback: str | None


def telemetry_off() -> None:
    for key, value in TELEMETRY_OFF.items():
        os.environ.setdefault(key, value)


class _LoaderModel(mlflow.pyfunc.PythonModel):
    """Generic pyfunc wrapper: loads reeltag's native files with a ``module:function`` loader."""

    def __init__(self, loader: str):
        self.loader = loader
        self._model: Any = None

    def load_context(self, context: Any) -> None:
        module, func = self.loader.split(":")
        self._model = getattr(importlib.import_module(module), func)(dict(context.artifacts))

    def predict(self, context, model_input, params=None):  # noqa: ANN001 (mlflow reads type hints as a schema)
        return self._model.predict(model_input)


class Tracker:
    """MLflow for one project root."""

    def __init__(self, paths: ProjectPaths):
        telemetry_off()
        self.paths = paths
        paths.artifacts.mkdir(parents=True, exist_ok=True)
        mlflow.set_tracking_uri(paths.tracking_uri)
        mlflow.set_registry_uri(paths.tracking_uri)
        with self._store_lock():  # opening a new store creates its sqlite schema: two processes must not both do it
            self.client = MlflowClient(tracking_uri=paths.tracking_uri, registry_uri=paths.tracking_uri)
            self.client.search_registered_models(max_results=1)

    def experiment_id(self, component: str) -> str:
        name = naming.experiment_name(component)
        found = self.client.get_experiment_by_name(name)
        if found is not None:
            return found.experiment_id
        with self._store_lock():  # another process may create it between our look-up and create
            found = self.client.get_experiment_by_name(name)
            location = (self.paths.artifacts / component).as_uri()
            return found.experiment_id if found else self.client.create_experiment(name, artifact_location=location)

    @contextmanager
    def run(
        self,
        component: str,
        settings: Settings | None = None,
        trigger: str | None = None,
        tags: Mapping[str, Any] | None = None,
        nested: bool = False,
        name: str | None = None,
    ) -> Iterator[RunInfo]:
        """Start a run named per house rules; log flattened config, ``config.json`` and its hash."""
        trigger = trigger or (settings.tracking.trigger if settings else "manual")
        run_name = name or naming.run_name(component, trigger)
        all_tags = {naming.tag("trigger"): trigger, naming.tag("component"): component}
        all_tags.update({naming.tag(k): str(v) for k, v in (tags or {}).items()})
        with mlflow.start_run(experiment_id=self.experiment_id(component), run_name=run_name, nested=nested, tags=all_tags) as run:
            if settings is not None:
                self._log_config(settings)
            yield RunInfo(run.info.run_id, run_name, naming.experiment_name(component))

    def _log_config(self, settings: Settings) -> None:
        params = {k: _param_value(v) for k, v in settings.flat().items() if k != "root"}
        mlflow.log_params(params)
        mlflow.log_dict(settings.model_dump(mode="json"), "config.json")
        mlflow.set_tag(naming.tag("config_hash"), settings.config_hash())

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        clean = {k: float(v) for k, v in metrics.items() if v is not None}
        mlflow.log_metrics(clean, step=step)

    def log_params(self, params: Mapping[str, Any]) -> None:
        mlflow.log_params({k: _param_value(v) for k, v in params.items()})

    def set_tags(self, tags: Mapping[str, Any]) -> None:
        mlflow.set_tags({naming.tag(k): str(v) for k, v in tags.items()})

    def log_dict(self, obj: Any, artifact_file: str) -> None:
        mlflow.log_dict(obj, artifact_file)

    def log_artifact(self, path: str | Path, artifact_path: str | None = None) -> None:
        path = Path(path)
        if path.is_dir():
            mlflow.log_artifacts(str(path), artifact_path)
        else:
            mlflow.log_artifact(str(path), artifact_path)

    def log_text(self, text: str, artifact_file: str) -> None:
        mlflow.log_text(text, artifact_file)

    def log_model(self, artifacts: Mapping[str, str | Path], loader: str, name: str = "model") -> str:
        """Log native files under ``native/`` plus a pyfunc wrapper; return the pyfunc model URI."""
        for key, path in artifacts.items():
            self.log_artifact(path, f"native/{key}" if Path(path).is_dir() else "native")
        info = mlflow.pyfunc.log_model(
            name=name,
            python_model=_LoaderModel(loader),
            artifacts={k: str(v) for k, v in artifacts.items()},
            pip_requirements=["reeltag"],
        )
        return info.model_uri

    def register(self, model: str, model_uri: str, run_id: str, tags: Mapping[str, Any] | None = None) -> VersionInfo:
        """Register a new version of ``reeltag.<model>`` with lineage tags."""
        name = naming.registered_model_name(model)
        with self._store_lock():
            if not self._model_exists(name):
                self.client.create_registered_model(name)
        all_tags = {naming.tag(k) if not k.startswith("depends_on.") else k: str(v) for k, v in (tags or {}).items()}
        mv = self.client.create_model_version(name, model_uri, run_id=run_id, tags=all_tags)
        return self.version(model, mv.version)

    def _model_exists(self, name: str) -> bool:
        return bool(self.client.search_registered_models(filter_string=f"name = '{name}'"))

    def version(self, model: str, version: str | int) -> VersionInfo:
        mv = self.client.get_model_version(naming.registered_model_name(model), str(version))
        return _version_info(mv)

    def versions(self, model: str) -> list[VersionInfo]:
        name = naming.registered_model_name(model)
        if not self._model_exists(name):
            return []
        found = self.client.search_model_versions(filter_string=f"name = '{name}'")
        return sorted((_version_info(mv) for mv in found), key=lambda v: int(v.version))

    def by_alias(self, model: str, alias: str) -> VersionInfo | None:
        name = naming.registered_model_name(model)
        try:
            return _version_info(self.client.get_model_version_by_alias(name, alias))
        except mlflow.exceptions.MlflowException:
            return None

    def set_alias(self, model: str, alias: str, version: str | int) -> None:
        if alias not in naming.ALIASES:
            raise ValueError(f"alias must be one of {naming.ALIASES}, not {alias!r}")
        with self._alias_lock():
            self.client.set_registered_model_alias(naming.registered_model_name(model), alias, str(version))

    def promote(self, model: str, version: str | int) -> AliasMove:
        """Make ``version`` the champion; the previous champion becomes ``rollback``.

        Under a file lock, ``rollback`` moves first and ``champion`` last, so a crash in between leaves
        ``champion`` on the old version (never on nothing).
        """
        name = naming.registered_model_name(model)
        with self._alias_lock():
            old = self.by_alias(model, "champion")
            if old is not None and old.version != str(version):
                self.client.set_registered_model_alias(name, "rollback", old.version)
            self.client.set_registered_model_alias(name, "champion", str(version))
        previous = old.version if old is not None and old.version != str(version) else None
        rollback = self.by_alias(model, "rollback")
        return AliasMove(name, str(version), previous or (rollback.version if rollback else None))

    def _alias_lock(self) -> FileLock:
        return FileLock(str(self.paths.mlruns / ".aliases.lock"), timeout=60)

    def _store_lock(self) -> FileLock:
        """Serialises creating the store, experiments and registered models across processes."""
        return FileLock(str(self.paths.mlruns / ".store.lock"), timeout=120)

    def download_native(self, version: VersionInfo, dst: str | Path | None = None) -> Path:
        """Local copy of a version's ``native/`` files."""
        dst_dir = str(dst) if dst else tempfile.mkdtemp(prefix=f"reeltag-{version.model}-v{version.version}-")
        return Path(mlflow.artifacts.download_artifacts(run_id=version.run_id, artifact_path="native", dst_path=dst_dir))

    def load_pyfunc(self, model: str, alias: str) -> Any:
        return mlflow.pyfunc.load_model(f"models:/{naming.registered_model_name(model)}@{alias}")

    def set_run_tags(self, run_id: str, tags: Mapping[str, Any]) -> None:
        for key, value in tags.items():
            self.client.set_tag(run_id, naming.tag(key), str(value))

    def set_version_tags(self, model: str, version: str | int, tags: Mapping[str, Any]) -> None:
        """Tags on a registered version (``reeltag.`` prefixed), e.g. who promoted it by hand and why."""
        for key, value in tags.items():
            self.client.set_model_version_tag(naming.registered_model_name(model), str(version), naming.tag(key), str(value))

    def run_data(self, run_id: str) -> dict[str, Any]:
        """One run's name, metrics, params and tags as plain dicts."""
        run = self.client.get_run(run_id)
        return {"run_id": run_id, "name": run.info.run_name, "metrics": dict(run.data.metrics),
                "params": dict(run.data.params), "tags": dict(run.data.tags)}

    def log_run_metrics(self, run_id: str, metrics: Mapping[str, float]) -> None:
        for key, value in metrics.items():
            self.client.log_metric(run_id, key, float(value))

    def runs(self, component: str, max_results: int = 100) -> list[dict[str, Any]]:
        """Recent runs of a component as plain dicts (newest first)."""
        found = self.client.search_runs([self.experiment_id(component)], max_results=max_results, order_by=["attributes.start_time DESC"])
        return [
            {"run_id": r.info.run_id, "name": r.info.run_name, "status": r.info.status, "metrics": dict(r.data.metrics),
             "params": dict(r.data.params), "tags": dict(r.data.tags)}
            for r in found
        ]


def _version_info(mv: Any) -> VersionInfo:
    return VersionInfo(
        model=mv.name, version=str(mv.version), run_id=mv.run_id or "", tags=dict(mv.tags or {}), aliases=tuple(mv.aliases or ())
    )


def _param_value(value: Any) -> str:
    text = ",".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)
    return text[:6000]


def mlflow_version() -> str:
    return mlflow.__version__
