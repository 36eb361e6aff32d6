"""Step: videos → CLIP frame features, through the content-addressed cache (the engine: :mod:`reeltag.video.extraction`).

``extract_features(project, inputs)`` takes video files, folders or manifests. Cached videos are read back
without decoding or loading the model; the encoder is built only on the first cache miss. Unreadable videos
go to ``data/quarantine/videos.jsonl`` with the reason and the batch goes on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from reeltag import quarantine
from reeltag.project import Project
from reeltag.video.executors import Executor, extract_locally
from reeltag.video.extraction import Quarantined, VideoFeatures
from reeltag.video.inputs import resolve_inputs
from reeltag.video.sampling import Sampling

if TYPE_CHECKING:
    from pathlib import Path

    from reeltag.video.encoder import ClipEncoder, ResolvedWeights

SOURCE = "features extract"


@dataclass(frozen=True, kw_only=True)
class ExtractSummary:
    videos: int
    encoded: int
    cached: int
    quarantined: int
    quarantine: tuple[Quarantined, ...]
    skipped: tuple[str, ...]
    repaired: tuple[str, ...]
    model_id: str
    weights_kind: str
    sampling: str


@dataclass(frozen=True, kw_only=True)
class FeatureBatch:
    """What :func:`extract_features` did: features, and how many were encoded, cached or quarantined."""

    features: tuple[VideoFeatures, ...]
    encoded: int
    cached: int
    quarantined: int
    quarantine: tuple[Quarantined, ...]
    skipped: tuple[str, ...]
    repaired: tuple[str, ...]  # cache entries that could not be read back and were re-encoded
    model_id: str
    weights_kind: str
    sampling: str

    def summary(self) -> ExtractSummary:
        """Counts and reasons without the arrays (what the CLI prints)."""
        return ExtractSummary(
            videos=len(self.features),
            encoded=self.encoded,
            cached=self.cached,
            quarantined=self.quarantined,
            quarantine=self.quarantine,
            skipped=self.skipped,
            repaired=self.repaired,
            model_id=self.model_id,
            weights_kind=self.weights_kind,
            sampling=self.sampling,
        )

    def by_video(self) -> dict[str, VideoFeatures]:
        return {f.video: f for f in self.features}

    def by_docid(self) -> dict[str, VideoFeatures]:
        return {f.docid: f for f in self.features if f.docid is not None}


def extract_features(
    project: Project,
    inputs: Iterable[str | Path],
    on_progress: Callable[[int], None] | None = None,
    encoder: ClipEncoder | None = None,
    executor: Executor | None = None,
) -> FeatureBatch:
    """Frame and pooled features of every video ``inputs`` name (files, folders, manifests), in input order.

    Cache misses are decoded one by one and encoded together once ``clip.batch_size`` frames are pending
    (full forward batches across short videos). ``executor`` runs the engine: by default :func:`executor_for` the
    project's ``video.executor`` — here, or in chunks on Dask workers (:mod:`reeltag.video.dask_chunks`) whose
    features are read back from the shared cache.
    """
    resolved = resolve_inputs(inputs, project.settings.paths.allow_absolute_manifest_paths)
    weights = encoder.weights if encoder is not None else _resolve_weights(project)
    run = executor or executor_for(project, encoder)
    outcome = run(project, resolved.videos, weights.model_id, on_progress)
    bad = (*(Quarantined(r.item, r.reason) for r in resolved.rejected), *outcome.quarantine)
    quarantine.record(
        project.paths.quarantine,
        [quarantine.QuarantineRecord(kind="videos", item=q.item, reason=q.reason, source=SOURCE) for q in bad],
    )
    cached = sum(1 for f in outcome.features if f.cached)
    return FeatureBatch(
        features=outcome.features,
        encoded=len(outcome.features) - cached,
        cached=cached,
        quarantined=len(bad),
        quarantine=bad,
        skipped=resolved.skipped,
        repaired=outcome.repaired,
        model_id=weights.model_id,
        weights_kind=weights.weights_kind,
        sampling=Sampling.from_settings(project.settings.video).key,
    )


def executor_for(project: Project, encoder: ClipEncoder | None = None) -> Executor:
    """The executor ``video.executor`` names: ``local`` (this process, ``encoder`` or the project's) or ``dask``."""
    if project.settings.video.executor == "dask":
        from reeltag.video.dask_chunks import extract_on_dask

        return extract_on_dask
    return partial(extract_locally, encoder=encoder)


def _resolve_weights(project: Project) -> ResolvedWeights:
    from reeltag.video.encoder import resolve_weights

    return resolve_weights(project.settings.clip, project.paths.root)
