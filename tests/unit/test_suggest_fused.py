"""suggest's ranking with a champion fusion (its native files written by hand here, standing in for the registry's
verified copy) and without one (pure numpy, a tmp project)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from reeltag.mapper.nearest import TagIndex
from reeltag.project import Project
from reeltag.suggest import rank_tags as suggest_fused
from reeltag.suggest.fusion_model import FUSION_FILE, KNN_FILE, NoFusion, read_fusion
from reeltag.suggest.rank_tags import MAPPER_ALONE, VisualInputs, rank_videos
from reeltag.text.model import TextMethod, fit_text_model, save_text_model
from reeltag.text.steps import MODEL_FILE

KEYS = ("ocean", "winter", "food", "party")
SPACE = SimpleNamespace(version="3", surface=None)


def _project(tmp_path: Path, use_fused: bool, monkeypatch: pytest.MonkeyPatch) -> Project:
    project = Project.open(tmp_path)
    folder = tmp_path / "champion-copy"
    folder.mkdir(parents=True)
    meta = {
        "weights": {"mapper": 0.25, "knn": 0.1, "text": 0.6, "prior": 0.05},
        "mapper_version": "2",
        "tag2vec_version": "3",
        "encoder_id": "enc",
        "train_tags": [["ocean"], ["winter"]],
    }
    (folder / FUSION_FILE).write_text(json.dumps(meta), encoding="utf-8")
    with open(folder / KNN_FILE, "wb") as fh:
        np.savez(fh, features=np.eye(2, 3, dtype=np.float32))
    posts = [(("beach",), ("ocean",)), (("snow",), ("winter",)), (("dinner",), ("food",))] * 2
    save_text_model(fit_text_model(posts, KEYS, 1), TextMethod(name="knn", param=2), project.paths.models / "text" / MODEL_FILE)
    champion = read_fusion(folder, "1") if use_fused else NoFusion()  # no champion: no fusion passed its gate
    monkeypatch.setattr(suggest_fused, "load_fusion", lambda _project: champion)
    return project


def _rank(project: Project, texts: dict[str, str], fusion=None):  # type: ignore[no-untyped-def]
    index = TagIndex.build(KEYS, np.eye(4))
    mapped = np.array([[0.0, 1.0, 0.1, 0.0], [0.0, 1.0, 0.1, 0.0]])  # the mapper says winter for both
    visual = VisualInputs(mapped=mapped, pooled=np.eye(2, 3), videos=["a.mp4", "b.mp4"])
    return rank_videos(
        project, visual, index=index, space=SPACE, versions=("2", "enc"), k=3, min_score=None, texts=texts, fusion=fusion
    )


def test_fused_ranking_names_branches_and_notes_unusable_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ranked = _rank(_project(tmp_path, True, monkeypatch), {"a.mp4": "dinner tonight", "b.mp4": "😀😀"})
    assert ranked.ranking.startswith("fused v1") and "text model knn(2) (word model)" in ranked.ranking
    assert ranked.tags[0][0].key == "food" and ranked.tags[0][0].branch == "text"  # the title wins over the mapper
    assert ranked.tags[1][0].key == "winter" and ranked.tags[1][0].branch in ("mapper", "knn")
    assert ranked.notes[0] == "" and "visual branches only" in ranked.notes[1]


def test_without_a_usable_fusion_the_mapper_ranks_and_says_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ranked = _rank(_project(tmp_path, False, monkeypatch), {"a.mp4": "dinner tonight"})
    assert ranked.ranking.startswith(MAPPER_ALONE) and ranked.tags[0][0].key == "winter"
    assert "gate" in ranked.notes[0] and ranked.notes[1] == ""  # b.mp4 had no text: nothing to note
    other = _rank(_project(tmp_path / "other", True, monkeypatch), {})
    assert other.ranking.startswith("fused")
    stale = rank_videos(
        _project(tmp_path / "stale", True, monkeypatch),
        VisualInputs(mapped=np.eye(2, 4), pooled=np.eye(2, 3), videos=["a.mp4", "b.mp4"]),
        index=TagIndex.build(KEYS, np.eye(4)),
        space=SPACE,
        versions=("5", "enc"),
        k=3,
        min_score=None,
        texts={},
    )
    assert "mapper 2 (now 5)" in stale.ranking


def test_a_given_fusion_ranks_without_the_registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The API passes the fusion it holds (or why it holds none): ``load_fusion`` is not called."""
    held = read_fusion(_project(tmp_path, True, monkeypatch).paths.root / "champion-copy", "7")
    project = _project(tmp_path / "none", False, monkeypatch)
    monkeypatch.setattr(suggest_fused, "load_fusion", lambda _project: pytest.fail("the registry was asked"))
    assert _rank(project, {"a.mp4": "dinner tonight"}, held).ranking.startswith("fused v7")
    absent = _rank(project, {"a.mp4": "dinner tonight"}, NoFusion("fusion v8 not loaded (KeyError: 'weights')"))
    assert absent.ranking == f"{MAPPER_ALONE}: fusion v8 not loaded (KeyError: 'weights')"
    assert absent.notes[0] == "text not used: fusion v8 not loaded (KeyError: 'weights')"


def test_the_fusion_version_that_ranked_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the review queue records per item: the fusion that ranked ("" = the mapper alone), so a new fusion
    champion alone marks the undecided items stale (reeltag.review.rescore)."""
    fused = read_fusion(_write_fusion(tmp_path), "4")
    assert suggest_fused.fusion_in_use(fused, ("2", "enc"), "3") == "4"
    assert suggest_fused.fusion_in_use(fused, ("5", "enc"), "3") == ""  # fitted for mapper 2: the mapper ranks alone
    assert suggest_fused.fusion_in_use(NoFusion(), ("2", "enc"), "3") == ""
    assert _rank(_project(tmp_path / "a", True, monkeypatch), {}).fusion_version == "1"
    assert _rank(_project(tmp_path / "b", False, monkeypatch), {}).fusion_version == ""


def _write_fusion(tmp_path: Path) -> Path:
    folder = tmp_path / "fusion"
    folder.mkdir()
    meta = {"weights": {"mapper": 1.0}, "mapper_version": "2", "tag2vec_version": "3", "encoder_id": "enc", "train_tags": []}
    (folder / FUSION_FILE).write_text(json.dumps(meta), encoding="utf-8")
    with open(folder / KNN_FILE, "wb") as fh:
        np.savez(fh, features=np.zeros((0, 3), dtype=np.float32))
    return folder
