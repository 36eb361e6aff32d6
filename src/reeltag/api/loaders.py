"""The API's only access to the model registry: champion versions, and loading each champion.

Everything goes through :class:`reeltag.project.Project` and its ``tracker``'s public methods, so a change to
the tracking layer is adapted here alone.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from reeltag.ab.serving import uses_challenger
from reeltag.errors import NotFound
from reeltag.project import Project
from reeltag.rerank.model import PARAMS_FILE, RerankerParams, read_params
from reeltag.video.registered import REGISTRY

if TYPE_CHECKING:
    from reeltag.mapper.data import Champion
    from reeltag.suggest.fusion_model import Fusion
    from reeltag.tag2vec.space import TagSpace

WATCHED = ("tag2vec", "mapper", "reranker", "fusion")


def champion_versions(project: Project) -> dict[str, str | None]:
    """``model → version`` the ``champion`` alias points at now (None: no champion), ``challenger`` → the
    reranker's ``challenger`` alias when the ``[ab.online]`` experiment has that variant, and ``encoder`` with
    ``clip.weights = "registry"``. A registry that cannot be
    read (a missing store is not created) raises :class:`~reeltag.errors.RegistryUnavailable`."""
    project.tracker.require_store()
    found = {model: project.tracker.by_alias(model, "champion") for model in WATCHED}
    if uses_challenger(project.settings.ab.online):
        found["challenger"] = project.tracker.by_alias("reranker", "challenger")
    if project.settings.clip.weights == REGISTRY:  # the encoder is a champion too: its set swaps with it
        found["encoder"] = project.tracker.by_alias("encoder", "champion")
    return {model: info.version if info else None for model, info in found.items()}


def load_tag2vec(project: Project, version: str) -> TagSpace:
    from reeltag.tag2vec.steps import fetch_space

    return fetch_space(project, version)


def load_mapper(project: Project, space: TagSpace) -> Champion:
    """The champion mapper; refused when it was trained against another Tag2Vec version than ``space``."""
    from reeltag.mapper.data import load_champion

    return load_champion(project, space, required=True)


def load_reranker(project: Project, version: str) -> RerankerParams:
    """``reranker.json`` of one registered ``reeltag.reranker`` version."""
    info = project.tracker.version("reranker", version)
    if info is None:
        raise NotFound(f"reeltag.reranker version {version} not found")
    with tempfile.TemporaryDirectory(prefix="reeltag-api-reranker-") as tmp:
        return read_params(Path(project.tracker.download_native(info, tmp)) / PARAMS_FILE)


def load_fusion(project: Project, version: str) -> Fusion:
    """One registered ``reeltag.fusion`` version (its verified local copy)."""
    from reeltag.suggest.fusion_model import fusion_version

    info = project.tracker.version("fusion", version)
    if info is None:
        raise NotFound(f"reeltag.fusion version {version} not found")
    return fusion_version(project, info)
