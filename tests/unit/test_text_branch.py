"""The text branch: reading texts (bad ones give a note), word → tag models, metrics, the saved file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from reeltag.corpus.tags import TagRules
from reeltag.text.metrics import make_text_queries, score_text
from reeltag.text.model import (
    METHODS,
    TextMethod,
    fit_text_model,
    load_text_model,
    save_text_model,
)
from reeltag.text.words import read_text

RULES = TagRules(frozenset({"repost"}))
POSTS = [
    (("sunny", "beach", "day"), ("ocean", "summer")),
    (("waves", "beach"), ("ocean",)),
    (("snow", "cold", "day"), ("winter",)),
    (("cold", "snow", "morning"), ("winter", "snow")),
    (("beach", "waves", "sunny"), ("ocean",)),
    (("lunch", "day"), ("food",)),
]
TAGS = ("ocean", "winter", "summer", "snow", "food")


def test_read_text_words_and_hashtags_normalised_like_the_corpus() -> None:
    found = read_text("Best day at the BEACH #Ocean #repost @user https://x.io/a 2024", RULES)
    assert found.words == ("best", "day", "at", "the", "beach")
    assert found.hashtags == ("ocean",) and found.usable and found.note == ""


@pytest.mark.parametrize(
    "text, note",
    [
        ("", "no text"),
        ("   ", "no text"),
        (None, "no text"),
        ("😀🔥 ❤️ !!! 123", "no word"),
        ("x" * 100_000, "characters ignored"),
    ],
)
def test_unusable_text_is_empty_with_a_note(text: str | None, note: str) -> None:
    found = read_text(text, RULES)
    assert not found.usable and note in found.note


def test_other_script_gives_words_the_model_does_not_know() -> None:
    found = read_text("Лучший день на пляже", RULES)
    model = fit_text_model(POSTS, TAGS, min_word_count=1)
    assert found.words and model.known_words(found.words) == []


@pytest.mark.parametrize(
    "method", [TextMethod(name=n, param=p) for n, p in [("cooccurrence", 0), ("conditional", 0), ("centroid", 0.5), ("knn", 2)]]
)
def test_a_planted_word_predicts_its_tag(method: TextMethod) -> None:
    model = fit_text_model(POSTS, TAGS, min_word_count=1)
    scores = model.scores(method, [("beach",), ("snow", "cold")])
    assert model.tags[int(np.argmax(scores[0]))] == "ocean"
    assert model.tags[int(np.argmax(scores[1]))] == "winter"


def test_unknown_words_score_popularity_order_only() -> None:
    model = fit_text_model(POSTS, TAGS, min_word_count=1)
    for name in METHODS:
        scores = model.scores(TextMethod(name=name, param=2), [("zzz",)])
        assert model.tags[int(np.argmax(scores[0]))] == "ocean"  # the most frequent tag


def test_min_word_count_and_tags_outside_the_vocabulary() -> None:
    model = fit_text_model(POSTS + [(("beach",), ("unlisted",))], TAGS, min_word_count=2)
    assert "lunch" not in model.word_index and "beach" in model.word_index
    assert model.posts.shape[0] == len(POSTS)  # the post with only an unlisted tag is dropped


def test_metrics_hand_worked() -> None:
    queries = make_text_queries(
        [(("beach",), ("ocean",)), (("snow",), ("food",)), (("x",), ("nowhere",)), ((), ("ocean",))], TAGS
    )
    assert len(queries.texts) == 3  # a post without words is not a query
    ranking = np.array([[5, 4, 3, 2, 1]], dtype=float)  # ocean, winter, summer, snow, food
    score = score_text(lambda texts: np.repeat(ranking, len(texts), axis=0), queries)
    assert score.hit_at_10 == pytest.approx(2 / 3)  # ocean at 1, food at 5, the unknown tag missed
    assert score.mrr_at_10 == pytest.approx((1 + 1 / 5) / 3)
    assert score.p_at_5 == pytest.approx((0.2 + 0.2) / 3)


def test_saved_model_round_trips(tmp_path: Path) -> None:
    model = fit_text_model(POSTS, TAGS, min_word_count=1)
    path = save_text_model(model, TextMethod(name="knn", param=3), tmp_path / "m.npz")
    loaded, method = load_text_model(path)
    assert method == TextMethod(name="knn", param=3) and loaded.words == model.words and loaded.tags == model.tags
    np.testing.assert_allclose(loaded.scores(method, [("beach",)]), model.scores(method, [("beach",)]))


def test_text_modules_import_no_heavy_library() -> None:
    code = (
        "import sys, reeltag.text.words, reeltag.text.model, reeltag.text.metrics, reeltag.text.post_words, "
        "reeltag.text.steps, reeltag.commands.text; "
        "print([m for m in ('gensim', 'torch', 'mlflow', 'open_clip', 'prefect', 'great_expectations') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
