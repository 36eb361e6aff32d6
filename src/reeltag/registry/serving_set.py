"""The encoder's serving set: a ``reeltag.encoder`` version and the reranker, mapper and fusion made for it.

Lineage: every reranker, mapper and fusion version records the encoder it was made with, by model id
(``depends_on.clip`` / ``depends_on.encoder``) and, when that encoder is registered, by version
(``depends_on.encoder_version``, :func:`encoder_lineage`). :func:`set_for` finds, for one encoder version, the newest
version of each model made with it (the mapper also on the Tag2Vec champion; the fusion on that mapper, GO at its gate).

:func:`promote_set` moves the whole set by hand (``reeltag promote encoder --version N``: an upgrade or a rollback):
reranker, mapper and fusion first, the encoder last. The API swaps its serving set only when every member the
registry names fits the encoder it names (:mod:`reeltag.api.champions`), so the moves in between are never served
mixed: the old set serves until the encoder alias moves, then the new one, in one reference assignment.
"""

from __future__ import annotations

from dataclasses import dataclass

from reeltag.errors import BadInput
from reeltag.project import Project
from reeltag.registry.gates import GO
from reeltag.registry.policy import promote_by_hand
from reeltag.tracking.naming import tag
from reeltag.tracking.records import VersionInfo

ENCODER = "encoder"
MEMBERS = ("reranker", "mapper", "fusion")  # promoted in this order, the encoder after them
ENCODER_TAG = {"reranker": "depends_on.clip", "mapper": "depends_on.encoder", "fusion": "depends_on.encoder"}


@dataclass(frozen=True, kw_only=True)
class ServingSet:
    """Versions of one encoder's set (None: no version of that model was made with it)."""

    encoder: str
    model_id: str
    reranker: str | None
    mapper: str | None
    fusion: str | None

    @property
    def members(self) -> dict[str, str | None]:
        return {"reranker": self.reranker, "mapper": self.mapper, "fusion": self.fusion}


@dataclass(frozen=True, kw_only=True)
class SetMove:
    """What :func:`promote_set` moved: model → (champion before, champion now)."""

    encoder: str
    model_id: str
    moved: dict[str, tuple[str | None, str]]
    unchanged: tuple[str, ...]


def encoder_model_id(info: VersionInfo) -> str:
    """The model id (``<arch>@<sha256 prefix>``) a registered encoder version records."""
    return info.tags.get(tag("model_id"), "")


def encoder_lineage(project: Project, model_id: str) -> dict[str, str]:
    """``{"depends_on.encoder_version": N}`` for the newest registered encoder with ``model_id`` ({} when none is)."""
    if not project.tracker.enabled:
        return {}
    found = [v for v in project.tracker.versions(ENCODER) if encoder_model_id(v) == model_id]
    return {"depends_on.encoder_version": _newest(found).version} if found else {}


def set_for(project: Project, version: str) -> ServingSet:
    """The newest reranker, mapper (on the Tag2Vec champion) and fusion (on that mapper, and GO at its own gate: one
    that lost to the mapper alone is never used) made with encoder ``version``."""
    info = project.tracker.version(ENCODER, version)
    model_id = encoder_model_id(info)
    if not model_id:
        raise BadInput(f"reeltag.encoder v{version} records no model id (reeltag.model_id tag)")
    tag2vec = project.tracker.by_alias("tag2vec", "champion")
    reranker = _made_with(project, "reranker", model_id)
    mapper = _made_with(project, "mapper", model_id, {"depends_on.tag2vec": tag2vec.version if tag2vec else ""})
    passed = {"depends_on.mapper": mapper or "", tag("decision"): GO}  # a fusion ranks only when it passed its gate
    fusion = _made_with(project, "fusion", model_id, passed) if mapper else None
    return ServingSet(encoder=str(version), model_id=model_id, reranker=reranker, mapper=mapper, fusion=fusion)


def _made_with(project: Project, model: str, model_id: str, also: dict[str, str] | None = None) -> str | None:
    wanted = {ENCODER_TAG[model]: model_id, **(also or {})}
    found = [v for v in project.tracker.versions(model) if all(v.tags.get(k) == want for k, want in wanted.items())]
    return _newest(found).version if found else None


def _newest(versions: list[VersionInfo]) -> VersionInfo:
    return max(versions, key=lambda v: int(v.version))


def promote_set(project: Project, version: str, *, reason: str, by: str) -> SetMove:
    """Make encoder ``version`` and its set champions (members first, the encoder last). A reranker or mapper the API
    serves now (it has a champion) but that has no version made with this encoder refuses the move before anything
    moves; without a fusion made with it the fusion alias stays (``/v1/suggest`` then ranks with the mapper alone and
    says so in ``ranking``)."""
    found = set_for(project, version)
    required = ("reranker", "mapper")  # a fusion fitted for another mapper is not used: the mapper ranks alone
    missing = [m for m in required if found.members[m] is None and project.tracker.by_alias(m, "champion") is not None]
    if missing:
        raise BadInput(
            f"reeltag.encoder v{version} ({found.model_id}) has no {', '.join(missing)} made with it, and the API serves "
            "one: run the upgrade-encoder flow for it first (or promote that model by hand)"
        )
    moved: dict[str, tuple[str | None, str]] = {}
    unchanged: list[str] = []
    for model, wanted in (*found.members.items(), (ENCODER, found.encoder)):
        if wanted is None:
            continue
        current = project.tracker.by_alias(model, "champion")
        if current is not None and current.version == wanted:
            unchanged.append(model)
            continue
        promote_by_hand(project, model, project.tracker.version(model, wanted), f"{reason} (encoder v{version} set)", by)
        moved[model] = (current.version if current else None, wanted)
    return SetMove(encoder=found.encoder, model_id=found.model_id, moved=moved, unchanged=tuple(unchanged))
