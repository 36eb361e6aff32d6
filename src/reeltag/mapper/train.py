"""Train a mapper from scratch or fine-tune one, with early stopping on validation P@5; save and load it.

Files: ``mapper.pt`` (``state_dict`` in torch's legacy pickle format, ``_use_new_zipfile_serialization=False``:
the fast one, see README) and ``args.json`` (:class:`~reeltag.mapper.model.MapperArgs`).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from reeltag.io import atomic_path, write_json_atomic
from reeltag.mapper.evaluate import Examples, Truth, cosine_scores, ranking_metrics
from reeltag.mapper.model import LOSSES, MapperArgs, TagMapper, loss_value
from reeltag.ranking import unit_rows

STATE_FILE, ARGS_FILE = "mapper.pt", "args.json"
SELECT_METRIC = "p_at_5"


@dataclass(frozen=True, kw_only=True)
class FitParams:
    epochs: int
    patience: int
    lr: float
    weight_decay: float
    seed: int
    batch_size: int = 64
    augment: int = 0  # extra inputs per training video: mean-pools of random frame subsets


@dataclass(frozen=True, kw_only=True)
class Fitted:
    args: MapperArgs
    state: dict[str, torch.Tensor]
    best_epoch: int
    epochs_run: int
    val_score: float  # validation P@5 of the kept weights


@contextmanager
def one_thread() -> Iterator[None]:
    """torch on one thread for the small MLP (measured once on the busy 2-core dev box: 3.6 ms vs 105 ms per step)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def fit(
    args: MapperArgs,
    tags: np.ndarray,
    train: Examples,
    val: Examples,
    params: FitParams,
    init: dict[str, torch.Tensor] | None = None,
) -> Fitted:
    """Adam on ``args.loss``; keeps the epoch with the best validation P@5; stops after ``patience`` worse ones."""
    with one_thread():
        return _fit(args, tags, train, val, params, init)


def _fit(
    args: MapperArgs, tags: np.ndarray, train: Examples, val: Examples, params: FitParams, init: dict[str, torch.Tensor] | None
) -> Fitted:
    torch.manual_seed(params.seed)
    model = TagMapper(args)
    if init is not None:
        model.load_state_dict(init)
    tag_t = torch.from_numpy(np.ascontiguousarray(tags, dtype=np.float32))
    train = subset_pools(train, params.augment, params.seed)
    x, y = torch.from_numpy(train.features.astype(np.float32)), _positives(train.truth, tags.shape[0])
    optimiser = torch.optim.Adam(model.parameters(), lr=params.lr, weight_decay=params.weight_decay)
    best = (validation_score(model, tags, val), 0, copy.deepcopy(model.state_dict()))
    epoch = 0
    for epoch in range(1, params.epochs + 1):
        _epoch(
            model,
            optimiser,
            x=x,
            y=y,
            tags=tag_t,
            args=args,
            params=params,
            gen=torch.Generator().manual_seed(params.seed + epoch),
        )
        score = validation_score(model, tags, val)
        if score > best[0]:
            best = (score, epoch, copy.deepcopy(model.state_dict()))
        elif epoch - best[1] >= params.patience:
            break
    return Fitted(args=args, state=best[2], best_epoch=best[1], epochs_run=epoch, val_score=best[0])


def fit_best(
    args: MapperArgs, tags: np.ndarray, train: Examples, val: Examples, params: FitParams
) -> tuple[Fitted, dict[str, float]]:
    """Fit each loss (or only ``args.loss``) and keep the best on validation; returns it and every loss's score."""
    kinds = LOSSES if args.loss == "auto" else (args.loss,)
    fitted = {kind: fit(replace(args, loss=kind), tags, train, val, params) for kind in kinds}
    winner = max(kinds, key=lambda k: (fitted[k].val_score, k == "regression"))
    return fitted[winner], {kind: f.val_score for kind, f in fitted.items()}


def subset_pools(data: Examples, copies: int, seed: int, min_frames: int = 3) -> Examples:
    """``data`` plus ``copies`` extra inputs per video: unit mean-pools of random subsets of its frames.

    A video of several scenes pools differently depending on which frames are kept, so the mapper sees more of
    the feature space than one pooled vector per labelled video.
    """
    if copies <= 0 or not data.frames:
        return data
    rng = np.random.default_rng(seed)
    feats, cols, n_true = [data.features], list(data.truth.columns), list(data.truth.n_true)
    for _ in range(copies):
        for frames, col, n in zip(data.frames, data.truth.columns, data.truth.n_true, strict=True):
            keep = rng.choice(len(frames), size=int(rng.integers(min(min_frames, len(frames)), len(frames) + 1)), replace=False)
            feats.append(unit_rows(frames[keep].mean(axis=0, keepdims=True)))
            cols.append(col)
            n_true.append(n)
    return Examples(np.concatenate(feats).astype(np.float32), Truth(tuple(cols), tuple(n_true)))


def _epoch(
    model: TagMapper,
    optimiser: torch.optim.Optimizer,
    *,
    x: torch.Tensor,
    y: torch.Tensor,
    tags: torch.Tensor,
    args: MapperArgs,
    params: FitParams,
    gen: torch.Generator,
) -> None:
    model.train()
    order = torch.randperm(x.shape[0], generator=gen)
    for start in range(0, x.shape[0], params.batch_size):
        batch = order[start : start + params.batch_size]
        optimiser.zero_grad()
        loss_value(args.loss, model(x[batch]), y[batch], tags, args.temperature).backward()
        optimiser.step()


def _positives(truth: Truth, n_tags: int) -> torch.Tensor:
    y = torch.zeros((len(truth.columns), n_tags), dtype=torch.float32)
    for row, cols in enumerate(truth.columns):
        y[row, list(cols)] = 1.0
    return y


def validation_score(model: TagMapper, tags: np.ndarray, val: Examples) -> float:
    return ranking_metrics(cosine_scores(predict(model, val.features), tags), val.truth, ks=(5,))[SELECT_METRIC]


def predict(model: TagMapper, features: np.ndarray) -> np.ndarray:
    """Tag-space vectors (n, out_dim) for video features (n, in_dim)."""
    model.eval()
    with torch.no_grad():
        return model(torch.from_numpy(np.asarray(features, dtype=np.float32))).numpy()


def save_mapper(folder: str | Path, fitted: Fitted) -> Path:
    """Write ``mapper.pt`` and ``args.json`` atomically into ``folder``."""
    folder = Path(folder)
    with atomic_path(folder / STATE_FILE) as tmp:
        torch.save(fitted.state, tmp, _use_new_zipfile_serialization=False)
    write_json_atomic(folder / ARGS_FILE, fitted.args.to_json())
    return folder


def load_mapper(folder: str | Path) -> tuple[TagMapper, MapperArgs]:
    folder = Path(folder)
    args = MapperArgs(**json.loads((folder / ARGS_FILE).read_text(encoding="utf-8")))
    model = TagMapper(args)
    model.load_state_dict(torch.load(folder / STATE_FILE, map_location="cpu", weights_only=True))
    model.eval()
    return model, args


@dataclass
class MapperPredictor:
    """What the MLflow pyfunc wrapper serves: ``predict(features)`` → tag-space vectors."""

    model: TagMapper
    args: MapperArgs

    def predict(self, model_input: Any) -> np.ndarray:
        return predict(self.model, np.asarray(model_input, dtype=np.float32))


def load_pyfunc(artifacts: dict[str, str]) -> MapperPredictor:
    """Loader for ``Tracker.log_model(..., loader="reeltag.mapper.train:load_pyfunc")``."""
    return MapperPredictor(*load_mapper(artifacts["mapper"]))
