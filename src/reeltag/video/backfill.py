"""Step: backfill the feature cache with a candidate encoder (the catalogue's and the labelled videos' features).

``backfill_features(project, inputs, version=N)`` encodes every video ``inputs`` names (manifests, folders, files)
with ``reeltag.encoder`` version N (or the ``[clip]`` settings' encoder). Resumable by construction: entries are
content-addressed by (video bytes, encoder model id, sampling) and each is written (temp file + rename) as soon as
its batch is encoded, so a backfill killed half-way leaves complete entries only, and the next run reads them back
and encodes only what is missing. Entries of any other encoder (the one serving) are never opened for writing.
Progress goes to ``on_progress`` (one per video) and every ``log_every_s`` to the log with the rate and ETA.
The engine runs where ``video.executor`` says (:func:`reeltag.video.steps.executor_for`): in this process, or in
chunks on Dask workers with the candidate's ``[clip]`` settings (each chunk's entries written as the chunk is
encoded, so a killed backfill on Dask resumes the same way; progress then comes per finished chunk).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from reeltag import quarantine
from reeltag.project import Project
from reeltag.video.inputs import resolve_inputs
from reeltag.video.registered import encoder_choice
from reeltag.video.steps import executor_for

log = logging.getLogger("reeltag.backfill")
SOURCE = "encoders backfill"


@dataclass(frozen=True, kw_only=True)
class BackfillResult:
    model_id: str
    weights_kind: str
    encoder_version: str | None  # registered version (None: the [clip] settings' encoder)
    videos: int
    encoded: int  # encoded by this run (the rest were in the cache: an earlier, perhaps killed, run)
    cached: int
    quarantined: int
    seconds: float
    videos_per_s: float


class Eta:
    """Progress of ``total`` videos with rate and ETA, logged at most every ``every_s`` seconds."""

    def __init__(self, total: int, every_s: float = 5.0, forward: Callable[[int], None] | None = None):
        self.total, self.every_s, self.forward = total, every_s, forward
        self.done, self.started, self.logged = 0, time.perf_counter(), 0.0

    def __call__(self, n: int) -> None:
        self.done += n
        if self.forward:
            self.forward(n)
        elapsed = time.perf_counter() - self.started
        if elapsed - self.logged >= self.every_s or self.done == self.total:
            self.logged = elapsed
            log.info("backfill %s", self.line())

    def line(self) -> str:
        elapsed = max(time.perf_counter() - self.started, 1e-9)
        rate = self.done / elapsed
        eta = (self.total - self.done) / rate if rate > 0 else float("inf")
        return f"{self.done}/{self.total} videos, {rate:.2f} videos/s, ETA {eta:.0f} s"


def backfill_features(
    project: Project,
    inputs: Iterable[str | Path],
    *,
    version: str | None = None,
    on_progress: Callable[[int], None] | None = None,
    log_every_s: float = 5.0,
) -> BackfillResult:
    """Features of every video ``inputs`` names under the candidate encoder, in the shared content-addressed cache."""
    from reeltag.video.encoder import resolve_weights

    choice = encoder_choice(project, version)
    weights = resolve_weights(choice.clip, project.paths.root)
    candidate = project.with_settings(clip=choice.clip.model_dump(mode="json"))
    resolved = resolve_inputs(inputs, project.settings.paths.allow_absolute_manifest_paths)
    videos = resolved.videos
    started = time.perf_counter()
    done = executor_for(candidate)(candidate, videos, weights.model_id, Eta(len(videos), log_every_s, on_progress))
    seconds = time.perf_counter() - started
    bad = [*((r.item, r.reason) for r in resolved.rejected), *((q.item, q.reason) for q in done.quarantine)]
    quarantine.record(
        project.paths.quarantine,
        [quarantine.QuarantineRecord(kind="videos", item=item, reason=why, source=SOURCE) for item, why in bad],
    )
    cached = sum(1 for f in done.features if f.cached)
    return BackfillResult(
        model_id=weights.model_id,
        weights_kind=weights.weights_kind,
        encoder_version=choice.version,
        videos=len(videos),
        encoded=len(done.features) - cached,
        cached=cached,
        quarantined=len(bad),
        seconds=round(seconds, 3),
        videos_per_s=round(len(done.features) / seconds, 3) if seconds > 0 else 0.0,
    )
