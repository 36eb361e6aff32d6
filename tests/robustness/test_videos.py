"""Bad videos through the real frames → CLIP → cache step: each is quarantined with its reason, the batch
goes on, and what the cache already held is still there, byte for byte.

One batch (module fixture) holds every bad file plus a good video extracted before it; each test checks one
kind. Videos are made with the ffmpeg binary imageio-ffmpeg ships.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from robust_helpers import make_video  # noqa: I001 (tests/robustness helper)

from reeltag import quarantine
from reeltag.io import sha256_file
from reeltag.project import Project

pytestmark = [pytest.mark.robustness, pytest.mark.integration]

SMALL = ("-f", "lavfi", "-i", "testsrc=size=64x48:rate=10", "-t", "3", "-c:v", "libx264", "-pix_fmt", "yuv420p")
UNICODE_NAME = "clip with spaces ünïcødé 视频.mp4"


@dataclass(frozen=True)
class Batch:
    folder: Path
    project: Project
    reasons: dict[str, str]  # file name → quarantine reason
    encoded: dict[str, np.ndarray]  # file name → pooled vector of what came through
    cached: dict[str, bool]
    records: list[dict]
    cache_before: dict[str, str]  # cache file → sha256, after the first (good) extraction


def _cut(src: Path, dst: Path, keep: float) -> Path:
    data = src.read_bytes()
    dst.write_bytes(data[: int(len(data) * keep)])
    return dst


def _over_reported(src_avi: Path, dst: Path, frames: int = 400) -> Path:
    """An AVI whose main and stream headers claim ``frames`` frames (it has 30) and whose index is blanked."""
    data = bytearray(src_avi.read_bytes())
    data[data.find(b"avih") + 24 : data.find(b"avih") + 28] = frames.to_bytes(4, "little")  # dwTotalFrames
    data[data.find(b"strh") + 40 : data.find(b"strh") + 44] = frames.to_bytes(4, "little")  # dwLength
    index = data.find(b"idx1")
    data[index : index + 4] = b"JUNK"
    dst.write_bytes(bytes(data))
    return dst


def _make_files(folder: Path) -> dict[str, Path]:
    good = make_video(folder / "good.mp4", *SMALL)
    fast = make_video(folder / "good-faststart.mp4", *SMALL, "-movflags", "+faststart")
    avi = make_video(folder / "source.avi", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10", "-t", "3", "-c:v", "mpeg4")
    rng = np.random.default_rng(3)
    files = {
        "good": good,
        "unicode": make_video(
            folder / UNICODE_NAME,
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=64x48:rate=10",
            "-t",
            "2",
            "-c:v",
            "libx264",
            "-pix_fmt",
            "yuv420p",
        ),
        "corrupt": folder / "corrupt.mp4",
        "truncated": _cut(good, folder / "truncated.mp4", 0.5),
        "truncated_faststart": _cut(fast, folder / "truncated-faststart.mp4", 0.5),
        "zero_byte": folder / "zero-byte.mp4",
        "text": folder / "notes.mp4",
        "audio_only": make_video(folder / "audio-only.mp4", "-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "aac"),
        "one_pixel": make_video(
            folder / "one-pixel.mkv", "-f", "lavfi", "-i", "color=c=red:s=1x1:r=10", "-t", "1", "-c:v", "ffv1"
        ),
        "huge": make_video(
            folder / "huge-8000.mp4",
            "-f",
            "lavfi",
            "-i",
            "color=c=blue:s=8000x8000:r=2",
            "-frames:v",
            "2",
            "-c:v",
            "mjpeg",
            "-q:v",
            "31",
        ),
        "zero_frames": make_video(
            folder / "zero-frames.avi", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10", "-frames:v", "0", "-c:v", "mpeg4"
        ),
        "over_reported": _over_reported(avi, folder / "over-reported.avi"),
        "loop": folder / "loop-a.mp4",
    }
    files["corrupt"].write_bytes(b"\x00\x00\x00\x18ftypmp42" + rng.integers(0, 256, 6000, dtype=np.uint8).tobytes())
    files["zero_byte"].write_bytes(b"")
    files["text"].write_text("this is a shopping list, not a video\n", encoding="utf-8")
    os.symlink("loop-b.mp4", folder / "loop-a.mp4")
    os.symlink("loop-a.mp4", folder / "loop-b.mp4")
    avi.unlink()
    return files


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Batch:
    folder = tmp_path_factory.mktemp("bad-videos")
    files = _make_files(folder)
    (folder / "manifest.csv").write_text("docid,path\nd-missing,not-there.mp4\nd-good,good.mp4\n", encoding="utf-8")
    project = Project.open(tmp_path_factory.mktemp("project"), tracking={"trigger": "test"})
    from reeltag.video.steps import extract_features

    extract_features(project, [files["good"]])
    before = {str(p): sha256_file(p) for p in sorted(project.paths.features.rglob("*.npz"))}
    inputs = [p for key, p in files.items() if key != "good"] + [folder / "manifest.csv"]
    result = extract_features(project, inputs)
    reasons = {Path(q.item).name: q.reason for q in result.quarantine}
    encoded = {Path(f.video).name: f.pooled for f in result.features}
    cached = {Path(f.video).name: f.cached for f in result.features}
    return Batch(folder, project, reasons, encoded, cached, quarantine.read(project.paths.quarantine, "videos"), before)


def _quarantined(batch: Batch, name: str, *words: str) -> str:
    assert name in batch.reasons, f"{name} was not quarantined: {batch.reasons}"
    reason = batch.reasons[name]
    assert all(w in reason for w in words), reason
    assert any(name in r["item"] and r["reason"] == reason for r in batch.records), "no quarantine record on disk"
    return reason


@pytest.mark.parametrize(
    ("kind", "name", "words"),
    [
        ("corrupt bytes", "corrupt.mp4", ("not a readable video",)),
        ("truncated mp4 (moov at the end, cut)", "truncated.mp4", ("not a readable video",)),
        ("truncated mp4 with faststart (moov first, data cut)", "truncated-faststart.mp4", ()),
        ("zero-byte file", "zero-byte.mp4", ("zero-byte file",)),
        ("text file named .mp4", "notes.mp4", ("not a video (the file is text)",)),
        ("audio-only file", "audio-only.mp4", ("not a readable video",)),
        ("8000x8000 frames", "huge-8000.mp4", ("absurd frame size 8000x8000",)),
        ("zero-frame container", "zero-frames.avi", ("not a readable video",)),
        ("symlink loop", "loop-a.mp4", ("not a file",)),
    ],
)
def test_bad_video_is_quarantined_with_its_reason(batch: Batch, tried, kind: str, name: str, words: tuple[str, ...]) -> None:
    tried.bad_input("video", kind)
    reason = _quarantined(batch, name, *words)
    assert name in reason  # the reason names the file
    assert name not in batch.encoded


def test_missing_file_in_a_manifest_is_quarantined_and_the_rest_of_the_manifest_is_read(batch: Batch, tried) -> None:
    tried.bad_input("video", "missing file in a manifest")
    _quarantined(batch, "not-there.mp4", "not a file")
    assert batch.cached["good.mp4"] is True  # the manifest's good row still came through


def test_what_the_cache_held_is_untouched_and_reused(batch: Batch) -> None:
    after = {str(p): sha256_file(p) for p in sorted(batch.project.paths.features.rglob("*.npz"))}
    assert batch.cache_before and all(after.get(path) == digest for path, digest in batch.cache_before.items())
    assert batch.cached["good.mp4"] is True
    assert not list(batch.project.paths.features.rglob("*.tmp"))  # no half-written entry


def test_path_with_spaces_and_non_ascii_is_encoded(batch: Batch, tried) -> None:
    tried.bad_input("video", "path with spaces and non-ASCII")
    assert batch.cached[UNICODE_NAME] is False
    assert np.isfinite(batch.encoded[UNICODE_NAME]).all()


def test_one_pixel_video_gives_finite_features(batch: Batch, tried) -> None:
    tried.bad_input("video", "1x1 frames")
    vector = batch.encoded["one-pixel.mkv"]
    assert np.isfinite(vector).all() and abs(float(np.linalg.norm(vector)) - 1.0) < 1e-4


def test_over_reported_frame_count_reads_only_frames_that_exist(batch: Batch, tried) -> None:
    """The AVI headers claim 400 frames (40 s) of a 30-frame clip: frames are sampled from the real ones."""
    from reeltag.video.frames import read_frames
    from reeltag.video.sampling import Sampling

    tried.bad_input("video", "frame count over-reported by the header")
    got = read_frames(batch.folder / "over-reported.avi", Sampling("uniform", 8), side=32)
    assert got.n_total == 30 and max(got.indices) < 30
    assert "over-reported.avi" in batch.encoded


PROBE = """
import sys
from reeltag.errors import UnreadableVideo
from reeltag.video.frames import read_frames
from reeltag.video.sampling import Sampling
try:
    read_frames(sys.argv[1], Sampling("uniform", 8), side=64)
except UnreadableVideo as exc:
    print(exc)
print("peak_kib", next(line for line in open("/proc/self/status") if line.startswith("VmHWM")).split()[1])
"""


def test_huge_frames_are_refused_without_decoding_the_clip(batch: Batch) -> None:
    """The size check refuses 8000x8000 after one decoded frame: peak memory of the refusing process stays
    under 1.5 GiB (about 0.9 GiB measured, single-threaded probe), where decoding the clip's frames at full size would not.
    Peak = the child's own VmHWM: ``ru_maxrss`` would carry the (large) pytest parent's peak over fork+exec."""
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(batch.folder / "huge-8000.mp4")],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "absurd frame size" in out.stdout
    peak_gib = int(out.stdout.split("peak_kib")[-1]) / 2**20
    assert peak_gib < 1.5


def test_a_damaged_cache_entry_is_reported_and_encoded_again(batch: Batch, tmp_path: Path, tried) -> None:
    from reeltag.video.cache import FeatureCache
    from reeltag.video.encoder import load_encoder
    from reeltag.video.steps import extract_features

    tried.bad_input("video", "damaged feature-cache entry")
    project = Project.open(tmp_path / "project", tracking={"trigger": "test"})
    encoder = load_encoder(project.settings.clip, project.paths)
    first = extract_features(project, [batch.folder / "good.mp4"], encoder=encoder)
    entry = FeatureCache(project.paths.features).path(first.features[0].key)
    entry.write_bytes(entry.read_bytes()[:100])
    again = extract_features(project, [batch.folder / "good.mp4"], encoder=encoder)
    assert again.repaired == (str(entry),) and (again.encoded, again.cached) == (1, 0)
    np.testing.assert_allclose(again.features[0].pooled, first.features[0].pooled, atol=1e-5)
