"""Rendering demo scenes to frames: deterministic, visible, moving as the caption says."""

from __future__ import annotations

import numpy as np
import pytest

from reeltag.demo.render import SHAPE_MASKS, frames_for_segment, shape_mask
from reeltag.demo.world import CATEGORIES, COLOURS, SHAPES, Scene


def colour_mask(frames: np.ndarray, colour: str, tol: int = 20) -> np.ndarray:
    return np.abs(frames.astype(int) - np.array(COLOURS[colour])).max(axis=-1) <= tol


def centroid_x(mask: np.ndarray) -> float:
    return float(np.nonzero(mask)[1].mean())


def test_frames_shape_dtype_and_determinism() -> None:
    scene = CATEGORIES[1].scene
    a = frames_for_segment(scene, 12, 128, 96, 10, seed=5)
    assert a.shape == (12, 96, 128, 3) and a.dtype == np.uint8
    assert np.array_equal(a, frames_for_segment(scene, 12, 128, 96, 10, seed=5))
    assert not np.array_equal(a, frames_for_segment(scene, 12, 128, 96, 10, seed=6))


@pytest.mark.parametrize("category", CATEGORIES, ids=lambda c: c.name)
def test_category_colour_is_visible_in_every_frame(category) -> None:  # type: ignore[no-untyped-def]
    frames = frames_for_segment(category.scene, 8, 96, 96, 8, seed=1)
    share = colour_mask(frames, category.scene.colour).mean(axis=(1, 2))
    assert (share > 0.02).all()


def test_shapes_are_distinct_at_the_same_pose() -> None:
    masks = {s: shape_mask(s, 96, 96, cx=48.0, cy=48.0, r=26.0, angle=0.3) for s in SHAPES}
    for a in SHAPES:
        for b in SHAPES:
            if a < b:
                iou = (masks[a] & masks[b]).sum() / (masks[a] | masks[b]).sum()
                assert iou < 0.8, (a, b, iou)
    assert set(SHAPE_MASKS) == set(SHAPES)


@pytest.mark.parametrize("motion,sign", [("left", -1), ("right", 1)])
def test_horizontal_motion_moves_the_shape(motion: str, sign: int) -> None:
    frames = frames_for_segment(Scene(colour="red", shape="circle", background="grey", motion=motion), 4, 160, 128, 10, seed=0)
    xs = [centroid_x(colour_mask(f[None], "red")[0]) for f in frames]
    assert all(sign * (b - a) > 0 for a, b in zip(xs, xs[1:]))


def test_static_stays_and_pulse_and_rotate_change() -> None:
    static = colour_mask(frames_for_segment(Scene(colour="red", shape="square"), 6, 96, 96, 10, seed=2), "red")
    assert all(np.array_equal(static[0], m) for m in static)
    pulse = colour_mask(
        frames_for_segment(Scene(colour="red", shape="circle", background="grey", motion="pulse"), 6, 96, 96, 10, seed=2), "red"
    )
    assert len({int(m.sum()) for m in pulse}) > 1
    rotate = colour_mask(
        frames_for_segment(Scene(colour="red", shape="star", background="dark", motion="rotate"), 6, 96, 96, 10, seed=2), "red"
    )
    assert not np.array_equal(rotate[0], rotate[3])


@pytest.mark.parametrize("background", ["grey", "dark", "checker", "noise", "gradient"])
def test_backgrounds_differ(background: str) -> None:
    frame = frames_for_segment(Scene(colour="red", shape="circle", background=background), 1, 96, 96, 10, seed=3)[0]
    backdrop = frame[~colour_mask(frame[None], "red")[0]].astype(float)
    spread = backdrop.std()
    assert (spread < 1.0) == (background in ("grey", "dark"))
