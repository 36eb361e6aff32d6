"""Sample frames from video files: the only decord import.

``read_frames(path, sampling, side=...)`` checks the file, probes its size, then decodes only the sampled
frames, resized ON DECODE so the short side is ``side`` and centre-cropped to ``side`` x ``side`` (the
encoder's input). Every way a file can fail (missing, zero bytes, text, not a video, zero frames, absurd
frame size, corrupt or truncated stream) raises :class:`reeltag.errors.UnreadableVideo` with the reason. With a
:class:`~reeltag.video.sampling.DecodeBudget` (the API's), a video over it raises :class:`reeltag.errors.OverBudget`:
size, frames and duration from the probe, before any sampled frame is decoded; wall time before each sampled frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import decord
import numpy as np

from reeltag.errors import UnreadableVideo
from reeltag.video import sampling as sp
from reeltag.video.sampling import Deadline, DecodeBudget, Sampling

DECODE_ERRORS = (RuntimeError, decord.DECORDError, AssertionError, IndexError, ValueError)
SNIFF_BYTES = 512
PADDED_ROW_ERROR = "DECORDArrayCopyFromTo"  # decord's batch copy of a frame it mis-shaped (see _batch)


@dataclass(frozen=True, kw_only=True)
class VideoFrames:
    """Sampled frames of one video: uint8 [N, H, W, 3] plus where they came from."""

    path: str
    frames: np.ndarray
    indices: tuple[int, ...]
    timestamps_s: tuple[float, ...]
    fps: float
    n_total: int
    width: int  # native frame size
    height: int


@dataclass(frozen=True, kw_only=True)
class VideoMeta:
    n_total: int
    fps: float
    width: int
    height: int


def check_file(path: Path) -> None:
    """Reject what is not worth handing to the decoder: missing, empty or text files."""
    if not path.is_file():
        raise UnreadableVideo(f"{path}: not a file")
    if path.stat().st_size == 0:
        raise UnreadableVideo(f"{path}: zero-byte file")
    with open(path, "rb") as fh:
        head = fh.read(SNIFF_BYTES)
    if _is_text(head):
        raise UnreadableVideo(f"{path}: not a video (the file is text)")


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def probe_video(path: Path, max_side: int) -> VideoMeta:
    """Frame count, fps and native size (decodes the first frame once); rejects absurd sizes.

    One decoder thread: a frame-threaded decoder keeps a full-size frame per thread in flight, which for an
    absurd size (8000x8000) is the memory the check is there to save.
    """
    reader = _open(path, threads=1)
    try:
        first = reader[0].shape
    except DECODE_ERRORS as exc:
        raise UnreadableVideo(f"{path}: first frame cannot be decoded ({_reason(exc)})") from exc
    height, width = int(first[0]), int(first[1])
    if max(width, height) > max_side or min(width, height) < 1:
        raise UnreadableVideo(f"{path}: absurd frame size {width}x{height} (max side {max_side} px)")
    fps = float(reader.get_avg_fps())
    if not np.isfinite(fps) or fps <= 0:
        raise UnreadableVideo(f"{path}: invalid frame rate {fps}")
    return VideoMeta(n_total=len(reader), fps=fps, width=width, height=height)


def _open(path: Path, threads: int = 0, width: int = -1, height: int = -1) -> "decord.VideoReader":
    try:
        reader = decord.VideoReader(str(path), ctx=decord.cpu(0), width=width, height=height, num_threads=threads)
    except DECODE_ERRORS as exc:
        raise UnreadableVideo(f"{path}: not a readable video ({_reason(exc)})") from exc
    if len(reader) < 1:
        raise UnreadableVideo(f"{path}: zero frames")
    return reader


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    return f"{type(exc).__name__}: {first[:200]}" if first else type(exc).__name__


def read_frames(
    path: str | Path,
    sampling: Sampling,
    side: int | None = None,
    threads: int = 0,
    max_side: int = 7680,
    window: tuple[float, float] | None = None,
    budget: DecodeBudget | None = None,
) -> VideoFrames:
    """Sampled frames of ``path`` (inside ``window`` seconds if given), ``side`` x ``side`` when ``side``; within
    ``budget`` when given."""
    path = Path(path)
    deadline = budget.deadline() if budget else None
    check_file(path)
    meta = probe_video(path, max_side)
    if budget:
        budget.check(width=meta.width, height=meta.height, n_total=meta.n_total, fps=meta.fps)
    width, height = sp.decode_size(meta.width, meta.height, side) if side else (-1, -1)
    reader = _open(path, threads, width, height)
    first, stop = sp.window_frames(min(len(reader), meta.n_total), meta.fps, *(window or (None, None)))
    indices = _choose(reader, sampling, first, stop, meta.fps, deadline)
    frames = _decode(reader, path, indices, deadline)
    frames = sp.center_crop(frames, side) if side else frames
    stamps = tuple(round(float(i) / meta.fps, 4) for i in indices)
    return VideoFrames(
        path=str(path),
        frames=frames,
        indices=tuple(int(i) for i in indices),
        timestamps_s=stamps,
        fps=meta.fps,
        n_total=meta.n_total,
        width=meta.width,
        height=meta.height,
    )


def _choose(
    reader: "decord.VideoReader", sampling: Sampling, first: int, stop: int, fps: float, deadline: Deadline | None
) -> np.ndarray:
    if sampling.strategy == "fps":
        return sp.fps_indices(first, stop, fps, sampling.fps, sampling.n_frames)
    if sampling.strategy == "scene":
        candidates = sp.candidate_indices(first, stop, sampling.n_frames)
        looks = _decode(reader, Path("scene candidates"), candidates, deadline)
        return candidates[sp.scene_positions(looks, sampling.n_frames)]
    return sp.uniform_indices(first, stop, sampling.n_frames)


def _decode(reader: "decord.VideoReader", path: Path, indices: np.ndarray, deadline: Deadline | None = None) -> np.ndarray:
    try:
        frames = _batch(reader, [int(i) for i in indices]) if deadline is None else _in_time(reader, path, indices, deadline)
    except DECODE_ERRORS as exc:
        raise UnreadableVideo(f"{path}: frames cannot be decoded ({_reason(exc)})") from exc
    if frames.ndim != 4 or frames.shape[0] != len(indices) or frames.shape[-1] != 3:
        raise UnreadableVideo(f"{path}: decoder returned frames of shape {frames.shape}")
    return frames


def _in_time(reader: "decord.VideoReader", path: Path, indices: np.ndarray, deadline: Deadline) -> np.ndarray:
    """The frames one by one, the wall-time budget checked before each (one seek may overrun it by its own length)."""
    parts = []
    for index in indices:
        deadline.check()
        parts.append(_batch(reader, [int(index)]))
    return np.concatenate(parts)


def _batch(reader: "decord.VideoReader", indices: list[int]) -> np.ndarray:
    """The frames at ``indices``, (N, H, W, 3).

    decord2 3.4 takes an RGB frame whose rows FFmpeg padded to a multiple of the width for a compact frame with
    more channels (``linesize / width``): with FFmpeg's 64-byte alignment on AVX-512 CPUs, widths 32 and 96 come
    back as (H, W, 6) and (H, W, 4) from ``reader[i]``, and ``get_batch`` fails copying them. Such a batch is read
    frame by frame and each row cut back to its 3·W bytes: bit-identical to what a CPU without AVX-512 decodes.
    """
    try:
        return reader.get_batch(indices).asnumpy()
    except decord.DECORDError as exc:
        if PADDED_ROW_ERROR not in str(exc):
            raise
    return np.stack([unpad_rows(reader[i].asnumpy()) for i in indices])


def unpad_rows(frame: np.ndarray) -> np.ndarray:
    """An RGB frame that decord shaped (H, W, C > 3) from padded rows, as (H, W, 3); other frames unchanged."""
    height, width, channels = frame.shape
    if channels <= 3:
        return frame
    return np.ascontiguousarray(frame.reshape(height, width * channels)[:, : 3 * width]).reshape(height, width, 3)
