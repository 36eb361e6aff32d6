"""Hashtags in any script through ingest → validate → Tag2Vec → the served recommender → review → export.

Posts generated here: Japanese (full-width ＃, half-width katakana, a tag followed by text after 。 or a full-width
space), Korean, Arabic (with tatweel and vowel marks) and mixed with English. What is folded (width, case, Arabic
optional marks) and what is not (accents, kana kind) is in docs/corpus.md, *Hashtags in any script*.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from review_items import review_item
from typer.testing import CliRunner

from reeltag.cli import app
from reeltag.config import CorpusSection
from reeltag.corpus.tags import TagRules, extract_hashtags, normalise_tag, repair_text
from reeltag.io import sha256_file
from reeltag.project import Project
from reeltag.review.export import export_labels
from reeltag.review.item_records import NewEvent
from reeltag.review.queue import Lease, act, lease_next, submit
from reeltag.review.store import ReviewStore
from reeltag.review.typed import typed_tag
from reeltag.tag2vec.pyfunc import load_recommender
from reeltag.tag2vec.steps import fetch_folder

pytestmark = pytest.mark.integration
RULES = TagRules(frozenset(CorpusSection().stop_tags), CorpusSection().min_tag_len, CorpusSection().max_tag_len)
# Each topic: the ways its tags are written in posts (one is picked per post) and the tag they normalise to.
TOPICS = {
    "ramen": (("＃ﾗｰﾒﾝ", "#ラーメン。", "＃ラーメン　"), ("#東京", "＃東京"), ("#つけ麺",), ("#ramen", "#RAMEN")),
    "seoul": (("#맛집",), ("#서울",), ("#여행",), ("＃ｔｒａｖｅｌ", "#Travel")),
    "ramadan": (("#رمضـــان", "#رَمَضَان", "#رمضان"), ("#إفطار",), ("#تمر",)),
    "kyoto": (("#京都",), ("#紅葉",), ("#ｶﾌｪ", "#カフェ"), ("#café",)),
}
EXPECTED = {
    "ramen": ("ラーメン", "東京", "つけ麺", "ramen"),
    "seoul": ("맛집", "서울", "여행", "travel"),
    "ramadan": ("رمضان", "إفطار", "تمر"),
    "kyoto": ("京都", "紅葉", "カフェ", "café"),
}


def _post(topic: str, rng: np.random.Generator, i: int) -> dict[str, str]:
    tags = [forms[int(rng.integers(len(forms)))] for forms in TOPICS[topic]]
    words = {"ramen": "美味しい", "seoul": "맛있어요", "ramadan": "مبارك", "kyoto": "きれい"}[topic]
    return {"id": f"{topic}-{i}", "created_at": f"2026-01-{1 + i % 28:02d}T00:00:00Z", "text": f"{' '.join(tags)} {words} {i}"}


def _posts(path: Path, n: int = 240) -> Path:
    rng = np.random.default_rng(7)
    rows = [_post(list(TOPICS)[i % len(TOPICS)], rng, i) for i in range(n)]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("written", "tags"),
    [
        ("＃ﾗｰﾒﾝ食べた", ["ラーメン食べた"]),  # half-width katakana and the full-width ＃; no break: the text stays in the tag
        ("#ラーメン。美味しい #東京　タワー", ["ラーメン", "東京"]),  # 。 and the ideographic space end a tag
        ("#맛집!서울 #서울여행", ["맛집", "서울여행"]),
        ("#رمضـــان_كريم و #رَمَضَان", ["رمضان_كريم", "رمضان"]),  # tatweel and vowel marks folded
        ("#हिन्दी #ไทย", ["हिन्दी", "ไทย"]),  # combining vowel signs stay inside the tag
        ("＃ＣＡＴ #Café #cafe", ["cat", "café", "cafe"]),  # width and case folded, accents kept
        ("#ひらがな #ヒラガナ", ["ひらがな", "ヒラガナ"]),  # kana kinds are not folded
    ],
)
def test_tags_are_extracted_and_normalised_in_any_script(written: str, tags: list[str]) -> None:
    found = [normalise_tag(t, RULES)[0] for t in extract_hashtags(repair_text(written))]
    assert found == tags


def test_posts_in_any_script_go_through_tag2vec_review_and_export(tmp_root: Path) -> None:
    toml = '[tag2vec]\nvector_size = 16\nepochs = 20\nmin_count = 2\n[tracking]\ntrigger = "test"\n'
    (tmp_root / "reeltag.toml").write_text(toml, encoding="utf-8")
    posts = _posts(tmp_root / "posts.jsonl")
    run = lambda *args: CliRunner().invoke(app, [*args, "--root", str(tmp_root), "--json"])
    for args in (("ingest", str(posts)), ("validate",), ("tag2vec", "train")):
        result = run(*args)
        assert result.exit_code == 0, (args, result.output)
    project = Project.open(tmp_root)
    folder, info = fetch_folder(project)
    recommender = load_recommender(folder, info.version)
    vocabulary = set(recommender.space.tags)
    assert {t for tags in EXPECTED.values() for t in tags} <= vocabulary, vocabulary
    for topic, tags in EXPECTED.items():  # the served recommender, asked in any written form, answers in the script
        asked = TOPICS[topic][0][0]
        top = recommender.suggest([asked])[: len(tags) - 1]
        assert set(top) == set(tags) - {tags[0]}, (topic, recommender.suggest([asked]))
    exported = _review_and_export(tmp_root, recommender.suggest(["#ﾗｰﾒﾝ"])[:3])
    assert exported == {"ラーメン", *recommender.suggest(["#ﾗｰﾒﾝ"])[:1]}


def _review_and_export(root: Path, suggested: list[str]) -> set[str]:
    """One item with ``suggested`` tags: the reviewer accepts the first and types ``＃ﾗｰﾒﾝ``; the export's tags."""
    video = root / "videos" / "clip.mp4"
    video.parent.mkdir()
    video.write_bytes(b"not decoded here")
    store = ReviewStore(root / "data" / "review" / "review.db").create()
    scores = tuple(zip(suggested, (0.9, 0.8, 0.7)))
    store.add_items("default", [review_item(video, sha256_file(video), suggestions=scores)])
    lease = Lease(queue="default", reviewer="ann", lease_s=60.0)
    item = lease_next(store, lease)
    assert item is not None
    act(store, lease, item.id, NewEvent(kind="accept", rank=store.suggestions(item.id)[0][0]))
    act(store, lease, item.id, NewEvent(kind="add", tag=store.canonical(typed_tag("＃ﾗｰﾒﾝ", RULES))))
    submit(store, lease, item.id, seconds=3.0)
    out = export_labels(store, root / "labels.csv")
    with open(out.out, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 1
    return {t.removeprefix("#") for t in rows[0]["tags"].split()}
