"""The serving state: project, encoder, catalogue, the current champions, the lanes; no HTTP here.

:meth:`Service.start` loads everything once. Requests read ``service.champions`` once and finish on that
object; :meth:`Service.refresh` (the watcher, every ``api.reload_s``) swaps in new champions atomically, retries a
champion that failed to load (backoff: :class:`~reeltag.api.watcher.Backoff`) and keeps a registry that cannot be
read apart from "no champion" (:meth:`Service.errors`).
Work runs in its own bounded lane (:mod:`reeltag.api.lanes`): ``/v1/rerank`` on the ``search`` lane, new query
texts are encoded on the ``query`` lane (a search thread never waits for one), ``/v1/suggest`` runs on the ``video``
lane within the decode ``budget``; the encoder locks each tower apart, so the search path never waits behind an
upload.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import asdict, replace
from functools import partial
from typing import Any

from reeltag.api import loaders
from reeltag.api.champions import Champions, HeldEncoder, Suggester, load_champions, load_set, now, set_refused
from reeltag.api.lanes import Lane
from reeltag.api.metrics import ApiMetrics
from reeltag.api.textcache import QueryVectors
from reeltag.api.watcher import Backoff
from reeltag.errors import RegistryUnavailable
from reeltag.project import Project
from reeltag.rerank.catalogue import FeatureMatrix, build_matrix
from reeltag.rerank.catalogue_loader import Catalogue, load_catalogue
from reeltag.suggest.fusion_model import fusion_mismatch
from reeltag.video.sampling import DecodeBudget

log = logging.getLogger("reeltag.api")
NO_CATALOGUE = (
    "api.catalogue is not set: /v1/rerank has no cached frame features, so it lists every candidate in `missing` "
    "with clip null and returns the engine's order; set [api] catalogue = MANIFEST (or `reeltag api --catalogue MANIFEST`)"
)


class Refused(Exception):
    """A request the API answers 4xx (or 503 while a model is missing or a store is locked), with the field and the
    reason; ``retry_after_s`` becomes the ``Retry-After`` header."""

    def __init__(self, status: int, field: str, reason: str, *, retry_after_s: int | None = None):
        super().__init__(reason)
        self.status, self.field, self.reason, self.retry_after_s = status, field, reason, retry_after_s


class Service:
    def __init__(
        self,
        project: Project,
        encoder: Any,
        catalogue: Catalogue | None,
        metrics: ApiMetrics | None = None,
        encoder_version: str | None = None,
    ):
        self.project = project
        self.metrics = metrics or ApiMetrics()
        api = project.settings.api
        self.query_lane = Lane(
            "query", workers=1, waiting=api.query_queue, retry_after_s=api.busy_retry_after_s, setting="api.query_queue"
        )
        self.search_lane = Lane(
            "search",
            workers=api.search_workers,
            waiting=api.search_queue,
            retry_after_s=api.busy_retry_after_s,
            setting="api.search_workers, api.search_queue",
        )
        self.video_lane = Lane(
            "video",
            workers=api.video_workers,
            waiting=api.video_queue,
            nice=api.video_nice,
            retry_after_s=api.busy_retry_after_s,
            setting="api.video_workers, api.video_queue",
        )
        self.budget = DecodeBudget.from_settings(api)
        self.champions = Champions(encoder=self.hold(encoder, catalogue, encoder_version))
        self.registry_error: str | None = None  # why the registry could not be read at the last check
        self.retry = Backoff(first_s=project.settings.api.reload_s, max_s=project.settings.api.retry_max_s)
        self._attempted: dict[str, str | None] | None = None
        self._queued: set[str] = set()
        self._queue_lock = threading.Lock()
        self.started_at = now()

    @classmethod
    def start(cls, project: Project, encoder: Any = None) -> Service:
        """Load the encoder [clip] names, the catalogue's cached features and every champion."""
        from reeltag.rerank.frame_dots import warm_up
        from reeltag.video.registered import load_chosen

        warm_up()  # the scoring loop compiled now, not in the first /v1/rerank
        version = None
        if encoder is None:
            encoder, version = load_chosen(project)  # [clip], or reeltag.encoder@champion with clip.weights = "registry"
        catalogue = catalogue_for(project, encoder)
        if catalogue is None:
            log.warning(NO_CATALOGUE)
        service = cls(project, encoder, catalogue, encoder_version=version)
        service.refresh()
        return service

    def hold(self, encoder: Any, catalogue: Catalogue | None, version: str | None) -> HeldEncoder:
        """An encoder with its catalogue matrix and a query-vector cache of its own, ready to swap in."""
        queries = QueryVectors(partial(self._encode_query, encoder), self.project.settings.api.query_cache_size)
        return HeldEncoder(encoder=encoder, catalogue=catalogue, queries=queries, version=version, loaded_at=now())

    @property
    def held(self) -> HeldEncoder:
        held = self.champions.encoder
        assert held is not None  # set in __init__, only ever replaced by another
        return held

    @property
    def encoder(self) -> Any:
        return self.held.encoder

    @property
    def catalogue(self) -> Catalogue | None:
        return self.held.catalogue

    @property
    def queries(self) -> QueryVectors:
        return self.held.queries

    @property
    def matrix(self) -> FeatureMatrix:
        return matrix_of(self.held)

    @property
    def ready(self) -> bool:
        """A capability can serve, and every champion the registry names is the one serving (none failed to load)."""
        champs = self.champions
        return (champs.reranker is not None or champs.suggester is not None) and not champs.failed

    def refresh(self) -> bool:
        """Reload the catalogue if features of its missing documents appeared; load the champions the registry
        names now if they changed since the last attempt, or when the retry of one that failed is due. True if a
        champion was swapped."""
        self._refresh_catalogue()
        versions = self._named_versions()
        changed = versions != self._attempted
        if versions is None or not (changed or self.retry.due()):
            return False
        self._attempted = versions
        before = self.champions
        if versions.get("encoder") not in (None, self.held.version):
            after = self._load_set(str(versions["encoder"]), versions, before)
        else:
            after = load_champions(self.project, self.encoder.model_id, versions, before)
        self.champions = after  # one reference assignment: a request sees the old or the new object, never a mix
        if after.encoder is not before.encoder and before.encoder and before.encoder.catalogue:
            _drop_matrix_file(before.encoder.catalogue)
        self.retry.record(failed=bool(after.failed), restart=changed)
        self._count_swaps(before, after)
        return after.versions != before.versions

    def _named_versions(self) -> dict[str, str | None] | None:
        """The versions the registry names now; None when it cannot be read (the reason kept for /readyz)."""
        try:
            versions = loaders.champion_versions(self.project)
        except RegistryUnavailable as exc:
            if str(exc) != self.registry_error:
                log.error("champion check: %s", exc)
            self.registry_error = str(exc)
            self.metrics.registry_errors.inc()
            return None
        self.registry_error = None
        return versions

    def _load_set(self, version: str, versions: dict[str, str | None], before: Champions) -> Champions:
        """Encoder ``version`` with its catalogue matrix, then its whole set (:func:`load_set`); on any failure the
        set serving now stays."""
        from reeltag.video.registered import load_chosen

        try:
            encoder, found = load_chosen(self.project, version)
            held = self.hold(encoder, catalogue_for(self.project, encoder), found)
        except Exception as exc:  # noqa: BLE001 (any load failure: keep serving the old set, say why, retry later)
            return set_refused(before, f"encoder v{version} not loaded ({type(exc).__name__}: {exc})")
        return load_set(self.project, held, versions, before)

    def _refresh_catalogue(self) -> None:
        held = self.held
        old = held.catalogue
        if old is None or not old.has_new_features():
            return
        new = load_catalogue(self.project, old.manifest, held.model_id, held.encoder.embed_dim)
        self.champions = replace(self.champions, encoder=replace(held, catalogue=new))
        _drop_matrix_file(old)
        log.info("catalogue reloaded: %d of %d documents have features", new.matrix.documents, len(old.paths))
        with self._queue_lock:
            self._queued.difference_update(new.matrix.index)

    def _count_swaps(self, before: Champions, after: Champions) -> None:
        for model, version in after.versions.items():
            if version != before.versions[model]:
                self.metrics.swaps.labels(model).inc()
            self.metrics.pending.labels(model).set(1.0 if model in after.failed else 0.0)
        for model in after.failed:  # a named version that failed to load, not an absent champion
            self.metrics.refused.labels(model).inc()

    def errors(self) -> dict[str, str]:
        """Why something is not served: per champion slot, ``registry`` when it cannot be read, ``catalogue``
        when none is configured."""
        extra = {"registry": self.registry_error, "catalogue": NO_CATALOGUE if self.catalogue is None else None}
        return {**self.champions.errors, **{key: why for key, why in extra.items() if why}}

    def pending(self) -> dict[str, dict[str, Any]]:
        """Slots whose named champion failed to load: the version named, the one serving, seconds to the retry."""
        champs, named = self.champions, self._attempted or {}
        return {
            slot: {"named": named.get(slot), "serving": champs.versions.get(slot), "retry_in_s": self.retry.retry_in_s()}
            for slot in sorted(champs.failed)
        }

    def _encode_query(self, encoder: Any, text: str) -> Any:
        return self.query_lane.call(encoder.encode_texts, [text])[0]

    def query_vector(self, text: str, held: HeldEncoder | None = None) -> Any:
        """``text``'s vector under ``held`` (a request's snapshot; default the encoder serving now)."""
        vector, hit = (held or self.held).queries.get(text)
        self.metrics.query_cache.labels("hit" if hit else "miss").inc()
        return vector

    def close(self) -> None:
        """Stop the lanes (jobs still queued are cancelled; running ones finish)."""
        self.query_lane.close()
        self.search_lane.close()
        self.video_lane.close()

    def queue_missing(self, docids: list[str]) -> int:
        """Queue catalogue documents without cached features once each (unknown docids have no video to queue)."""
        from reeltag.rerank.catalogue_loader import queue_features

        paths = self.catalogue.paths if self.catalogue else {}
        with self._queue_lock:
            new = [d for d in docids if d in paths and d not in self._queued]
            self._queued.update(new)
        return queue_features(self.project, [(d, paths[d]) for d in new])

    def models(self) -> dict[str, Any]:
        champs = self.champions
        s, r, f = champs.suggester, champs.reranker, champs.fusion
        return {
            "serving": champs.versions,
            "loaded_at": {
                "tag2vec": s.loaded_at if s else None,
                "mapper": s.loaded_at if s else None,
                "reranker": r.loaded_at if r else None,
                "challenger": champs.challenger.loaded_at if champs.challenger else None,
                "fusion": f.loaded_at if f else None,
            },
            "reranker": asdict(r.params) if r else None,
            "fusion": _fusion_detail(f.fusion, s, self.encoder.model_id) if f else None,
            "encoder": {
                "model_id": self.encoder.model_id,
                "weights_kind": self.encoder.weights_kind,
                "version": self.held.version,
                "loaded_at": self.held.loaded_at,
            },
            "catalogue": _catalogue_counts(self.catalogue),
            "errors": self.errors(),
            "pending": self.pending(),
            "started_at": self.started_at,
        }


def catalogue_for(project: Project, encoder: Any) -> Catalogue | None:
    """The ``api.catalogue`` manifest's cached frames under ``encoder`` (None when no catalogue is set)."""
    listed = project.settings.api.catalogue
    manifest = project.paths.under_root(listed) if listed else None  # relative: under the root, not the cwd
    return load_catalogue(project, manifest, encoder.model_id, encoder.embed_dim) if manifest else None


def matrix_of(held: HeldEncoder) -> FeatureMatrix:
    """The catalogue matrix under ``held`` (an empty one of its dimension without a catalogue)."""
    return held.catalogue.matrix if held.catalogue else _EMPTY.get(held.encoder.embed_dim)


def _drop_matrix_file(old: Catalogue) -> None:
    if old.matrix_file:
        old.matrix_file.unlink(missing_ok=True)  # requests still reading it keep their mapping


def _fusion_detail(fusion: Any, suggester: Suggester | None, encoder_id: str) -> dict[str, Any]:
    """The held fusion's weights, the models it was fitted for, and why ``/v1/suggest`` does not rank with it
    ("" when it does)."""
    if suggester is None:
        unused = "no champion Tag2Vec and mapper served"
    else:
        unused = fusion_mismatch(fusion, suggester.mapper_version, suggester.tag2vec_version, encoder_id)
    fitted_for = {"mapper": fusion.mapper_version, "tag2vec": fusion.tag2vec_version, "encoder": fusion.encoder_id}
    return {"weights": dict(fusion.weights), "fitted_for": fitted_for, "not_used": unused}


def _catalogue_counts(catalogue: Catalogue | None) -> dict[str, Any]:
    if catalogue is None:
        return {"configured": False, "documents": 0, "cached": 0, "memory_mapped": False}
    return {
        "configured": True,
        "documents": len(catalogue.paths),
        "cached": catalogue.matrix.documents,
        "memory_mapped": catalogue.matrix_file is not None,
    }


class _EmptyMatrices:
    """An empty :class:`FeatureMatrix` per dimension (no catalogue configured: every candidate is missing)."""

    def __init__(self) -> None:
        self._by_dim: dict[int, FeatureMatrix] = {}

    def get(self, dim: int) -> FeatureMatrix:
        return self._by_dim.setdefault(dim, build_matrix({}, dim))


_EMPTY = _EmptyMatrices()
