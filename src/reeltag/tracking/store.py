"""The only mlflow import: experiments, runs, registry, aliases, lineage.

One :class:`Tracker` per project, with its own ``MlflowClient`` on ``tracking.uri`` (default
``sqlite:///<root>/mlruns/mlflow.db``, artifacts under ``<root>/mlruns/artifacts``); the registry follows the
tracking URI. Nothing here touches mlflow's process-wide state (no ``set_tracking_uri``, no active run, no
environment variables): every log call names its run, so two projects in one process log to their own stores.
"""

from __future__ import annotations

import importlib
import json
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any

import mlflow
from filelock import FileLock
from mlflow.entities import Metric, Param
from mlflow.pyfunc.model import PythonModel
from mlflow.tracking import MlflowClient

from reeltag.config import Settings, TrackingSection
from reeltag.errors import RegistryUnavailable
from reeltag.paths import ProjectPaths
from reeltag.tracking import naming
from reeltag.tracking.integrity import NATIVE_SHA256, check_artifact_location, digest_of
from reeltag.tracking.off import tracked_run_id
from reeltag.tracking.records import (
    UNCHECKED,
    AliasChange,
    AliasMove,
    ChampionMoved,
    LoggedModel,
    RunInfo,
    VersionInfo,
)

PYFUNC_PATH, NATIVE_PATH = "model", "native"
OnMoved = Callable[[AliasMove], None]
SQLITE = "sqlite:///"
REMOTE_SCHEMES = ("mlflow-artifacts",)  # a tracking server's own artifact store
# loader modules of versions logged before the one-package-per-capability move (issue 24), read where they are now
MOVED_LOADERS = {
    "reeltag.tag2vec.serve": "reeltag.tag2vec.pyfunc",
    "reeltag.pipelines.fusion_model": "reeltag.suggest.fusion_model",
}


def loader_function(loader: str) -> Any:
    """``module:function`` → the function, for a module that moved too."""
    module, func = loader.split(":")
    return getattr(importlib.import_module(MOVED_LOADERS.get(module, module)), func)


class _LoaderModel(PythonModel):
    """Generic pyfunc wrapper: loads reeltag's native files with a ``module:function`` loader."""

    def __init__(self, loader: str):
        self.loader = loader
        self._model: Any = None

    def load_context(self, context: Any) -> None:
        self._model = loader_function(self.loader)(dict(context.artifacts))

    def predict(self, context, model_input, params=None):  # noqa: ANN001 (mlflow reads type hints as a schema)
        return self._model.predict(model_input)


class Tracker:
    """MLflow for one project root; the client (and a local store) is created on first use."""

    enabled = True

    def __init__(self, paths: ProjectPaths, tracking: TrackingSection | None = None):
        self.paths = paths
        self.uri = (tracking.uri if tracking else "") or paths.tracking_uri
        self.artifact_roots = tuple(Path(p) for p in (tracking.artifact_roots if tracking else ()))

    @property
    def local(self) -> bool:
        return self.uri == self.paths.tracking_uri

    @cached_property
    def client(self) -> MlflowClient:
        """The store's client; a store that cannot be opened (not a database, locked, unreachable) raises
        :class:`RegistryUnavailable` with MLflow's reason."""
        self.paths.mlruns.mkdir(parents=True, exist_ok=True)
        with self._store_lock():  # opening a new store creates its sqlite schema: two processes must not both do it
            try:
                client = MlflowClient(tracking_uri=self.uri, registry_uri=self.uri)
                client.search_registered_models(max_results=1)
            except Exception as exc:  # noqa: BLE001 (MLflow, SQLAlchemy and driver errors alike: the store is unusable)
                raise RegistryUnavailable(f"tracking store {self.uri} cannot be opened: {one_line(exc)}") from exc
        return client

    @property
    def sqlite_file(self) -> Path | None:
        """The database file of a ``sqlite:///`` tracking URI (None for a tracking server)."""
        return Path(self.uri.removeprefix(SQLITE)) if self.uri.startswith(SQLITE) else None

    def require_store(self) -> None:
        """Raise :class:`RegistryUnavailable` when the tracking store is a SQLite file that does not exist: opening
        it would create an empty store, and a reader (the API) would take that for "no champion yet"."""
        db = self.sqlite_file
        if db is not None and not db.is_file():
            raise RegistryUnavailable(
                f"no tracking store at {db} (tracking.uri {self.uri}): wrong --root, or nothing trained and registered "
                "here yet (`reeltag tag2vec train`, `reeltag rerank tune`, or `reeltag demo`)"
            )

    def experiment_id(self, component: str) -> str:
        name = naming.experiment_name(component)
        found = self.client.get_experiment_by_name(name)
        if found is not None:
            return found.experiment_id
        with self._store_lock():  # another process may create it between our look-up and create
            found = self.client.get_experiment_by_name(name)
            location = (self.paths.artifacts / component).as_uri() if self.local else None
            return found.experiment_id if found else self.client.create_experiment(name, artifact_location=location)

    @contextmanager
    def run(
        self,
        component: str,
        settings: Settings | None = None,
        trigger: str | None = None,
        tags: Mapping[str, Any] | None = None,
        parent: RunInfo | None = None,
        name: str | None = None,
    ) -> Iterator[RunInfo]:
        """A run named per house rules (FINISHED when the block ends, FAILED when it raises); logs flattened
        config, ``config.json`` and its hash. ``parent`` makes it a nested run."""
        trigger = trigger or (settings.tracking.trigger if settings else "manual")
        info = RunInfo(
            run_id=None, name=name or naming.run_name(component, trigger), experiment=naming.experiment_name(component)
        )
        all_tags = {
            naming.tag("trigger"): trigger,
            naming.tag("component"): component,
            **{naming.tag(k): str(v) for k, v in (tags or {}).items()},
        }
        if parent is not None and parent.run_id:
            all_tags["mlflow.parentRunId"] = parent.run_id
        created = self.client.create_run(self.experiment_id(component), tags=all_tags, run_name=info.name)
        run_id: str = created.info.run_id
        info = RunInfo(run_id=run_id, name=info.name, experiment=info.experiment)
        try:
            if settings is not None:
                self._log_config(run_id, settings)
            yield info
        except BaseException:
            self.client.set_terminated(run_id, "FAILED")
            raise
        self.client.set_terminated(run_id, "FINISHED")

    def _log_config(self, run_id: str, settings: Settings) -> None:
        self.log_params(run_id, {k: v for k, v in settings.flat().items() if k != "root"})
        self.client.log_dict(run_id, settings.model_dump(mode="json"), "config.json")
        self.client.set_tag(run_id, naming.tag("config_hash"), settings.config_hash())

    def log_metrics(self, run_id: str | None, metrics: Mapping[str, float], step: int | None = None) -> None:
        now = int(time.time() * 1000)
        clean = [Metric(k, float(v), now, step or 0) for k, v in metrics.items() if v is not None]
        for start in range(0, len(clean), 1000):  # MLflow's batch limit
            self.client.log_batch(tracked_run_id(run_id, "logging metrics"), metrics=clean[start : start + 1000])

    def log_params(self, run_id: str | None, params: Mapping[str, Any]) -> None:
        clean = [Param(k, _param_value(v)) for k, v in params.items()]
        for start in range(0, len(clean), 100):  # MLflow's batch limit for params
            self.client.log_batch(tracked_run_id(run_id, "logging params"), params=clean[start : start + 100])

    def set_tags(self, run_id: str | None, tags: Mapping[str, Any]) -> None:
        """Run tags, ``reeltag.`` prefixed."""
        for key, value in tags.items():
            self.client.set_tag(tracked_run_id(run_id, "tagging a run"), naming.tag(key), str(value))

    def log_dict(self, run_id: str | None, obj: Any, artifact_file: str) -> None:
        self.client.log_dict(tracked_run_id(run_id, f"logging {artifact_file}"), obj, artifact_file)

    def read_dict(self, run_id: str, artifact_file: str) -> Any:
        """A JSON artifact of a run, or None when the run has none."""
        with tempfile.TemporaryDirectory(prefix="reeltag-read-") as tmp:
            try:
                path = self.client.download_artifacts(run_id, artifact_file, tmp)
            except (OSError, mlflow.exceptions.MlflowException):
                return None
            return json.loads(Path(path).read_text(encoding="utf-8"))

    def log_text(self, run_id: str | None, text: str, artifact_file: str) -> None:
        self.client.log_text(tracked_run_id(run_id, f"logging {artifact_file}"), text, artifact_file)

    def log_artifact(self, run_id: str | None, path: str | Path, artifact_path: str | None = None) -> None:
        path, logged_to = Path(path), tracked_run_id(run_id, "logging an artifact")
        if path.is_dir():
            self.client.log_artifacts(logged_to, str(path), artifact_path)
        else:
            self.client.log_artifact(logged_to, str(path), artifact_path)

    def log_model(self, run_id: str | None, artifacts: Mapping[str, str | Path], loader: str) -> LoggedModel:
        """Native files under ``native/`` (a folder as ``native/<key>/``, a file by its name), their sha256
        recorded, plus a pyfunc wrapper under ``model/``."""
        run_id = tracked_run_id(run_id, "logging a model")
        with tempfile.TemporaryDirectory(prefix="reeltag-model-") as tmp:
            native = _stage_native(artifacts, Path(tmp) / NATIVE_PATH)
            self.client.log_artifacts(run_id, str(native), NATIVE_PATH)
            mlflow.pyfunc.save_model(
                Path(tmp) / PYFUNC_PATH,
                python_model=_LoaderModel(loader),
                artifacts={k: str(v) for k, v in artifacts.items()},
                pip_requirements=["reeltag"],
            )
            self.client.log_artifacts(run_id, str(Path(tmp) / PYFUNC_PATH), PYFUNC_PATH)
            return LoggedModel(uri=f"runs:/{run_id}/{PYFUNC_PATH}", native_sha256=digest_of(native))

    def register(self, model: str, logged: LoggedModel, run_id: str, tags: Mapping[str, Any] | None = None) -> VersionInfo:
        """Register a new version of ``reeltag.<model>`` with lineage tags and the native files' sha256."""
        name = naming.registered_model_name(model)
        with self._store_lock():
            if not self._model_exists(name):
                self.client.create_registered_model(name)
        all_tags = {naming.tag(k) if not k.startswith("depends_on.") else k: str(v) for k, v in (tags or {}).items()}
        all_tags[NATIVE_SHA256] = logged.native_sha256
        mv = self.client.create_model_version(name, logged.uri, run_id=run_id, tags=all_tags)
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
        """The version ``alias`` points at; None when the model or the alias does not exist. Any other failure
        (store locked, broken, unreachable) raises :class:`RegistryUnavailable`: it is not "no champion"."""
        name = naming.registered_model_name(model)
        client = self.client
        try:
            return _version_info(client.get_model_version_by_alias(name, alias))
        except mlflow.exceptions.MlflowException as exc:
            if _is_absent(exc):
                return None
            raise RegistryUnavailable(f"registry error reading {name}@{alias}: {one_line(exc)}") from exc

    def set_alias(self, model: str, alias: str, version: str | int) -> None:
        if alias not in naming.ALIASES:
            raise ValueError(f"alias must be one of {naming.ALIASES}, not {alias!r}")
        with self.alias_lock():
            self.client.set_registered_model_alias(naming.registered_model_name(model), alias, str(version))

    def promote(
        self,
        model: str,
        version: str | int,
        expected: Any = UNCHECKED,
        with_challenger: bool = False,
        on_moved: OnMoved | None = None,
    ) -> AliasMove:
        """Make ``version`` the champion (and ``challenger`` too, with ``with_challenger``); the previous champion
        becomes ``rollback``.

        Compare-and-swap: with ``expected`` (a version, or None for "no champion"), :class:`ChampionMoved` is raised
        unless the champion is still that one. Under the alias lock, ``rollback`` moves first and ``champion`` last,
        so a crash in between leaves ``champion`` on the old version (never on nothing). ``on_moved`` is called with
        the move before the lock is released (so records of concurrent moves are in the order the moves happened).
        """
        with self.alias_lock():
            before = self._aliases(model)
            current = before["champion"]
            if expected is not UNCHECKED and current != (str(expected) if expected is not None else None):
                raise ChampionMoved(naming.registered_model_name(model), expected, current)
            keep = current in (None, str(version))
            wanted = {"rollback": before["rollback"] if keep else current, "champion": str(version)}
            wanted |= {"challenger": str(version)} if with_challenger else {}
            return self._moved(model, before, wanted, on_moved)

    def roll_back(self, model: str, expected: str, on_moved: OnMoved | None = None) -> AliasMove:
        """The ``rollback`` version becomes champion again and the ``rollback`` alias is removed (a second rollback
        cannot bring the failed champion back); ``challenger`` stays. Compare-and-swap on ``expected`` (the champion
        judged); :class:`ChampionMoved` also when there is no ``rollback`` to go back to."""
        with self.alias_lock():
            before = self._aliases(model)
            if before["champion"] != str(expected) or before["rollback"] is None:
                raise ChampionMoved(naming.registered_model_name(model), expected, before["champion"])
            return self._moved(model, before, {"champion": before["rollback"], "rollback": None}, on_moved)

    def _aliases(self, model: str) -> dict[str, str | None]:
        found = {alias: self.by_alias(model, alias) for alias in naming.ALIASES}
        return {alias: info.version if info else None for alias, info in found.items()}

    def _moved(
        self, model: str, before: Mapping[str, str | None], wanted: Mapping[str, str | None], on_moved: OnMoved | None
    ) -> AliasMove:
        """Set (or remove) the aliases of ``wanted`` in its order; the move, reported to ``on_moved`` (still locked)."""
        name = naming.registered_model_name(model)
        changes = tuple(AliasChange(alias=a, version=v, previous=before[a]) for a, v in wanted.items() if v != before[a])
        for change in changes:
            if change.version is None:
                self.client.delete_registered_model_alias(name, change.alias)
            else:
                self.client.set_registered_model_alias(name, change.alias, change.version)
        after = {**before, **wanted}
        move = AliasMove(model=name, champion=str(after["champion"]), rollback=after["rollback"], changes=changes)
        if on_moved is not None:
            on_moved(move)
        return move

    def alias_lock(self) -> FileLock:
        """Serialises alias moves (and the compare-and-swap of a promotion) across processes of this root."""
        self.paths.mlruns.mkdir(parents=True, exist_ok=True)
        return FileLock(str(self.paths.mlruns / ".aliases.lock"), timeout=60)

    def _store_lock(self) -> FileLock:
        """Serialises creating the store, experiments and registered models across processes."""
        return FileLock(str(self.paths.mlruns / ".store.lock"), timeout=120)

    def download_native(self, version: VersionInfo, dst: str | Path) -> Path:
        """Copy of a version's ``native/`` files in ``dst``, after checking where its artifacts live."""
        where = self.client.get_run(version.run_id).info.artifact_uri
        allowed = (self.paths.mlruns, *self.artifact_roots)
        check_artifact_location(where, allowed, () if self.local else REMOTE_SCHEMES, f"{version.model} v{version.version}")
        return Path(self.client.download_artifacts(version.run_id, NATIVE_PATH, str(dst)))

    def load_pyfunc(self, model: str, alias: str) -> Any:
        """The pyfunc wrapper of ``reeltag.<model>@alias`` (downloaded through this tracker's client)."""
        info = self.by_alias(model, alias)
        if info is None:
            raise LookupError(f"no {alias} of {naming.registered_model_name(model)}")
        local = self.client.download_artifacts(info.run_id, PYFUNC_PATH, tempfile.mkdtemp(prefix="reeltag-pyfunc-"))
        return mlflow.pyfunc.load_model(local)

    def set_run_tags(self, run_id: str, tags: Mapping[str, Any]) -> None:
        self.set_tags(run_id, tags)

    def set_version_tags(self, model: str, version: str | int, tags: Mapping[str, Any]) -> None:
        """Tags on a registered version (``reeltag.`` prefixed), e.g. who promoted it by hand and why."""
        for key, value in tags.items():
            self.client.set_model_version_tag(naming.registered_model_name(model), str(version), naming.tag(key), str(value))

    def run_data(self, run_id: str) -> dict[str, Any]:
        """One run's name, metrics, params and tags as plain dicts."""
        return _run_dict(self.client.get_run(run_id))

    def runs(self, component: str, max_results: int = 100, tags: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
        """Runs of a component (newest first) as plain dicts; ``tags`` filter on the server (``reeltag.`` prefixed)."""
        found = self.client.search_runs(
            [self.experiment_id(component)],
            filter_string=_tag_filter(tags or {}),
            max_results=max_results,
            order_by=["attributes.start_time DESC"],
        )
        return [_run_dict(r) for r in found]

    def latest_run(self, component: str, tags: Mapping[str, str]) -> dict[str, Any] | None:
        """The newest FINISHED run of a component with these tags (a server-side query, never a scan)."""
        found = self.runs(component, max_results=1, tags={**tags, "attributes.status": "FINISHED"})
        return found[0] if found else None


def _is_absent(exc: mlflow.exceptions.MlflowException) -> bool:
    """MLflow's answer for a registered model that does not exist, or an alias it does not have."""
    missing_alias = exc.error_code == "INVALID_PARAMETER_VALUE" and "alias" in exc.message and "not found" in exc.message
    return exc.error_code == "RESOURCE_DOES_NOT_EXIST" or missing_alias


def one_line(exc: BaseException) -> str:
    """An exception's message on one line, at most 500 characters (SQLAlchemy appends the SQL and a link)."""
    return " ".join(str(exc).split())[:500]


def _stage_native(artifacts: Mapping[str, str | Path], folder: Path) -> Path:
    folder.mkdir(parents=True)
    for key, path in artifacts.items():
        path = Path(path)
        if path.is_dir():
            shutil.copytree(path, folder / key)
        else:
            shutil.copy2(path, folder / path.name)
    return folder


def _tag_filter(tags: Mapping[str, str]) -> str:
    """``tags."reeltag.kind" = 'tune' AND …``; keys starting ``attributes.`` are run attributes."""

    def quote(value: str) -> str:
        return "'" + str(value).replace("'", "\\'") + "'"

    parts = [
        f"{k} = {quote(v)}" if k.startswith("attributes.") else f'tags."{naming.tag(k)}" = {quote(v)}' for k, v in tags.items()
    ]
    return " AND ".join(parts)


def _run_dict(run: Any) -> dict[str, Any]:
    return {
        "run_id": run.info.run_id,
        "name": run.info.run_name,
        "status": run.info.status,
        "metrics": dict(run.data.metrics),
        "params": dict(run.data.params),
        "tags": dict(run.data.tags),
    }


def _version_info(mv: Any) -> VersionInfo:
    return VersionInfo(
        model=mv.name, version=str(mv.version), run_id=mv.run_id or "", tags=dict(mv.tags or {}), aliases=tuple(mv.aliases or ())
    )


def _param_value(value: Any) -> str:
    text = ",".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)
    return text[:6000]


def mlflow_version() -> str:
    return mlflow.__version__
