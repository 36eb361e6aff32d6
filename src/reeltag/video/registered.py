"""``clip.weights = "registry"``: the encoder is ``reeltag.encoder@champion`` (or a given version), read from its
verified local copy; any other value pins the encoder in the settings as before."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from reeltag.errors import NotFound
from reeltag.project import Project
from reeltag.registry.policy import native_copy
from reeltag.video.encoder import checkpoint_arch

if TYPE_CHECKING:
    from reeltag.config import ClipSection
    from reeltag.video.encoder import ClipEncoder

REGISTRY = "registry"


@dataclass(frozen=True, kw_only=True)
class EncoderChoice:
    """The ``[clip]`` settings that build one encoder, and its registered version (None: pinned by the settings)."""

    clip: ClipSection
    version: str | None


def from_registry(project: Project) -> bool:
    return project.settings.clip.weights == REGISTRY


def encoder_choice(project: Project, version: str | None = None) -> EncoderChoice:
    """The settings' encoder, or with ``clip.weights = "registry"`` (or a ``version``) a registered one."""
    if version is None and not from_registry(project):
        return EncoderChoice(clip=project.settings.clip, version=None)
    info = project.tracker.version("encoder", version) if version else project.tracker.by_alias("encoder", "champion")
    if info is None:
        raise NotFound("clip.weights = 'registry', but reeltag.encoder has no champion: `reeltag promote encoder --version N`")
    folder = native_copy(project, info)
    checkpoint = next((p for p in sorted(folder.rglob("*")) if p.is_file() and p.suffix != ".json"), None)
    if checkpoint is None:
        raise NotFound(f"reeltag.encoder v{info.version}: no checkpoint file among its native files")
    clip = project.settings.clip.model_copy(
        update={
            "weights": str(checkpoint),
            "arch": checkpoint_arch(checkpoint, project.settings.clip.arch),
            "weights_kind": "auto",
        }
    )
    return EncoderChoice(clip=clip, version=info.version)


def load_chosen(project: Project, version: str | None = None) -> tuple[ClipEncoder, str | None]:
    """The encoder :func:`encoder_choice` names, built, and its registered version."""
    from reeltag.video.encoder import load_encoder

    choice = encoder_choice(project, version)
    return load_encoder(choice.clip, project.paths), choice.version
