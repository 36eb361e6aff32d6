"""Cache keys of the flows' tasks: a Prefect cache policy that says which inputs are paths and what else the
output depends on, so tasks take only their real inputs.

:class:`ContentInputs` keys a task run on its name and a digest of every input: a :class:`Project` by its root
and the settings that can change outputs, a section by its values, a plain value by ``repr``. Only the inputs the
policy DECLARES to be paths are hashed by content (a file's bytes, a folder's files); no string is taken for a path
because one happens to exist (``"."`` is just ``"."``). Output paths are keyed by name. ``derived`` adds digests
the inputs imply: the videos a labels file names, the encoder checkpoint, a champion's version.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from prefect.cache_policies import CachePolicy
from prefect.context import TaskRunContext
from pydantic import BaseModel

from reeltag.corpus.steps import SENTENCES_FILE
from reeltag.io import sha256_file, sha256_json
from reeltag.mapper.labels import labelled_videos
from reeltag.project import Project
from reeltag.registry.policy import champion_version
from reeltag.rerank.formats import read_manifest, search_set
from reeltag.text.steps import text_model_path

if TYPE_CHECKING:
    from prefect.results import ResultStore

# Settings that say why or when a step runs, not what it computes: never part of a cache key.
NOT_OUTPUT_SETTINGS: dict[str, Any] = {"root": True, "schedules": True, "tracking": {"trigger"}}
Derive = Callable[[dict[str, Any]], Any]


@dataclass
class ContentInputs(CachePolicy):
    """Prefect cache policy: the task's name + the digest of its inputs (see the module doc)."""

    paths: tuple[str, ...] = ()  # inputs naming files or folders the task reads: keyed by their content
    outputs: tuple[str, ...] = ()  # inputs naming paths the task writes: keyed by name, not content
    derived: dict[str, Derive] = field(default_factory=dict)  # name → digest of what the inputs imply

    def compute_key(
        self, task_ctx: TaskRunContext, inputs: dict[str, Any], flow_parameters: dict[str, Any], **kwargs: Any
    ) -> str:
        return self.key(task_ctx.task.name, inputs)

    def key(self, task_name: str, inputs: dict[str, Any]) -> str:
        """The cache key of ``task_name`` called with ``inputs`` (also outside a task run, to read its cache)."""
        return f"{task_name}-{sha256_json(self.digest(inputs))[:40]}"

    def digest(self, inputs: dict[str, Any]) -> dict[str, Any]:
        given = {name: self._input(name, value) for name, value in inputs.items()}
        return {**given, **{f"derived.{name}": derive(inputs) for name, derive in self.derived.items()}}

    def _input(self, name: str, value: Any) -> Any:
        if name in self.outputs:
            return repr(value)
        if name in self.paths:
            return path_digest(value)
        return fingerprint(value)


def fingerprint(value: Any) -> Any:
    """A JSON-able digest of a task input that is NOT declared a path: settings hashes and plain values."""
    if isinstance(value, Project):
        return {"root": str(value.paths.root), "config": settings_fingerprint(value)}
    if isinstance(value, BaseModel):
        return sha256_json(value.model_dump(mode="json"))
    if isinstance(value, (list, tuple)):
        return [fingerprint(v) for v in value]
    if isinstance(value, dict):
        return {str(k): fingerprint(v) for k, v in value.items()}
    return repr(value)


def settings_fingerprint(project: Project) -> str:
    """A hash of the settings that can change a step's outputs (not schedules, the trigger or the root)."""
    return sha256_json(project.settings.model_dump(mode="json", exclude=NOT_OUTPUT_SETTINGS))[:16]


def path_digest(value: str | Path | list | None) -> Any:
    """Content hash of a file, of a folder's files (relative names + hashes), ``missing:<path>`` when absent."""
    if value is None:
        return None
    if isinstance(value, list):
        return [path_digest(v) for v in value]
    path = Path(value)
    if path.is_file():
        return sha256_file(path)
    if not path.exists():
        return f"missing:{path}"
    files = sorted(p for p in path.rglob("*") if p.is_file())
    return sha256_json([[str(p.relative_to(path)), sha256_file(p)] for p in files])


def videos_named_by(name: str) -> Derive:
    """Derived input: content hashes of the videos the labels (or pairs) file in input ``name`` names."""

    def digest(inputs: dict[str, Any]) -> list[list[str]]:
        labels, allow = Path(inputs[name]), inputs["project"].settings.paths.allow_absolute_manifest_paths
        return [[video, path_digest(video)] for video in labelled_videos(labels, allow)] if labels.is_file() else []

    return digest


def search_set_content(name: str) -> Derive:
    """Derived input: content hashes of the search set (folder in input ``name``): its run, topics, qrels and
    manifest files and the videos the manifest names (other files in the folder do not count)."""

    def digest(inputs: dict[str, Any]) -> dict[str, Any]:
        files = search_set(inputs[name])
        manifest, allow = files["manifest_path"], inputs["project"].settings.paths.allow_absolute_manifest_paths
        videos = read_manifest(manifest, allow).paths if manifest.is_file() else {}
        return {**{k: path_digest(p) for k, p in files.items()}, "videos": {d: path_digest(p) for d, p in sorted(videos.items())}}

    return digest


def encoder_checkpoint(inputs: dict[str, Any]) -> str:
    """Derived input: the configured CLIP weights, by content when they are a checkpoint file (else the tag)."""
    return weights_digest(inputs["project"], inputs["project"].settings.clip.weights)


def weights_digest(project: Project, weights: str) -> str:
    """A checkpoint file (absolute, or relative to the root) by content; a tag ('random', a pretrained name) as is."""
    path = Path(weights) if Path(weights).is_absolute() else project.paths.root / weights
    return sha256_file(path) if path.is_file() else weights


def champion_of(model: str) -> Derive:
    """Derived input: the champion version of ``reeltag.<model>`` (a step that builds on it)."""
    return lambda inputs: champion_version(inputs["project"], model)


def validated_sentences(inputs: dict[str, Any]) -> Any:
    """Derived input: the content of the validated sentences the Tag2Vec steps train on."""
    return path_digest(inputs["project"].paths.validation / SENTENCES_FILE)


def text_model_file(inputs: dict[str, Any]) -> Any:
    """Derived input: the content of the text model ``reeltag text train`` saved (``missing:…`` when none)."""
    return path_digest(text_model_path(inputs["project"]))


def cached_result(task: Any, key: str) -> Any | None:
    """What ``task``'s cache holds under ``key`` (None when nothing, or unreadable)."""
    from prefect.results import get_result_store

    try:
        # called from sync code, Prefect's async_dispatch returns the store itself (not the coroutine of its async twin)
        store = cast("ResultStore", get_result_store().update_for_task(task))
        return store.read(key).result if store.exists(key) else None
    except Exception:  # noqa: BLE001 (an unreadable record is a cache miss)
        return None
