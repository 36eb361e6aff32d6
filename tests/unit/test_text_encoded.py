"""The encoder's side of the text branch without the encoder: tag splitting, the embeddings cache, method labels
and scoring over vectors from a fake (bag-of-words) encoder."""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from reeltag.ranking import zscore_rows
from reeltag.text.embedding_cache import EmbeddingCache
from reeltag.text.encoded import encoder_scores, fit_encoded_tags, fused_scores, prefer_script, script_of, split_tag
from reeltag.text.encoder_choice import parse_label
from reeltag.text.model import TextMethod

DIM = 64


def bag_of_words(texts: Sequence[str]) -> np.ndarray:
    """A stand-in encoder: each word a fixed random direction, a text the sum of its words'."""
    out = np.zeros((len(texts), DIM), np.float32)
    for row, text in enumerate(texts):
        for word in text.split():
            out[row] += np.random.default_rng(zlib.crc32(word.encode())).standard_normal(DIM)
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


def test_split_tag_into_known_words_and_digit_runs() -> None:
    df = Counter({"new": 9, "york": 5, "city": 7, "food": 9, "ne": 1})
    assert split_tag("newyorkcity", df) == ["new", "york", "city"]
    assert split_tag("food2024", df) == ["food", "2024"]
    assert split_tag("zzqx", df) == ["zzqx"]  # an unknown stretch stays whole
    assert split_tag("ラーメン", df) == ["ラーメン"]


def test_cache_encodes_each_distinct_text_once_and_reloads_from_disk(tmp_path: Path) -> None:
    calls: list[int] = []

    def encode(texts: Sequence[str]) -> np.ndarray:
        calls.append(len(texts))
        return bag_of_words(texts)

    cache = EmbeddingCache(name="fake-v1", encode=encode, folder=tmp_path)
    first = cache.embed(["sunny beach", "cold snow", "sunny beach"])
    assert cache.encoded == 2 and sum(calls) == 2
    assert np.allclose(first[0], first[2]) and np.allclose(np.linalg.norm(first, axis=1), 1.0, atol=1e-3)
    cache.embed(["cold snow"])
    assert sum(calls) == 2  # nothing new to encode
    again = EmbeddingCache(name="fake-v1", encode=encode, folder=tmp_path)
    assert np.allclose(again.embed(["sunny beach", "cold snow"]), first[:2], atol=1e-3)
    assert again.encoded == 0 and sum(calls) == 2
    other = EmbeddingCache(name="fake-v2", encode=encode, folder=tmp_path)  # another model: its own vectors
    other.embed(["sunny beach"])
    assert other.encoded == 1


def test_labels_read_back() -> None:
    for method in (
        TextMethod(name="encoder", param=0.5),
        TextMethod(name="encoder-knn", param=100.0),
        TextMethod(name="fused", base="encoder-knn(100)+encoder(0.5)", weights=(1.0, 0.5)),
    ):
        assert parse_label(method.label()) == method
    assert TextMethod(name="fused", base="encoder-knn(30)+encoder(0)", weights=(2.0, 0.0)).label() == (
        "fused(2,0)[encoder-knn(30)+encoder(0)]"
    )


def test_encoder_methods_rank_the_planted_tag_first() -> None:
    posts = [
        (("sunny", "beach", "waves"), ("ocean",)),
        (("beach", "sand", "waves"), ("ocean",)),
        (("sun", "heat"), ("summer",)),
        (("snow", "cold", "ski"), ("winter",)),
        (("cold", "snow", "mountain"), ("winter",)),
        (("pasta", "dinner"), ("food",)),
    ]
    tags = ("ocean", "winter", "summer", "food")
    encoded = fit_encoded_tags(bag_of_words, posts, tags, np.zeros(len(tags)))
    assert encoded.posts.shape == (6, DIM) and encoded.post_tags.shape == (6, 4)
    query = bag_of_words(["waves on the beach", "snow and cold"])
    for method, param in (("encoder", 0.0), ("encoder", 0.5), ("encoder-knn", 2.0)):
        scores = encoder_scores(encoded, method, param, query)
        assert [tags[i] for i in scores.argmax(axis=1)] == ["ocean", "winter"], (method, param)
    names_only = encoder_scores(encoded, "encoder", 1.0, bag_of_words(["food"]))  # the tag's own words
    assert tags[int(names_only.argmax())] == "food"


def test_fused_with_zero_weights_is_the_word_model() -> None:
    rng = np.random.default_rng(0)
    word, enc = rng.random((3, 6)), rng.random((3, 6))
    assert np.allclose(fused_scores(word, [enc], [0.0]), zscore_rows(word))
    assert np.allclose(fused_scores(word, [enc], [2.0]), zscore_rows(word) + 2.0 * zscore_rows(enc))


def test_script_of_groups_han_and_kana_and_folds_widths() -> None:
    assert script_of("東京でラーメンを食べた") == "cjk" and script_of("ｶﾀｶﾅ") == "cjk"
    assert script_of("great ramen") == "latin" and script_of("ｒａｍｅｎ") == "latin"
    assert script_of("맛있는 라면") == "hangul" and script_of("رامن لذيذ") == "arabic"
    assert script_of("2024 !!") == ""


def test_prefer_script_lifts_tags_in_the_texts_script_only_when_asked() -> None:
    scores = np.array([[0.9, 0.8, 0.1], [0.9, 0.8, 0.1]])  # ramen, ラーメン, sushi
    tag_scripts = ["latin", "cjk", "latin"]
    assert prefer_script(scores, ["cjk", "latin"], tag_scripts, 0.0) is scores
    lifted = prefer_script(scores, ["cjk", "latin"], tag_scripts, 1.0)
    assert lifted[0].argmax() == 1 and lifted[1].argmax() == 0


def test_tags_whose_posts_have_no_words_still_score_by_name() -> None:
    encoded = fit_encoded_tags(bag_of_words, [((), ("ocean",)), ((), ("food",))], ("ocean", "food"), np.zeros(2))
    assert encoded.posts.shape == (0, DIM) and not encoded.centroids.any()
    query = bag_of_words(["food"])
    assert np.array_equal(encoder_scores(encoded, "encoder-knn", 10.0, query), np.zeros((1, 2)))
    assert encoder_scores(encoded, "encoder", 1.0, query).argmax() == 1
