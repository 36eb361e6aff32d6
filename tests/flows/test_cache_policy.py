"""flows._cache: only inputs a policy declares to be paths are hashed by content; a labelled video's bytes are
part of the feature and fit cache keys, an unrelated file is not."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows._cache import ContentInputs
from reeltag.project import Project


@pytest.fixture
def labelled(tmp_path: Path) -> tuple[Project, Path, Path]:
    """A project and a labels file naming one (fake) video beside it; the bytes are never decoded here."""
    root, folder = tmp_path / "project", tmp_path / "labels"
    root.mkdir()
    (folder / "videos").mkdir(parents=True)
    video = folder / "videos" / "a.mp4"
    video.write_bytes(b"first take")
    labels = folder / "labels.csv"
    labels.write_text("video,tags,split\nvideos/a.mp4,cat,train\n", encoding="utf-8")
    return Project.open(root), labels, video


def test_strings_that_name_existing_folders_are_not_content_hashed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """'.' and a plain word that names a folder are values; a declared path input is hashed by content."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    plain, declared = ContentInputs(), ContentInputs(paths=("folder",))
    before = (plain.key("t", {"where": "."}), plain.key("t", {"name": "data"}), declared.key("t", {"folder": "data"}))
    (tmp_path / "data" / "new.txt").write_text("changed", encoding="utf-8")
    after = (plain.key("t", {"where": "."}), plain.key("t", {"name": "data"}), declared.key("t", {"folder": "data"}))
    assert after[:2] == before[:2]
    assert after[2] != before[2]


def test_fit_key_follows_the_labelled_videos_bytes_not_their_neighbours(labelled: tuple[Project, Path, Path]) -> None:
    from flows.finetune_mapper import FIT_CACHE

    project, labels, video = labelled
    inputs = {"project": project, "labels": str(labels), "mode": "auto"}
    first = FIT_CACHE.key("fit-mapper", inputs)
    (video.parent / "unrelated.mp4").write_bytes(b"not named by the labels")
    assert FIT_CACHE.key("fit-mapper", inputs) == first
    video.write_bytes(b"second take")
    assert FIT_CACHE.key("fit-mapper", inputs) != first


def test_fusion_key_follows_the_text_model(labelled: tuple[Project, Path, Path]) -> None:
    """The fusion step reads the text model too: training one (or another) changes its key, not the mapper fit's."""
    from flows.finetune_mapper import FIT_CACHE, FUSION_CACHE
    from reeltag.text.steps import text_model_path

    project, labels, _ = labelled
    inputs = {"project": project, "labels": str(labels)}
    fusion_key, fit_key = FUSION_CACHE.key("fit-fusion", inputs), FIT_CACHE.key("fit-mapper", inputs)
    text_model_path(project).parent.mkdir(parents=True)
    text_model_path(project).write_bytes(b"a text model")
    assert FUSION_CACHE.key("fit-fusion", inputs) != fusion_key and FIT_CACHE.key("fit-mapper", inputs) == fit_key


@pytest.mark.flow
def test_changing_a_labelled_videos_bytes_misses_the_feature_cache(labelled: tuple[Project, Path, Path]) -> None:
    """The real extract-features policy on a counting task, run through Prefect: hit, hit after an unrelated
    change, miss after the video changed."""
    from prefect import flow, task

    from flows.finetune_mapper import FEATURES_CACHE

    project, labels, video = labelled
    calls: list[str] = []

    @task(name="count-extractions", cache_policy=FEATURES_CACHE)
    def extract(project: Project, labels: str) -> int:
        calls.append(labels)
        return len(calls)

    @flow
    def run() -> int:
        return extract(project, str(labels))

    assert [run(), run()] == [1, 1]
    (labels.parent / "notes.txt").write_text("an unrelated file beside the labels", encoding="utf-8")
    assert run() == 1
    video.write_bytes(b"second take")
    assert run() == 2


def test_tune_key_follows_the_search_sets_files_and_videos_only(tmp_path: Path) -> None:
    from flows.tune_rerank import TUNE_CACHE

    search = tmp_path / "search"
    (search / "videos").mkdir(parents=True)
    for name, text in (("base.run", "q1 Q0 d1 1 1.0 base\n"), ("topics.txt", "q1 a cat\n"), ("qrels.txt", "q1 0 d1 1\n")):
        (search / name).write_text(text, encoding="utf-8")
    (search / "manifest.csv").write_text("docid,path\nd1,videos/d1.mp4\n", encoding="utf-8")
    video = search / "videos" / "d1.mp4"
    video.write_bytes(b"first take")
    inputs = {"project": Project.open(tmp_path / "project"), "search": str(search)}
    first = TUNE_CACHE.key("tune-rerank", inputs)
    (search / "reranked.run").write_text("an output someone wrote beside the set\n", encoding="utf-8")
    assert TUNE_CACHE.key("tune-rerank", inputs) == first
    video.write_bytes(b"second take")
    second = TUNE_CACHE.key("tune-rerank", inputs)
    (search / "qrels.txt").write_text("q1 0 d1 0\n", encoding="utf-8")
    assert len({first, second, TUNE_CACHE.key("tune-rerank", inputs)}) == 3


def test_an_incremental_training_key_follows_the_champion_it_continues(
    labelled: tuple[Project, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import flows._cache
    from flows.retrain_tag2vec import TRAIN_CACHE

    project = labelled[0]
    champion = {"tag2vec": "1"}
    monkeypatch.setattr(flows._cache, "champion_version", lambda _project, model: champion[model])
    keys = lambda: {mode: TRAIN_CACHE.key("train-tag2vec", {"project": project, "incremental": mode}) for mode in (True, False)}  # noqa: E731
    first = keys()
    champion["tag2vec"] = "2"  # another champion since: an incremental run would continue from it
    second = keys()
    assert second[True] != first[True] and second[False] == first[False]
