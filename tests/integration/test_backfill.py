"""Backfill with a candidate encoder: resumable after a kill half-way, the serving encoder's cache untouched; in this
process and on Dask (``video.executor = "dask"``: a LocalCluster of one worker process, chunks of 2 videos)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from reeltag.project import Project
from reeltag.video.backfill import backfill_features
from reeltag.video.steps import extract_features

SERVING = {"arch": "reeltag-tiny", "weights": "random", "seed": 0, "threads": 1, "batch_size": 8}
CANDIDATE = {**SERVING, "arch": "reeltag-tiny-rn", "seed": 7}
EXECUTORS = {"local": {}, "dask": {"executor": "dask", "dask_workers": 1, "dask_chunk_videos": 2}}


class Killed(Exception):
    pass


def _files(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*.npz"))}


def _kill_after(n: int):  # noqa: ANN202
    seen = [0]

    def tick(k: int) -> None:
        seen[0] += k
        if seen[0] >= n:
            raise Killed(f"killed after {n} videos")

    return tick


@pytest.mark.parametrize("executor", sorted(EXECUTORS))
def test_killed_backfill_resumes_and_leaves_serving_cache_alone(demo_tiny: Path, tmp_path: Path, executor: str) -> None:
    manifest = demo_tiny / "search" / "manifest.csv"
    serving = Project.open(tmp_path, tracking={"trigger": "test"}, clip=SERVING)
    first = extract_features(serving, [manifest])
    before = _files(serving.paths.features)
    assert len(before) == first.encoded > 0

    candidate = Project.open(tmp_path, tracking={"trigger": "test"}, clip=CANDIDATE, video=EXECUTORS[executor])
    half = first.encoded // 2 if executor == "local" else 1  # on Dask: at the first finished chunk (the worker goes on)
    with pytest.raises(Killed):
        backfill_features(candidate, [manifest], on_progress=_kill_after(half))
    written = set(_files(serving.paths.features)) - set(before)
    assert 0 < len(written) < first.encoded  # complete entries of the killed run were kept, not all videos

    ticks: list[int] = []
    resumed = backfill_features(candidate, [manifest], on_progress=ticks.append)
    assert resumed.videos == first.encoded == sum(ticks)  # progress: every video once
    assert resumed.cached == len(written) and resumed.encoded == first.encoded - len(written)  # only the missing
    assert resumed.model_id != first.model_id
    after = _files(serving.paths.features)
    assert {k: after[k] for k in before} == before  # the serving encoder's entries byte-identical
    assert len(after) == 2 * first.encoded

    again = backfill_features(candidate, [manifest])
    assert (again.encoded, again.cached) == (0, first.encoded)
