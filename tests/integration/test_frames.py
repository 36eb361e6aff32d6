"""Frame sampling with decord on demo videos, and every way a file can be unreadable."""

import json
from pathlib import Path

import numpy as np
import pytest

from reeltag.errors import UnreadableVideo
from reeltag.video.frames import _decode, read_frames
from reeltag.video.sampling import Sampling

pytestmark = pytest.mark.integration


def _first_video(demo: Path) -> Path:
    return sorted((demo / "videos").glob("*.mp4"))[0]


@pytest.mark.parametrize("strategy", ["uniform", "fps", "scene"])
def test_sampled_frames_are_resized_on_decode_to_the_encoder_side(demo_tiny: Path, strategy: str) -> None:
    got = read_frames(_first_video(demo_tiny), Sampling(strategy, 4, 2.0), side=32, threads=1)
    assert got.frames.dtype == np.uint8 and got.frames.shape[1:] == (32, 32, 3)
    assert 1 <= len(got.indices) <= 4 and list(got.indices) == sorted(got.indices)
    assert all(0 <= i < got.n_total for i in got.indices)


def test_frames_of_a_segment_come_from_inside_its_window(demo_tiny: Path) -> None:
    row = json.loads((demo_tiny / "segments.jsonl").read_text().splitlines()[1])
    got = read_frames(demo_tiny / row["video"], Sampling("uniform", 3), side=32, window=(row["start_s"], row["end_s"]))
    assert all(row["start_frame"] <= i < row["end_frame"] for i in got.indices)


@pytest.mark.parametrize("side", [32, 48, 64, 96, 100])
def test_every_decode_side_gives_compact_rgb_frames_equal_to_the_native_decode(demo_tiny: Path, side: int) -> None:
    """Sides 32 and 96 are the widths decord mis-shapes on AVX-512 CPUs (see reeltag.video.frames._batch)."""
    natives = ((video, read_frames(video, Sampling("uniform", 4))) for video in sorted((demo_tiny / "videos").glob("*.mp4")))
    video, native = next((v, n) for v, n in natives if (n.width, n.height) == (96, 96))
    got = read_frames(video, Sampling("uniform", 4), side=side)
    assert got.frames.shape == (4, side, side, 3) and got.frames.flags["C_CONTIGUOUS"]
    if side == 96:  # the native size: no resize, so the same pixels
        assert np.array_equal(got.frames, native.frames)


class _PaddingReader:
    """decord's behaviour on padded rows: the batch copy fails; one frame comes back (H, W, 4) from 4·W-byte rows."""

    def __init__(self, frames: np.ndarray) -> None:
        self.frames = frames

    def get_batch(self, indices: list[int]) -> None:
        import decord

        raise decord.DECORDError("ndarray.cc:171: Check failed: from_size == to_size (36864 vs. 27648) DECORDArrayCopyFromTo")

    def __getitem__(self, i: int) -> "_PaddingReader":
        height, width, _ = self.frames[i].shape
        rows = np.zeros((height, 4 * width), np.uint8)
        rows[:, : 3 * width] = self.frames[i].reshape(height, 3 * width)
        rows[:, 3 * width :] = 255  # padding bytes that must not leak into the frame
        self.last = rows.reshape(height, width, 4)
        return self

    def asnumpy(self) -> np.ndarray:
        return self.last


def test_a_batch_decord_mis_shapes_is_read_frame_by_frame_with_the_row_padding_cut() -> None:
    frames = np.random.default_rng(0).integers(0, 255, size=(5, 6, 7, 3), dtype=np.uint8)
    got = _decode(_PaddingReader(frames), Path("clip.mp4"), np.array([4, 1]))  # type: ignore[arg-type]
    assert np.array_equal(got, frames[[4, 1]])


def _bad_files(tmp_path: Path, good: Path) -> dict[str, Path]:
    data = good.read_bytes()
    rng = np.random.default_rng(0)
    files = {
        "zero-byte": b"",
        "not a video (the file is text)": b"video,tags\nclip.mp4,#cat\n",
        "not a readable video": rng.integers(1, 256, size=4096, dtype=np.uint8).tobytes(),
        "truncated": data[: len(data) // 3],
    }
    paths = {}
    for number, (reason, payload) in enumerate(files.items()):
        paths[reason] = tmp_path / f"bad{number}.mp4"
        paths[reason].write_bytes(payload)
    return paths


@pytest.mark.robustness
def test_unreadable_files_raise_one_error_type_with_a_reason(tmp_path: Path, demo_tiny: Path) -> None:
    for reason, path in _bad_files(tmp_path, _first_video(demo_tiny)).items():
        with pytest.raises(UnreadableVideo) as info:
            read_frames(path, Sampling("uniform", 4), side=32)
        assert str(path) in str(info.value)
        if reason != "truncated":
            assert reason in str(info.value)


@pytest.mark.robustness
def test_missing_file_and_absurd_frame_size_are_refused(tmp_path: Path, demo_tiny: Path) -> None:
    with pytest.raises(UnreadableVideo, match="not a file"):
        read_frames(tmp_path / "missing.mp4", Sampling())
    with pytest.raises(UnreadableVideo, match="absurd frame size"):
        read_frames(_first_video(demo_tiny), Sampling(), side=32, max_side=32)
