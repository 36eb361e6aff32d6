"""The torch mapper on synthetic arrays: losses, training with early stopping, fine-tuning, save/load."""

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import torch

from reeltag.mapper.evaluate import Examples, Truth, cosine_scores, ranking_metrics
from reeltag.mapper.model import MapperArgs, TagMapper, ranking_loss, regression_loss
from reeltag.mapper.train import FitParams, fit, fit_best, load_mapper, load_pyfunc, predict, save_mapper, subset_pools

N_TAGS, DIM, FEAT = 24, 8, 16
PARAMS = FitParams(epochs=60, patience=10, lr=3e-3, weight_decay=0.0, seed=0, batch_size=32)


def _world(seed: int = 0, n: int = 120, shift: int = 0) -> tuple[np.ndarray, Examples]:
    """Tags in 6 groups of 4; a video of group g has features near a group centre and 2 tags of that group."""
    rng = np.random.default_rng(seed)
    tags = rng.normal(size=(N_TAGS, DIM)).astype(np.float32)
    centres = np.random.default_rng(99).normal(size=(6, FEAT))
    groups = rng.integers(0, 6, size=n)
    feats = centres[groups] + 0.3 * rng.normal(size=(n, FEAT))
    cols = [frozenset({4 * g + (0 + shift) % 4, 4 * g + (1 + shift) % 4}) for g in groups]
    return tags, Examples(feats.astype(np.float32), Truth(tuple(cols), tuple(2 for _ in cols)))


def _args(loss: str = "ranking") -> MapperArgs:
    return MapperArgs(in_dim=FEAT, out_dim=DIM, hidden=32, loss=loss, temperature=0.1)


def _p5(fitted, tags: np.ndarray, data: Examples) -> float:
    model = TagMapper(fitted.args)
    model.load_state_dict(fitted.state)
    return ranking_metrics(cosine_scores(predict(model, data.features), tags), data.truth)["p_at_5"]


def test_losses_are_low_for_the_right_prediction() -> None:
    tags = torch.nn.functional.normalize(torch.randn(N_TAGS, DIM), dim=-1)
    positives = torch.zeros(1, N_TAGS)
    positives[0, 3] = 1.0
    good, bad = tags[3:4] * 2.0, -tags[3:4]
    assert regression_loss(good, positives, tags) < 1e-5 < regression_loss(bad, positives, tags)
    assert ranking_loss(good, positives, tags, 0.1) < ranking_loss(bad, positives, tags, 0.1)


@pytest.mark.parametrize("loss", ["regression", "ranking"])
def test_training_learns_the_planted_groups(loss: str) -> None:
    tags, train = _world(0)
    _, val = _world(1)
    fitted = fit(_args(loss), tags, train, val, PARAMS)
    assert fitted.val_score > 0.3  # chance is 2/24 per slot ≈ 0.08
    assert 0 < fitted.best_epoch <= fitted.epochs_run <= PARAMS.epochs


def test_auto_reports_both_losses_and_keeps_the_better() -> None:
    tags, train = _world(0)
    _, val = _world(1)
    fitted, scores = fit_best(_args("auto"), tags, train, val, PARAMS)
    assert set(scores) == {"regression", "ranking"}
    assert fitted.args.loss in scores and fitted.val_score == max(scores.values())


def test_finetuning_adapts_to_shifted_tag_usage() -> None:
    tags, train = _world(0)
    _, val = _world(1)
    base = fit(_args(), tags, train, val, PARAMS)
    _, shifted_train = _world(2, shift=2)
    _, shifted_val = _world(3, shift=2)
    tuned = fit(base.args, tags, shifted_train, shifted_val, replace(PARAMS, lr=1e-3), init=base.state)
    assert _p5(tuned, tags, shifted_val) > _p5(base, tags, shifted_val)


def test_early_stopping_stops_before_the_epoch_limit() -> None:
    tags, train = _world(0, n=40)
    _, val = _world(1, n=40)
    fitted = fit(_args(), tags, train, val, replace(PARAMS, epochs=500, patience=3))
    assert fitted.epochs_run < 500 and fitted.epochs_run - fitted.best_epoch <= 3


def test_save_load_roundtrip_uses_the_legacy_pickle(tmp_path: Path) -> None:
    tags, train = _world(0, n=30)
    fitted = fit(replace(_args(), tag2vec_version="4"), tags, train, train, replace(PARAMS, epochs=2))
    save_mapper(tmp_path, fitted)
    assert not (tmp_path / "mapper.pt").read_bytes().startswith(b"PK")  # not the zip container
    model, args = load_mapper(tmp_path)
    assert args == fitted.args and args.tag2vec_version == "4"
    expected = predict(model, train.features)
    assert np.allclose(load_pyfunc({"mapper": str(tmp_path)}).predict(train.features), expected)


def test_subset_pools_add_unit_mixtures_of_each_videos_frames() -> None:
    frames = (np.eye(4, dtype=np.float32), np.eye(4, dtype=np.float32)[::-1] * 2.0)
    data = Examples(np.ones((2, 4), np.float32), Truth((frozenset({0}), frozenset({1})), (1, 2)), frames)
    assert subset_pools(data, 0, seed=0) is data
    more = subset_pools(data, 3, seed=0)
    assert more.features.shape == (8, 4) and more.truth.columns[2:4] == data.truth.columns
    assert np.allclose(np.linalg.norm(more.features[2:], axis=1), 1.0)
    assert np.array_equal(more.features, subset_pools(data, 3, seed=0).features)
    assert (more.features[2:] > 0).sum(axis=1).min() >= 3  # at least 3 of the 4 frames in each pool
