"""Which frames to take from a video and at what size (pure numpy: no decoder, no torch).

Strategies: ``uniform`` (N frames evenly spread, each at the middle of its slice), ``fps`` (one frame every
1/fps seconds, at most N), ``scene`` (N frames placed after the largest changes between cheap candidate
frames). :mod:`reeltag.video.frames` applies them with decord, within a :class:`DecodeBudget` when given one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from reeltag.errors import OverBudget

SCENE_CANDIDATES_PER_FRAME = 4  # 'scene' looks at this many candidates per frame it keeps


@dataclass(frozen=True)
class Sampling:
    """How frames are sampled; ``key`` goes into feature-cache keys."""

    strategy: str = "uniform"
    n_frames: int = 8
    fps: float = 1.0

    @property
    def key(self) -> str:
        rate = f"@{self.fps:g}fps" if self.strategy == "fps" else ""
        return f"{self.strategy}{self.n_frames}{rate}"

    @classmethod
    def from_settings(cls, video: object) -> "Sampling":
        """From a ``VideoSection`` (frames_per_video, sampling, fps)."""
        return cls(getattr(video, "sampling"), getattr(video, "frames_per_video"), getattr(video, "fps"))


@dataclass(frozen=True, kw_only=True)
class DecodeBudget:
    """What decoding one video may cost (the API's ``[api]`` limits; batch extraction runs without one).

    Size, frame count and duration are checked on the probe, before any frame is sampled: width × height × frame
    count bounds the pixels a decoder may have to produce (a seek decodes from the keyframe before the target, so
    a video of one keyframe costs every frame). The wall time is checked before each sampled frame.
    """

    max_pixels: int
    max_frames: int
    max_seconds: float
    max_decode_s: float

    @classmethod
    def from_settings(cls, api: object) -> DecodeBudget:
        """From an ``ApiSection`` (max_pixels_per_video, max_frames_per_video, max_video_s, max_decode_s)."""
        return cls(
            max_pixels=getattr(api, "max_pixels_per_video"),
            max_frames=getattr(api, "max_frames_per_video"),
            max_seconds=getattr(api, "max_video_s"),
            max_decode_s=getattr(api, "max_decode_s"),
        )

    def check(self, *, width: int, height: int, n_total: int, fps: float) -> None:
        """Raise :class:`OverBudget` naming the limit when a probed video is over one."""
        seconds, pixels = n_total / fps, width * height * n_total
        if n_total > self.max_frames:
            raise OverBudget(f"{n_total} frames; at most api.max_frames_per_video={self.max_frames}")
        if seconds > self.max_seconds:
            raise OverBudget(f"{seconds:.1f} s long; at most api.max_video_s={self.max_seconds:g}")
        if pixels > self.max_pixels:
            raise OverBudget(
                f"{width}x{height} px x {n_total} frames = {pixels:,} pixels to decode; "
                f"at most api.max_pixels_per_video={self.max_pixels:,}"
            )

    def deadline(self) -> Deadline:
        return Deadline(at=time.monotonic() + self.max_decode_s, seconds=self.max_decode_s)


@dataclass(frozen=True, kw_only=True)
class Deadline:
    """The wall-time budget of one decode, started when the decode starts."""

    at: float
    seconds: float

    def check(self) -> None:
        if time.monotonic() > self.at:
            raise OverBudget(f"decoding took over api.max_decode_s={self.seconds:g} s")


def window_frames(n_total: int, fps: float, start_s: float | None, end_s: float | None) -> tuple[int, int]:
    """Frame range [first, stop) covered by a time window (whole video when no window), never empty."""
    first = 0 if start_s is None else min(max(int(round(start_s * fps)), 0), n_total - 1)
    stop = n_total if end_s is None else min(max(int(round(end_s * fps)), first + 1), n_total)
    return first, stop


def uniform_indices(first: int, stop: int, n: int) -> np.ndarray:
    """``n`` frame indices at the middles of ``n`` equal slices of [first, stop) (repeats if too short)."""
    span = stop - first
    centres = first + (np.arange(n) + 0.5) * span / n
    return np.clip(np.floor(centres).astype(np.int64), first, stop - 1)


def fps_indices(first: int, stop: int, video_fps: float, sample_fps: float, n_max: int) -> np.ndarray:
    """One index every ``1/sample_fps`` seconds from ``first``; at most ``n_max`` (spread evenly if more)."""
    step = max(video_fps / sample_fps, 1.0)
    found = np.arange(first, stop, step).astype(np.int64)
    if len(found) > n_max:
        found = found[uniform_indices(0, len(found), n_max)]
    return found


def candidate_indices(first: int, stop: int, n: int) -> np.ndarray:
    """Evenly spread candidates for scene-change detection (``SCENE_CANDIDATES_PER_FRAME`` per kept frame)."""
    count = min(stop - first, n * SCENE_CANDIDATES_PER_FRAME)
    return np.unique(uniform_indices(first, stop, count))


def scene_positions(frames: np.ndarray, n: int) -> np.ndarray:
    """Positions (into ``frames``) to keep: the first frame and those right after the biggest changes."""
    if len(frames) <= n:
        return np.arange(len(frames))
    small = frames.astype(np.float32)
    change = np.abs(np.diff(small, axis=0)).mean(axis=(1, 2, 3))
    after = np.argsort(-change, kind="stable")[: n - 1] + 1
    return np.sort(np.concatenate([[0], after]))


def decode_size(width: int, height: int, side: int) -> tuple[int, int]:
    """Size (w, h) with the SHORT side equal to ``side`` and the aspect ratio kept (CLIP-style resize)."""
    scale = side / min(width, height)
    return max(side, int(round(width * scale))), max(side, int(round(height * scale)))


def center_crop(frames: np.ndarray, side: int) -> np.ndarray:
    """Central ``side`` x ``side`` crop of uint8 frames [N, H, W, 3] (H, W >= side)."""
    height, width = frames.shape[1:3]
    top, left = (height - side) // 2, (width - side) // 2
    return np.ascontiguousarray(frames[:, top : top + side, left : left + side])
