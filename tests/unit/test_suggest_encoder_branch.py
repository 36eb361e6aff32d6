"""The fusion gets the pretrained encoder as a branch of its own: with an encoder text model, ``branch_scores``
gives ``text`` (the words alone) and ``encoder`` (the encoder alone), and the ranker weighs both (fake encoder)."""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np

from reeltag.corpus.tags import SurfaceForms
from reeltag.mapper.evaluate import Truth
from reeltag.mapper.nearest import TagIndex
from reeltag.suggest.fusion import fit_ranker
from reeltag.suggest.fusion_fit import branch_scores
from reeltag.text.encoder_choice import EncoderScorer, make_scorer
from reeltag.text.model import TextMethod, fit_text_model
from reeltag.text.words import TextInput

KEYS = ("ocean", "winter", "food", "party")
POSTS = [(("beach", "waves"), ("ocean",)), (("snow", "ski"), ("winter",)), (("pasta", "dinner"), ("food",))] * 3


def bag_of_words(texts: Sequence[str]) -> np.ndarray:
    """A stand-in encoder: each word a fixed random direction, a text the sum of its words'."""
    out = np.zeros((len(texts), 64), np.float32)
    for row, text in enumerate(texts):
        for word in text.split():
            out[row] += np.random.default_rng(zlib.crc32(word.encode())).standard_normal(64)
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


def _scorer() -> EncoderScorer:
    model = fit_text_model(POSTS, KEYS, 1)
    surface = SurfaceForms.fit(tags for _, tags in POSTS)
    word = TextMethod(name="knn", param=2)
    return make_scorer(model, word, bag_of_words, POSTS, surface=surface, encoder="fake", script_bonus=1.0)


def test_encoder_text_model_gives_the_fusion_an_encoder_branch() -> None:
    fused = TextMethod(name="fused", base="encoder(0)+encoder-knn(2)", weights=(1.0, 1.0))
    scorer = _scorer()
    index = TagIndex.build(KEYS, np.eye(4))
    visual = {"mapper": np.tile([0.0, 1.0, 0.1, 0.0], (4, 1)), "knn": np.zeros((4, 4)), "prior": np.zeros((4, 4))}
    texts = [
        TextInput(words=("waves", "beach"), hashtags=()),
        TextInput(words=("beach", "sunset"), hashtags=()),  # "sunset": a word the word model never saw
        TextInput(words=("pasta",), hashtags=()),
        TextInput(words=(), hashtags=(), note="no text"),
    ]
    branches = branch_scores(visual, index, texts, (scorer, fused), lambda t: t)
    assert set(branches.scores) == {"mapper", "knn", "text", "encoder", "prior"}
    assert branches.scores["encoder"][0].argmax() == 0 and branches.scores["encoder"][2].argmax() == 2
    assert branches.scales["encoder"][3] == 0.0 and branches.scales["encoder"][0] > 0.0
    words_only = branch_scores(visual, index, texts, (scorer.model, TextMethod(name="knn", param=2)), lambda t: t)
    assert np.allclose(branches.scores["text"], words_only.scores["text"])  # the text branch: the words alone
    assert "encoder" not in words_only.scores  # a word model alone gives no encoder branch
    truth = Truth(columns=(frozenset({0}), frozenset({0}), frozenset({2}), frozenset({1})), n_true=(1, 1, 1, 1))
    fit = fit_ranker(branches.scores, truth, branches.scales)
    assert set(fit.weights) == {"mapper", "knn", "text", "encoder", "prior"} and fit.weights["encoder"] > 0
