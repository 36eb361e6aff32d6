"""Fusion of the mapper, visual kNN and text branches on the small demo's labelled videos with their titles
(demo-trained encoder; and random weights, where only the text knows anything), then `suggest --text`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from mapper_helpers import mapper_project_at, write_demo_labelled
from typer.testing import CliRunner

from reeltag.cli import app

pytestmark = pytest.mark.integration
BRANCHES = {"mapper", "knn", "text"}


def reeltag(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def labelled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_demo_labelled(tmp_path_factory.mktemp("fusion-videos"))


def _fitted(root: Path, labelled: Path, demo_tiny: Path) -> dict[str, Any]:
    trained = reeltag("mapper", "train", "--labels", str(labelled / "labels.csv"), "--root", str(root))
    if not trained["promoted"]:  # random weights are never GO: promote by hand to measure the fusion with them
        reeltag("promote", "mapper", "--version", trained["version"], "--reason", "fusion test", "--root", str(root))
    reeltag("text", "train", str(demo_tiny / "corpus" / "posts.jsonl"), "--root", str(root))
    fitted = reeltag("fusion", "fit", "--labels", str(labelled / "labels.csv"), "--root", str(root))
    print(
        f"\nfusion ({fitted['encoder_weights']} encoder, {fitted['videos']} videos) weights {fitted['weights']}; val P@5 "
        f"fused {fitted['val']['p_at_5']:.3f}; held-out P@5 { {m: round(v['p_at_5'], 3) for m, v in fitted['test'].items()} }; "
        f"decision {fitted['decision']}"
    )
    return fitted


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, labelled: Path, demo_tiny: Path, demo_encoder: Any) -> dict[str, Any]:
    root = mapper_project_at(tmp_path_factory.mktemp("fusion"), demo_encoder.clip, demo_tiny).paths.root
    return {"root": root, "fitted": _fitted(root, labelled, demo_tiny)}


def test_fusion_is_fitted_on_val_and_measured_on_test(trained: dict[str, Any]) -> None:
    fitted = trained["fitted"]
    assert set(fitted["weights"]) == BRANCHES and sum(fitted["weights"].values()) == pytest.approx(1.0)
    assert set(fitted["test"]) == BRANCHES | {"fused"} and fitted["text_model"] is True
    assert fitted["videos"]["val"] >= 8 and fitted["texts_used"]["test"] > 0
    assert fitted["use_fused"] == (fitted["decision"] == "GO")
    assert all(0.0 <= m["p_at_5"] <= 1.0 for m in fitted["test"].values())


def test_suggest_with_text_names_each_tags_branch_and_notes_bad_text(trained: dict[str, Any], labelled: Path) -> None:
    video = str(min((labelled / "videos").glob("label_*.mp4")))
    root = str(trained["root"])
    good = reeltag("suggest", video, "--text", "Salt in the air #beach", "-k", "5", "--root", root)
    fused = trained["fitted"]["use_fused"]
    assert good["ranking"].startswith("fused" if fused else "mapper alone")
    tags = good["videos"][0]["tags"]
    assert len(tags) == 5 and {t["branch"] for t in tags} <= BRANCHES
    for bad in ("", "x" * 100_000, "Лучший день на пляже", "😀🔥❤️"):
        out = reeltag("suggest", video, "--text", bad, "-k", "5", "--root", root)
        assert out["suggested"] == 1 and len(out["videos"][0]["tags"]) == 5
        assert out["videos"][0]["note"], f"no note for text {bad[:20]!r}"


def test_random_weights_lean_on_text(tmp_path_factory: pytest.TempPathFactory, labelled: Path, demo_tiny: Path) -> None:
    root = mapper_project_at(
        tmp_path_factory.mktemp("fusion-random"), {"weights": "random", "arch": "reeltag-tiny"}, demo_tiny
    ).paths.root
    fitted = _fitted(root, labelled, demo_tiny)
    assert fitted["encoder_weights"] == "random"
    assert fitted["weights"]["text"] > 0.0  # the text branch earns weight on the validation videos


@pytest.mark.slow
def test_full_demo_fusion_on_held_out_videos(
    tmp_path_factory: pytest.TempPathFactory, demo_tiny: Path, demo_encoder: Any
) -> None:
    labelled = write_demo_labelled(tmp_path_factory.mktemp("fusion-full-videos"), "full")
    root = mapper_project_at(tmp_path_factory.mktemp("fusion-full"), demo_encoder.clip, demo_tiny).paths.root
    fitted = _fitted(root, labelled, demo_tiny)
    assert fitted["videos"]["test"] >= 16 and fitted["texts_used"]["test"] > 0
