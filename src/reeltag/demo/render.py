"""Render demo scenes to RGB frames. Pure numpy: no files, no global random state.

``frames_for_segment(scene, n_frames, width, height, fps, seed)`` is the one entry point; the same
arguments always give the same array, so tests of encoders can render frames without any video file.
The ``seed`` picks the per-segment look (position, size, orientation, colour jitter, motion phase,
noise texture); the scene's colour, shape, background and motion stay what the caption says.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from reeltag.demo.world import Scene

Mask = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True, kw_only=True)
class Look:
    """Per-segment variation drawn from the segment's seed (fractions of the frame, radians, Hz)."""

    cx: float
    cy: float
    radius: float
    angle: float
    phase: float
    rgb: tuple[int, int, int]
    noise_seed: int


def _triangle(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    inside = np.ones(u.shape, dtype=bool)
    for deg in (90.0, 210.0, 330.0):
        a = np.deg2rad(deg)
        inside &= (np.cos(a) * u + np.sin(a) * v) <= 0.5
    return inside


def _star(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    rho, phi = np.hypot(u, v), np.arctan2(v, u)
    return rho <= 0.45 + 0.55 * ((1.0 + np.cos(5.0 * phi)) / 2.0) ** 2


def _stripes(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    band = np.floor((v + 1.0) * 2.5).astype(int)
    return (np.abs(u) <= 1.0) & (np.abs(v) < 1.0) & (band % 2 == 0)


SHAPE_MASKS: dict[str, Mask] = {
    "circle": lambda u, v: u * u + v * v <= 1.0,
    "ring": lambda u, v: (u * u + v * v <= 1.0) & (u * u + v * v >= 0.55**2),
    "square": lambda u, v: np.maximum(np.abs(u), np.abs(v)) <= 0.8,
    "diamond": lambda u, v: np.abs(u) + np.abs(v) <= 1.0,
    "triangle": _triangle,
    "cross": lambda u, v: ((np.abs(u) <= 0.3) & (np.abs(v) <= 1.0)) | ((np.abs(v) <= 0.3) & (np.abs(u) <= 1.0)),
    "star": _star,
    "stripes": _stripes,
}
_FIXED_ORIENTATION = frozenset({"square", "diamond"})


def draw_look(scene: Scene, seed: int) -> Look:
    """The per-segment variation for ``scene`` from ``seed``."""
    rng = np.random.default_rng([seed, 7])
    angle = 0.0 if scene.shape in _FIXED_ORIENTATION else float(rng.uniform(0, 2 * np.pi))
    jitter = rng.integers(-12, 13, size=3)
    red, green, blue = (int(np.clip(c + j, 0, 255)) for c, j in zip(scene.rgb, jitter))
    return Look(
        cx=float(rng.uniform(0.35, 0.65)),
        cy=float(rng.uniform(0.4, 0.6)),
        radius=float(rng.uniform(0.22, 0.3)),
        angle=angle,
        phase=float(rng.uniform(0, 2 * np.pi)),
        rgb=(red, green, blue),
        noise_seed=int(rng.integers(0, 2**31)),
    )


def background(kind: str, width: int, height: int, noise_seed: int) -> np.ndarray:
    """An (height, width, 3) float32 background texture."""
    if kind == "checker":
        yy, xx = np.mgrid[0:height, 0:width]
        cells = ((yy // 12 + xx // 12) % 2).astype(np.float32)
        return np.repeat((95.0 + 65.0 * cells)[..., None], 3, axis=2)
    if kind == "noise":
        rng = np.random.default_rng(noise_seed)
        grey = np.clip(128.0 + rng.normal(0.0, 28.0, size=(height, width)), 0, 255).astype(np.float32)
        return np.repeat(grey[..., None], 3, axis=2)
    if kind == "gradient":
        t = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None, None]
        top, bottom = np.array([70, 80, 120], np.float32), np.array([200, 185, 165], np.float32)
        return np.broadcast_to(top + t * (bottom - top), (height, width, 3)).copy()
    level = 32.0 if kind == "dark" else 128.0
    return np.full((height, width, 3), level, dtype=np.float32)


def pose(motion: str, look: Look, t: float, width: int, height: int) -> tuple[float, float, float, float]:
    """Centre x, centre y, radius (pixels) and angle (radians) at time ``t`` seconds."""
    cx, cy = look.cx * width, look.cy * height
    r = look.radius * min(width, height)
    if motion in ("left", "right"):
        span = width + 2 * r
        step = 0.3 * width * t * (1 if motion == "right" else -1)
        cx = (cx + step + r) % span - r
    elif motion == "bounce":
        cy -= 0.2 * height * abs(np.sin(np.pi * t + look.phase))
    elif motion == "pulse":
        r *= 1.0 + 0.25 * np.sin(2 * np.pi * t + look.phase)
    angle = look.angle + (2 * np.pi * 0.4 * t if motion == "rotate" else 0.0)
    return float(cx), float(cy), float(r), float(angle)


def shape_mask(shape: str, width: int, height: int, *, cx: float, cy: float, r: float, angle: float) -> np.ndarray:
    """Boolean (height, width) mask of ``shape`` centred at (cx, cy) with radius r, turned by angle."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32) + 0.5
    dx, dy = (xx - cx) / r, (yy - cy) / r
    c, s = np.cos(angle), np.sin(angle)
    return SHAPE_MASKS[shape](c * dx + s * dy, -s * dx + c * dy)


def frames_for_segment(scene: Scene, n_frames: int, width: int, height: int, fps: float, seed: int = 0) -> np.ndarray:
    """Render ``n_frames`` of ``scene`` as a uint8 array of shape (n_frames, height, width, 3)."""
    look = draw_look(scene, seed)
    base = background(scene.background, width, height, look.noise_seed)
    colour = np.array(look.rgb, dtype=np.float32)
    out = np.empty((n_frames, height, width, 3), dtype=np.uint8)
    for i in range(n_frames):
        cx, cy, r, angle = pose(scene.motion, look, i / fps, width, height)
        frame = base.copy()
        frame[shape_mask(scene.shape, width, height, cx=cx, cy=cy, r=r, angle=angle)] = colour
        out[i] = frame.astype(np.uint8)
    return out
