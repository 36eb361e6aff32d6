"""reranker.json carries its α convention; a file from before the flip is refused, not read inverted."""

import json
from pathlib import Path

import pytest

from reeltag.errors import BadInput
from reeltag.rerank.model import PARAMS_FILE, RerankerParams, load_reranker, read_params, setting_from_tags, write_params
from reeltag.rerank.tuning import Setting

PARAMS = RerankerParams(
    alpha=0.3,
    normalisation="minmax",
    pooling="max",
    top_m=50,
    depth=100,
    encoder_model_id="reeltag-tiny",
    encoder_weights="random",
)


def test_params_round_trip_with_the_alpha_marker(tmp_path: Path) -> None:
    path = write_params(tmp_path / PARAMS_FILE, PARAMS)
    assert json.loads(path.read_text(encoding="utf-8"))["alpha_weighs"] == "clip"
    assert read_params(path) == PARAMS
    assert load_reranker({"params": str(path)}).params.alpha == 0.3


@pytest.mark.parametrize("marker", [None, "engine"])
def test_a_file_with_the_old_or_another_convention_is_refused(tmp_path: Path, marker: str | None) -> None:
    raw = {
        "alpha": 0.7,
        "normalisation": "minmax",
        "pooling": "max",
        "top_m": 50,
        "depth": 100,
        "encoder_model_id": "reeltag-tiny",
        "encoder_weights": "random",
    }
    if marker is not None:
        raw["alpha_weighs"] = marker
    path = tmp_path / PARAMS_FILE
    path.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(BadInput, match="older reeltag.*re-tune|Re-tune"):
        read_params(path)


TAGS = {"reeltag.alpha": "0.3", "reeltag.normalisation": "minmax", "reeltag.pooling": "max"}


def test_registered_tags_with_the_alpha_marker_give_the_setting() -> None:
    assert setting_from_tags({**TAGS, "reeltag.alpha_weighs": "clip"}) == Setting(0.3, "minmax", "max")


@pytest.mark.parametrize("marker", [None, "engine"])
def test_a_registered_version_without_the_alpha_marker_is_refused(marker: str | None) -> None:
    tags = TAGS if marker is None else {**TAGS, "reeltag.alpha_weighs": marker}
    with pytest.raises(BadInput, match="reranker v3: alpha_weighs=.*older reeltag.*Re-tune"):
        setting_from_tags(tags, "reranker v3")
