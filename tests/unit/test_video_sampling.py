"""Frame sampling and sizing rules (pure)."""

import numpy as np
import pytest

from reeltag.video import sampling as sp


def test_uniform_indices_spread_over_the_range_in_order() -> None:
    idx = sp.uniform_indices(0, 100, 4)
    assert idx.tolist() == [12, 37, 62, 87]


def test_uniform_indices_repeat_frames_of_a_short_video() -> None:
    assert sp.uniform_indices(10, 12, 4).tolist() == [10, 10, 11, 11]


def test_fps_indices_step_by_seconds_and_cap_the_count() -> None:
    assert sp.fps_indices(0, 100, 25.0, 1.0, 10).tolist() == [0, 25, 50, 75]
    capped = sp.fps_indices(0, 1000, 25.0, 1.0, 5)
    assert len(capped) == 5 and capped[0] >= 0 and capped[-1] < 1000


def test_window_frames_stays_inside_the_video_and_is_never_empty() -> None:
    assert sp.window_frames(100, 10.0, None, None) == (0, 100)
    assert sp.window_frames(100, 10.0, 1.0, 2.5) == (10, 25)
    assert sp.window_frames(100, 10.0, 50.0, 60.0) == (99, 100)


def test_scene_positions_pick_frames_after_the_biggest_changes() -> None:
    frames = np.zeros((8, 4, 4, 3), dtype=np.uint8)
    frames[3:] = 100
    frames[6:] = 250
    assert sp.scene_positions(frames, 3).tolist() == [0, 3, 6]


def test_decode_size_keeps_aspect_with_short_side() -> None:
    assert sp.decode_size(1280, 720, 64) == (114, 64)
    assert sp.decode_size(240, 320, 224) == (224, 299)


def test_center_crop_takes_the_middle() -> None:
    frames = np.arange(1 * 4 * 6 * 3, dtype=np.uint8).reshape(1, 4, 6, 3)
    out = sp.center_crop(frames, 4)
    assert out.shape == (1, 4, 4, 3)
    assert (out == frames[:, :, 1:5]).all()


@pytest.mark.parametrize(("strategy", "key"), [("uniform", "uniform8"), ("fps", "fps8@2fps"), ("scene", "scene8")])
def test_sampling_key_names_every_parameter_that_changes_frames(strategy: str, key: str) -> None:
    assert sp.Sampling(strategy, 8, 2.0).key == key
