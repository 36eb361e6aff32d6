"""The content-addressed feature cache (pure)."""

from pathlib import Path

import numpy as np

from reeltag.video.cache import CachedFeatures, FeatureCache, feature_key, pool


def _entry(key: str) -> CachedFeatures:
    frames = np.eye(3, 4, dtype=np.float32)
    return CachedFeatures(
        key=key,
        frames=frames,
        pooled=pool(frames),
        indices=(0, 5, 9),
        timestamps_s=(0.0, 0.5, 0.9),
        model_id="tiny@abc",
        weights_kind="random",
        sampling="uniform3",
        video_sha256="f" * 64,
        source="a.mp4",
    )


def test_key_changes_with_video_bytes_model_and_sampling() -> None:
    base = feature_key("aa", "tiny@1", "uniform8")
    assert base == feature_key("aa", "tiny@1", "uniform8")
    assert (
        len(
            {
                base,
                feature_key("ab", "tiny@1", "uniform8"),
                feature_key("aa", "tiny@2", "uniform8"),
                feature_key("aa", "tiny@1", "uniform9"),
            }
        )
        == 4
    )


def test_put_then_get_round_trips_frames_pooled_and_meta(tmp_path: Path) -> None:
    cache = FeatureCache(tmp_path)
    entry = _entry(feature_key("aa", "tiny@abc", "uniform3"))
    path = cache.put(entry)
    back = cache.get(entry.key)
    assert path.is_file() and back is not None and len(cache) == 1
    assert np.array_equal(back.frames, entry.frames) and back.indices == (0, 5, 9)
    assert (back.model_id, back.weights_kind, back.source) == ("tiny@abc", "random", "a.mp4")
    assert not list(tmp_path.rglob("*.tmp"))


def test_pooled_vector_is_unit_length() -> None:
    assert np.isclose(np.linalg.norm(pool(np.random.default_rng(0).normal(size=(5, 8)))), 1.0)


def test_a_damaged_entry_is_reported_and_treated_as_missing(tmp_path: Path) -> None:
    cache = FeatureCache(tmp_path)
    entry = _entry("k" * 40)
    cache.put(entry).write_bytes(b"not an npz")
    assert cache.get(entry.key) is None
    assert cache.unreadable == [str(cache.path(entry.key))]
