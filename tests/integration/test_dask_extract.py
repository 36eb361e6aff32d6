"""Feature extraction on Dask (a LocalCluster of 2 processes) gives the local path's cache bytes and quarantine."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import pytest

from reeltag.project import Project
from reeltag.video.extraction import prefetched
from reeltag.video.steps import extract_features

pytestmark = pytest.mark.integration


def _inputs(demo_tiny: Path, tmp_path: Path) -> list[Path]:
    bad = tmp_path / "notes.mp4"
    bad.write_text("not a video", encoding="utf-8")
    videos = sorted((demo_tiny / "videos").glob("label_*.mp4"))[:5]
    return [videos[0], bad, *videos[1:]]


def _cache_bytes(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((root / "data" / "features").glob("*/*.npz"))}


def _quarantined(root: Path) -> list[tuple[str, str]]:
    lines = (root / "data" / "quarantine" / "videos.jsonl").read_text(encoding="utf-8").splitlines()
    return [(r["item"], r["reason"]) for r in map(json.loads, lines)]


def test_dask_cache_entries_are_byte_identical_to_the_local_path(demo_tiny: Path, tmp_path: Path) -> None:
    inputs = _inputs(demo_tiny, tmp_path)
    local = Project.open(tmp_path / "local", tracking={"trigger": "test"})
    dask = Project.open(
        tmp_path / "dask", tracking={"trigger": "test"}, video={"executor": "dask", "dask_workers": 2, "dask_chunk_videos": 2}
    )
    a, b = extract_features(local, inputs), extract_features(dask, inputs)
    assert (b.encoded, b.cached, b.quarantined) == (a.encoded, a.cached, a.quarantined) == (5, 0, 1)
    assert [f.video for f in b.features] == [f.video for f in a.features]
    assert _cache_bytes(tmp_path / "dask") == _cache_bytes(tmp_path / "local") and len(_cache_bytes(tmp_path / "local")) == 5
    assert _quarantined(tmp_path / "dask") == _quarantined(tmp_path / "local") == [(str(inputs[1]), a.quarantine[0].reason)]
    again = extract_features(dask, inputs)  # all cached now: read back, nothing encoded
    assert (again.encoded, again.cached) == (0, 5)


def test_prefetch_off_and_on_write_the_same_bytes(demo_tiny: Path, tmp_path: Path) -> None:
    inputs = _inputs(demo_tiny, tmp_path)
    for depth in (0, 3):
        extract_features(Project.open(tmp_path / f"d{depth}", video={"prefetch_videos": depth}), inputs)
    assert _cache_bytes(tmp_path / "d0") == _cache_bytes(tmp_path / "d3")
    shutil.rmtree(tmp_path / "d0")


def test_prefetched_keeps_order_and_works_ahead() -> None:
    started: list[int] = []
    third_started = threading.Event()

    def work(i: int) -> int:
        started.append(i)
        if i == 2:
            third_started.set()
        return i * 10

    out = prefetched(range(5), work, depth=2)
    assert next(out) == 0
    assert third_started.wait(5)  # items 1 and 2 were prepared while item 0 was being consumed
    assert list(out) == [10, 20, 30, 40] and started == [0, 1, 2, 3, 4]


def test_prefetched_without_depth_runs_one_at_a_time() -> None:
    started: list[int] = []
    out = prefetched(range(3), lambda i: started.append(i) or i, depth=0)
    assert next(out) == 0 and started == [0]
    assert list(out) == [1, 2]
