"""The registered ``reeltag.reranker``: a small JSON params file and the object its pyfunc wrapper loads.

``reranker.json`` holds α, normalisation, pooling, top_m, depth and the CLIP encoder (model id and kind of
weights) the setting was tuned with, plus ``"alpha_weighs": "clip"``: α weighs the CLIP score
(s = α·CLIP + (1−α)·engine). Files written before that convention (α weighed the engine) have no such field
and are refused rather than read inverted. ``load_reranker({"params": path})`` returns a :class:`FusionModel`
whose ``predict`` takes rows ``qid, base, clip`` (engine score and pooled CLIP score, NaN = no video) and
returns the fused score of each row, normalised per ``qid`` exactly as :mod:`reeltag.rerank.scoring` does.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from reeltag.errors import BadInput
from reeltag.io import write_json_atomic
from reeltag.rerank.scoring import blend
from reeltag.rerank.tuning import Setting
from reeltag.tracking.naming import tag

PARAMS_FILE = "reranker.json"
ALPHA_WEIGHS = "clip"  # the α convention marker: s = α·CLIP + (1−α)·engine


@dataclass(frozen=True, kw_only=True)
class RerankerParams:
    alpha: float
    normalisation: str
    pooling: str
    top_m: int
    depth: int
    encoder_model_id: str
    encoder_weights: str

    @property
    def setting(self) -> Setting:
        return Setting(self.alpha, self.normalisation, self.pooling)


def write_params(path: str | Path, params: RerankerParams) -> Path:
    return write_json_atomic(path, {**asdict(params), "alpha_weighs": ALPHA_WEIGHS})


def read_params(path: str | Path) -> RerankerParams:
    """Read ``reranker.json``; a file without ``alpha_weighs: clip`` (older convention) is refused."""
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    check_alpha_weighs(raw.pop("alpha_weighs", None), str(path), '"alpha_weighs"')
    return RerankerParams(**raw)


def check_alpha_weighs(marker: Any, source: str, key: str) -> None:
    """Refuse a reranker setting recorded under the older α convention (``marker`` is not ``ALPHA_WEIGHS``)."""
    if marker != ALPHA_WEIGHS:
        raise BadInput(
            f"{source}: alpha_weighs={marker!r}, expected {ALPHA_WEIGHS!r}. This reranker was written by an older reeltag "
            "in which α weighed the engine score (now s = α·CLIP + (1−α)·engine), so its α would be read inverted. "
            "Re-tune it (reeltag rerank tune), or, to keep the same ranking, replace alpha with 1 − alpha and add "
            f'{key}: "{ALPHA_WEIGHS}".'
        )


ALPHA_WEIGHS_TAG = tag("alpha_weighs")


def setting_from_tags(tags: Mapping[str, str], source: str = "registered reranker") -> Setting:
    """The Setting a registered reranker version's tags record; refused without ``reeltag.alpha_weighs: clip``."""
    check_alpha_weighs(tags.get(ALPHA_WEIGHS_TAG), source, f"the tag {ALPHA_WEIGHS_TAG!r}")
    return Setting(float(tags[tag("alpha")]), tags[tag("normalisation")], tags[tag("pooling")])


@dataclass(frozen=True)
class FusionModel:
    params: RerankerParams

    def predict(self, model_input: Any) -> np.ndarray:
        """Fused score per row of a table with columns ``qid``, ``base``, ``clip``."""
        import pandas as pd

        frame = pd.DataFrame(model_input)
        out = np.zeros(len(frame), dtype=np.float64)
        for _, rows in frame.groupby("qid", sort=False):
            idx = rows.index.to_numpy()
            out[frame.index.get_indexer(idx)] = blend(
                rows["base"].to_numpy(float), rows["clip"].to_numpy(float), self.params.alpha, self.params.normalisation
            )
        return out


def load_reranker(artifacts: dict[str, str]) -> FusionModel:
    """Pyfunc loader: ``artifacts["params"]`` is the ``reranker.json`` file."""
    return FusionModel(read_params(artifacts["params"]))
