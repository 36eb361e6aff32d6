"""`features extract`: the content-addressed cache, re-runs that encode nothing, quarantine of bad videos."""

import json
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from reeltag import quarantine
from reeltag.cli import app
from reeltag.project import Project
from reeltag.video.steps import extract_features

pytestmark = pytest.mark.integration
BAD = ("zero-byte.mp4", "notes.mp4", "truncated.mp4", "corrupt.mp4")


def _demo_videos(demo: Path, n: int) -> list[Path]:
    return sorted((demo / "videos").glob("*.mp4"))[:n]


def _add_bad_files(folder: Path, good: Path) -> None:
    data = good.read_bytes()
    (folder / "zero-byte.mp4").write_bytes(b"")
    (folder / "notes.mp4").write_text("this is a text file, not a video\n")
    (folder / "truncated.mp4").write_bytes(data[: len(data) // 3])
    (folder / "corrupt.mp4").write_bytes(np.random.default_rng(0).integers(1, 256, 50_000, dtype=np.uint8).tobytes())


def _extract(root: Path, folder: Path) -> dict:
    outcome = CliRunner().invoke(app, ["features", "extract", str(folder), "--root", str(root), "--json"])
    assert outcome.exit_code == 0, outcome.output[-3000:]
    return json.loads([line for line in outcome.stdout.splitlines() if line.startswith("{")][-1])


def _folder_with_bad_files(tmp_path: Path, videos: list[Path]) -> Path:
    folder = tmp_path / "videos"
    folder.mkdir()
    for video in videos:
        shutil.copy(video, folder / f"{video.parent.name}__{video.name}")
    _add_bad_files(folder, videos[0])
    return folder


def _check_batch(root: Path, folder: Path, n_good: int) -> None:
    first = _extract(root, folder)
    assert (first["encoded"], first["cached"], first["quarantined"]) == (n_good, 0, len(BAD))
    assert first["weights_kind"] == "random"
    reasons = {Path(r["item"]).name: r["reason"] for r in quarantine.read(root / "data" / "quarantine", "videos")}
    assert set(reasons) == set(BAD) and "zero-byte" in reasons["zero-byte.mp4"] and "text" in reasons["notes.mp4"]
    again = _extract(root, folder)
    assert (again["encoded"], again["cached"], again["quarantined"]) == (0, n_good, len(BAD))


@pytest.mark.robustness
def test_extract_quarantines_bad_files_and_a_rerun_encodes_nothing(demo_tiny: Path, tmp_path: Path) -> None:
    _check_batch(tmp_path / "root", _folder_with_bad_files(tmp_path, _demo_videos(demo_tiny, 3)), 3)


@pytest.mark.realdata
@pytest.mark.robustness
def test_every_real_clip_is_encoded_and_bad_files_beside_them_are_quarantined(real_data: Path, tmp_path: Path) -> None:
    clips = sorted(p for p in (real_data / "videos").rglob("*") if p.suffix in {".mp4", ".webm", ".avi"})
    assert len(clips) >= 15
    _check_batch(tmp_path / "root", _folder_with_bad_files(tmp_path, clips), len(clips))


def test_one_changed_checkpoint_byte_invalidates_cached_features(demo_encoder, demo_tiny: Path, tmp_path: Path) -> None:
    ckpt = shutil.copy(demo_encoder.checkpoint, tmp_path / "enc.pt")
    shutil.copy(f"{demo_encoder.checkpoint}.json", tmp_path / "enc.pt.json")
    project = Project.open(tmp_path, clip={"weights": str(ckpt)})
    videos = _demo_videos(demo_tiny, 2)
    first = extract_features(project, videos)
    assert (first.encoded, extract_features(project, videos).encoded) == (2, 0)
    data = bytearray(Path(ckpt).read_bytes())
    data[len(data) // 2] ^= 0x01
    Path(ckpt).write_bytes(bytes(data))
    changed = extract_features(project, videos)
    assert changed.model_id != first.model_id and (changed.encoded, changed.cached) == (2, 0)


def test_two_writers_of_the_same_videos_leave_whole_entries(demo_tiny: Path, tmp_path: Path) -> None:
    project, videos = Project.open(tmp_path), _demo_videos(demo_tiny, 3)
    results: list = []
    workers = [threading.Thread(target=lambda: results.append(extract_features(project, videos))) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert [len(r.features) for r in results] == [3, 3]
    assert len(list(project.paths.features.rglob("*.npz"))) == 3 and not list(project.paths.features.rglob("*.tmp"))
    again = extract_features(project, videos)
    assert again.encoded == 0 and not again.repaired
