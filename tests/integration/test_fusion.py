"""Fusion of the mapper, visual kNN and text branches on the small demo's labelled videos with their titles
(demo-trained encoder; and random weights, where the text knows more than the pictures), then `suggest --text`
and `/v1/suggest` with a text (the API holds the champion fusion and swaps it on refresh). Prints every
held-out figure of the README's fusion rows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from api_helpers import register_fusion_version
from fastapi.testclient import TestClient
from loopback import LOCAL
from mapper_helpers import mapper_project_at, write_demo_labelled
from typer.testing import CliRunner

from reeltag.api.app import create_app
from reeltag.api.service import Service
from reeltag.cli import app
from reeltag.project import Project

pytestmark = pytest.mark.integration
BRANCHES = {"mapper", "knn", "text"}
BAD_TEXTS = ("", "x" * 100_000, "Лучший день на пляже", "😀🔥❤️")


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
    rounded = lambda d: {k: round(v, 3) for k, v in d.items()}  # noqa: E731
    print(
        f"\nfusion ({fitted['encoder_weights']} encoder, {fitted['videos']} videos) weights {rounded(fitted['weights'])}; "
        f"importance (out-of-fold mAP drop) {rounded(fitted['importance'])}; out-of-fold P@5 {fitted['cv']['p_at_5']:.3f}; "
        f"held-out P@5 {rounded({m: v['p_at_5'] for m, v in fitted['test'].items()})}; decision {fitted['decision']}"
    )
    return fitted


def _beats_every_branch(fitted: dict[str, Any]) -> None:
    p5 = {m: v["p_at_5"] for m, v in fitted["test"].items()}
    assert p5["fused"] > max(p5["mapper"], p5["knn"], p5["text"]), p5


def _text_importance_share(fitted: dict[str, Any]) -> float:
    imp = fitted["importance"]
    return imp["text"] / (imp["text"] + max(imp["mapper"], 0.0) + max(imp["knn"], 0.0))


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, labelled: Path, demo_tiny: Path, demo_encoder: Any) -> dict[str, Any]:
    root = mapper_project_at(tmp_path_factory.mktemp("fusion"), demo_encoder.clip, demo_tiny).paths.root
    return {"root": root, "fitted": _fitted(root, labelled, demo_tiny)}


def test_fusion_fitted_out_of_fold_beats_every_branch_on_the_held_out_videos(trained: dict[str, Any]) -> None:
    fitted = trained["fitted"]
    assert set(fitted["weights"]) == BRANCHES | {"prior"} and sum(map(abs, fitted["weights"].values())) == pytest.approx(1.0)
    assert set(fitted["test"]) == BRANCHES | {"fused"} and fitted["text_model"] is True
    assert fitted["texts_used"]["fit"] == fitted["videos"]["train"] + fitted["videos"]["val"]
    assert fitted["texts_used"]["test"] > 0
    _beats_every_branch(fitted)
    assert fitted["decision"] == "GO" and fitted["use_fused"]
    version = Project.open(trained["root"]).tracker.by_alias("fusion", "champion")
    assert version is not None and version.version == fitted["version"]
    assert version.tags["depends_on.mapper"] == fitted["mapper_version"]


def test_suggest_with_text_names_each_tags_branch_and_notes_bad_text(trained: dict[str, Any], labelled: Path) -> None:
    video = str(min((labelled / "videos").glob("label_*.mp4")))
    root = str(trained["root"])
    good = reeltag("suggest", video, "--text", "Salt in the air #beach", "-k", "5", "--root", root)
    fused = trained["fitted"]["use_fused"]
    assert good["ranking"].startswith("fused" if fused else "mapper alone")
    tags = good["videos"][0]["tags"]
    assert len(tags) == 5 and {t["branch"] for t in tags} <= BRANCHES
    for bad in BAD_TEXTS:
        out = reeltag("suggest", video, "--text", bad, "-k", "5", "--root", root)
        assert out["suggested"] == 1 and len(out["videos"][0]["tags"]) == 5
        assert out["videos"][0]["note"], f"no note for text {bad[:20]!r}"


def test_api_suggest_takes_a_text_and_names_each_tags_branch(trained: dict[str, Any], labelled: Path) -> None:
    service = Service.start(Project.open(trained["root"], api={"video_root": str(labelled)}))
    video = min((labelled / "videos").glob("label_*.mp4"))
    with TestClient(create_app(service, watch=False), base_url=LOCAL) as client:
        good = client.post("/v1/suggest", json={"video": f"videos/{video.name}", "k": 5, "text": "Sky on fire"})
        assert good.status_code == 200, good.text
        assert good.json()["ranking"].startswith(f"fused v{trained['fitted']['version']}") and good.json()["note"] == ""
        assert {t["branch"] for t in good.json()["tags"]} <= BRANCHES and len(good.json()["tags"]) == 5
        for bad in BAD_TEXTS:
            out = client.post("/v1/suggest", json={"video": f"videos/{video.name}", "k": 5, "text": bad})
            assert out.status_code == 200 and len(out.json()["tags"]) == 5, out.text
            assert "visual branches only" in out.json()["note"], bad[:20]
        upload = client.post(
            "/v1/suggest", files={"video": ("v.mp4", video.read_bytes(), "video/mp4")}, data={"k": "5", "text": "😀🔥❤️"}
        )
        assert upload.status_code == 200 and "visual branches only" in upload.json()["note"], upload.text


def _counting_fusion_look_ups(project: Project, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """``project.tracker.by_alias`` calls for ``reeltag.fusion`` (the aliases), appended as they happen."""
    asked: list[str] = []
    by_alias = project.tracker.by_alias

    def counted(model: str, alias: str) -> Any:
        if model == "fusion":
            asked.append(alias)
        return by_alias(model, alias)

    monkeypatch.setattr(project.tracker, "by_alias", counted)
    return asked


def test_the_api_holds_the_champion_fusion_and_swaps_it_on_refresh(
    trained: dict[str, Any], labelled: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Loaded once: requests never ask the registry for it; /v1/models lists it; a promoted version is served
    from the next refresh on, one that fails to load leaves the old one serving (error listed), and one fitted
    for another mapper is held but not used (`ranking` says why)."""
    registrar, old = Project.open(trained["root"]), trained["fitted"]["version"]
    service = Service.start(Project.open(trained["root"], api={"video_root": str(labelled)}))
    asked = _counting_fusion_look_ups(service.project, monkeypatch)
    body = {"video": f"videos/{min((labelled / 'videos').glob('label_*.mp4')).name}", "k": 5, "text": "Sky on fire"}
    new = register_fusion_version(registrar, weights={"mapper": 1.0, "knn": 0.0, "text": 0.0, "prior": 0.0})
    broken, stale = register_fusion_version(registrar, weights=None), register_fusion_version(registrar, mapper_version="999")
    try:
        with TestClient(create_app(service, watch=False), base_url=LOCAL) as client:
            rank = lambda: client.post("/v1/suggest", json=body).json()["ranking"]  # noqa: E731
            assert [rank() for _ in range(3)] == [rank()] * 3 and rank().startswith(f"fused v{old} (")
            models = client.get("/v1/models").json()
            registrar.tracker.promote("fusion", new)
            assert rank().startswith(f"fused v{old} (") and asked == []  # promoted, not yet refreshed
            assert service.refresh() is True and asked == ["champion"]
            swapped, swapped_models = rank(), client.get("/v1/models").json()
            registrar.tracker.promote("fusion", broken)
            assert service.refresh() is False and rank() == swapped
            broken_models = client.get("/v1/models").json()
            registrar.tracker.promote("fusion", stale)
            assert service.refresh() is True
            stale_ranking, stale_models = rank(), client.get("/v1/models").json()
            metrics = client.get("/metrics").text
    finally:
        registrar.tracker.promote("fusion", old)
    assert models["serving"]["fusion"] == old and models["loaded_at"]["fusion"] and "fusion" not in models["errors"]
    assert models["fusion"]["weights"] == trained["fitted"]["weights"] and models["fusion"]["not_used"] == ""
    assert models["fusion"]["fitted_for"]["mapper"] == models["serving"]["mapper"]
    assert swapped.startswith(f"fused v{new} (mapper 1.00, knn 0.00, text 0.00, prior 0.00)")
    assert swapped_models["serving"]["fusion"] == new and swapped_models["loaded_at"]["fusion"] > models["loaded_at"]["fusion"]
    assert broken_models["serving"]["fusion"] == new
    assert broken_models["errors"]["fusion"] == f"fusion v{broken} not loaded (KeyError: 'weights')"
    mapper = models["serving"]["mapper"]
    assert stale_models["serving"]["fusion"] == stale and f"mapper 999 (now {mapper})" in stale_models["fusion"]["not_used"]
    assert stale_ranking == f"mapper alone: {stale_models['fusion']['not_used']}"
    assert 'reeltag_api_champion_refused_total{model="fusion"} 1.0' in metrics
    assert 'refused_total{model="reranker"}' not in metrics  # no reranker here: absent, not refused


def test_random_weights_lean_on_text(
    tmp_path_factory: pytest.TempPathFactory, labelled: Path, demo_tiny: Path, trained: dict[str, Any]
) -> None:
    root = mapper_project_at(
        tmp_path_factory.mktemp("fusion-random"), {"weights": "random", "arch": "reeltag-tiny"}, demo_tiny
    ).paths.root
    fitted = _fitted(root, labelled, demo_tiny)
    assert fitted["encoder_weights"] == "random" and fitted["decision"] == "NOT ENOUGH EVIDENCE"  # never GO
    imp = fitted["importance"]
    assert imp["text"] > max(imp["mapper"], 0.0) + max(imp["knn"], 0.0)  # text matters more than both visual branches
    assert _text_importance_share(fitted) > _text_importance_share(trained["fitted"])  # and more than with demo weights


@pytest.mark.slow
def test_full_demo_fusion_on_held_out_videos(
    tmp_path_factory: pytest.TempPathFactory, demo_tiny: Path, demo_encoder: Any
) -> None:
    labelled = write_demo_labelled(tmp_path_factory.mktemp("fusion-full-videos"), "full")
    root = mapper_project_at(tmp_path_factory.mktemp("fusion-full"), demo_encoder.clip, demo_tiny).paths.root
    fitted = _fitted(root, labelled, demo_tiny)
    assert fitted["videos"]["test"] >= 16 and fitted["texts_used"]["test"] > 0
    _beats_every_branch(fitted)
