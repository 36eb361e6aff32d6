"""The champions the API serves, loaded once and swapped as one immutable object.

A request takes the current :class:`Champions` when it starts and finishes on it, whatever is swapped in
meanwhile. The object holds the encoder too (:class:`HeldEncoder`: the encoder, its catalogue matrix and query-vector
cache), so a new encoder champion (``clip.weights = "registry"``) swaps encoder, catalogue, reranker, mapper and fusion
in the same one assignment (:func:`load_set`: only once every member the registry names fits the new encoder). :func:`load_champions` reloads only what changed; a champion that fails to load is logged, its
error is kept for ``/v1/models``, its slot is marked ``failed`` (the service retries it and is not ready meanwhile),
and the one that served before keeps serving.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from reeltag.api import loaders
from reeltag.project import Project
from reeltag.rerank.model import RerankerParams
from reeltag.suggest.fusion_model import NO_FUSION

if TYPE_CHECKING:
    from reeltag.api.textcache import QueryVectors
    from reeltag.mapper.data import Champion
    from reeltag.rerank.catalogue_loader import Catalogue
    from reeltag.suggest.fusion_model import Fusion
    from reeltag.tag2vec.space import TagSpace

log = logging.getLogger("reeltag.api")
T = TypeVar("T")


class Versioned(Protocol):
    """A held champion of one alias slot (reranker, challenger, fusion): swapped when its version changes."""

    @property
    def version(self) -> str: ...


V = TypeVar("V", bound=Versioned)


@dataclass(frozen=True, kw_only=True)
class Suggester:
    """The Tag2Vec champion and the champion mapper trained against it (they swap together)."""

    space: TagSpace
    mapper: Champion
    tag2vec_version: str
    mapper_version: str
    loaded_at: str


@dataclass(frozen=True)
class Reranker:
    params: RerankerParams
    version: str
    loaded_at: str


@dataclass(frozen=True)
class HeldFusion:
    """The champion ``reeltag.fusion``; ``/v1/suggest`` ranks with it while it fits the served mapper and Tag2Vec."""

    fusion: Fusion
    version: str
    loaded_at: str


@dataclass(frozen=True, kw_only=True)
class HeldEncoder:
    """The encoder serving, the catalogue's frame matrix under it and its query-vector cache (they swap together)."""

    encoder: Any  # ClipEncoder (or a test's stand-in with model_id, weights_kind, embed_dim, encode_texts)
    catalogue: Catalogue | None
    queries: QueryVectors
    version: str | None  # the registered reeltag.encoder version; None: pinned by the [clip] settings
    loaded_at: str

    @property
    def model_id(self) -> str:
        return str(self.encoder.model_id)


@dataclass(frozen=True, kw_only=True)
class Champions:
    encoder: HeldEncoder | None = None
    suggester: Suggester | None = None
    reranker: Reranker | None = None
    errors: dict[str, str] = field(default_factory=dict)  # model → why its champion is not (or no longer) served
    failed: frozenset[str] = frozenset()  # slots whose named version failed to load (the one before still serves)
    challenger: Reranker | None = None  # the `challenger` alias reranker, loaded when [ab.online] has that variant
    fusion: HeldFusion | None = None

    @property
    def versions(self) -> dict[str, str | None]:
        s, r, c, f = self.suggester, self.reranker, self.challenger, self.fusion
        return {
            "encoder": self.encoder.version if self.encoder else None,
            "tag2vec": s.tag2vec_version if s else None,
            "mapper": s.mapper_version if s else None,
            "reranker": r.version if r else None,
            "challenger": c.version if c else None,
            "fusion": f.version if f else None,
        }


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def load_champions(
    project: Project, encoder_id: str, versions: dict[str, str | None], previous: Champions | None = None
) -> Champions:
    """The champions ``versions`` names; unchanged ones are taken from ``previous``."""
    previous, outcome = previous or Champions(), _Outcome()
    suggester = _suggester(project, encoder_id, versions, previous, outcome)
    rerank = partial(_load_reranker, project, encoder_id)
    reranker = _by_version("reranker", versions.get("reranker"), previous.reranker, outcome, rerank)
    challenger = previous.challenger
    if "challenger" in versions:
        challenger = _by_version("challenger", versions["challenger"], previous.challenger, outcome, rerank)
    fusion = _by_version("fusion", versions.get("fusion"), previous.fusion, outcome, partial(_load_fusion, project))
    return Champions(
        encoder=previous.encoder,
        suggester=suggester,
        reranker=reranker,
        errors=outcome.errors,
        failed=frozenset(outcome.failed),
        challenger=challenger,
        fusion=fusion,
    )


def load_set(project: Project, held: HeldEncoder, versions: dict[str, str | None], previous: Champions) -> Champions:
    """A new encoder's whole set: every member loaded afresh against ``held``. Served only when every member the
    registry names fits it; else ``previous`` stays, with why under ``encoder`` (retried like any failed slot)."""
    fresh = load_champions(project, held.model_id, versions, Champions(encoder=held))
    if not fresh.failed:
        log.info("serving set swapped to encoder v%s (%s): %s", held.version, held.model_id, fresh.versions)
        return fresh
    why = "; ".join(fresh.errors[slot] for slot in sorted(fresh.failed))
    return set_refused(
        previous, f"encoder v{held.version} ({held.model_id}) named; its set waits until every member fits it: {why}"
    )


def set_refused(previous: Champions, why: str) -> Champions:
    """``previous`` still serving, with ``why`` the named encoder is not (its slot marked failed: retried)."""
    log.warning("encoder swap deferred: %s", why)
    errors = {**previous.errors, "encoder": why}
    return replace(previous, errors=errors, failed=previous.failed | {"encoder"})


@dataclass
class _Outcome:
    """What one :func:`load_champions` call could not serve: why (per slot), and which named versions failed."""

    errors: dict[str, str] = field(default_factory=dict)
    failed: set[str] = field(default_factory=set)


def _suggester(
    project: Project, encoder_id: str, versions: dict[str, str | None], previous: Champions, outcome: _Outcome
) -> Suggester | None:
    old = previous.suggester
    wanted = (versions.get("tag2vec"), versions.get("mapper"))
    if old is not None and wanted == (old.tag2vec_version, old.mapper_version):
        return old
    if None in wanted:
        outcome.errors["mapper"] = "no champion Tag2Vec and mapper yet: run `reeltag tag2vec train` and `reeltag mapper train`"
        return old
    what = f"tag2vec v{wanted[0]} + mapper v{wanted[1]}"
    return _swapped("mapper", what, lambda: _load_suggester(project, encoder_id, str(wanted[0])), old, outcome)


def _load_suggester(project: Project, encoder_id: str, tag2vec_version: str) -> Suggester:
    from reeltag.mapper.data import require_encoder

    space = loaders.load_tag2vec(project, tag2vec_version)
    mapper = loaders.load_mapper(project, space)
    require_encoder(mapper, encoder_id)
    log.info("serving tag2vec v%s + mapper v%s", space.version, mapper.info.version)
    return Suggester(
        space=space, mapper=mapper, tag2vec_version=str(space.version), mapper_version=str(mapper.info.version), loaded_at=now()
    )


NO_CHAMPION = {  # slot → why it serves none
    "reranker": "no champion reranker yet: run `reeltag rerank tune` (or `reeltag promote reranker`)",
    "challenger": "[ab.online] variants name challenger, but reeltag.reranker has no `challenger` alias (a version "
    "that passes its gate gets it, with champion; `reeltag promote reranker --version N` then moves the champion "
    "alone), or drop the variant",
    "fusion": NO_FUSION,
}


def _by_version(slot: str, version: str | None, old: V | None, outcome: _Outcome, load: Callable[[str], V]) -> V | None:
    """The ``slot`` alias's ``version`` (reranker, challenger or fusion) as ``load`` reads it, or ``old`` unchanged."""
    if old is not None and old.version == version:
        return old
    if version is None:
        outcome.errors[slot] = NO_CHAMPION[slot]
        return old
    return _swapped(slot, f"{slot} v{version}", lambda: load(version), old, outcome)


def _swapped(slot: str, what: str, load: Callable[[], T], old: T | None, outcome: _Outcome) -> T | None:
    """The newly loaded champion, or ``old`` when loading fails (the reason goes to ``outcome.errors[slot]`` and the
    log, the slot to ``outcome.failed``)."""
    try:
        return load()
    except Exception as exc:  # noqa: BLE001 (any load failure: keep serving the old one, say why, retry later)
        outcome.errors[slot] = f"{what} not loaded ({type(exc).__name__}: {exc})"
        outcome.failed.add(slot)
        log.error("champion swap refused: %s", outcome.errors[slot])
        return old


def _load_reranker(project: Project, encoder_id: str, version: str) -> Reranker:
    params = loaders.load_reranker(project, version)
    if params.encoder_model_id != encoder_id:
        raise ValueError(
            f"it was tuned with encoder {params.encoder_model_id}, the API serves {encoder_id}: "
            "set [clip] to that encoder or re-tune"
        )
    log.info("serving reranker v%s (alpha %s, %s, %s)", version, params.alpha, params.normalisation, params.pooling)
    return Reranker(params, version, now())


def _load_fusion(project: Project, version: str) -> HeldFusion:
    fusion = loaders.load_fusion(project, version)
    log.info("serving fusion v%s (%s)", version, ", ".join(f"{b} {w:.2f}" for b, w in fusion.weights.items()))
    return HeldFusion(fusion, version, now())
