"""Leave-one-tag-out evaluation and the baselines on hand-made sentences and planted tag spaces."""

from types import SimpleNamespace

import numpy as np
import pytest

from reeltag.config import Settings, SlicesSection
from reeltag.corpus.tags import SurfaceForms
from reeltag.slices import slice_figures
from reeltag.tag2vec.baselines import AlignedSpace, Vocabulary, cooccurrence_scores, hybrid_scores, popularity_scores
from reeltag.tag2vec.evaluate import (
    GATED,
    MethodScore,
    Queries,
    evaluate_methods,
    frequency_slices,
    make_queries,
    method_ranks,
    ranks,
    recommender,
    score,
)
from reeltag.tag2vec.space import TagSpace
from reeltag.tag2vec.steps import Evaluation, gate

TRAIN = [
    ["beach", "sea"],
    ["beach", "sea"],
    ["beach", "sand"],
    ["city", "night"],
    ["city", "night"],
    ["city", "lights"],
    ["beach", "sea", "sun"],
    ["sun", "sand"],
] + [["city"]] * 5


def test_vocabulary_counts_and_cooccurrences() -> None:
    vocab = Vocabulary.fit(TRAIN, min_count=2)
    assert vocab.tags[0] == "city" and "lights" not in vocab.index
    i = vocab.index
    assert vocab.cooc[i["beach"], i["sea"]] == 3
    assert vocab.cooc[i["sea"], i["beach"]] == 3
    assert vocab.cooc[i["beach"], i["beach"]] == 0


def test_queries_hide_each_known_tag_in_turn() -> None:
    vocab = Vocabulary.fit(TRAIN, min_count=2)
    queries = make_queries([["beach", "sea", "unknown"], ["city"], ["night", "night", "sea"]], vocab)
    assert queries.posts == 2
    names = [(tuple(vocab.tags[c] for c in ctx), vocab.tags[t]) for ctx, t in zip(queries.contexts, queries.targets)]
    assert names == [(("sea",), "beach"), (("beach",), "sea"), (("sea",), "night"), (("night",), "sea")]


def test_cooccurrence_ranks_the_planted_co_tag_first_and_popularity_does_not() -> None:
    vocab = Vocabulary.fit(TRAIN, min_count=2)
    queries = make_queries([["night", "city"]], vocab)
    coo = ranks(lambda c: cooccurrence_scores(vocab, c), queries, len(vocab.tags))
    pop = ranks(lambda c: popularity_scores(vocab, c), queries, len(vocab.tags))
    assert coo.tolist() == [1.0, 1.0]
    assert pop.tolist()[0] > 1  # 'city' is hidden from 'night': popularity puts city first -> rank 1; night second
    assert score(coo, 1) == MethodScore(1.0, 1.0)


def test_ties_count_against_the_hidden_tag_and_unknown_tags_miss() -> None:
    queries = Queries(((0,), (0,)), np.array([1, 2]), 1)
    flat = lambda c: np.array([[0.0, 1.0, 1.0, 1.0]] * len(c))  # noqa: E731
    assert ranks(flat, queries, 4).tolist() == [3.0, 3.0]
    unknown = lambda c: np.array([[0.0, 1.0, -np.inf, 0.5]] * len(c))  # noqa: E731
    assert ranks(unknown, queries, 4).tolist() == [1.0, np.inf]
    assert score(np.array([1.0, 2.0, np.inf]), 1) == MethodScore(pytest.approx(1 / 3), pytest.approx(1 / 3))


def _planted_space(vocab: Vocabulary) -> TagSpace:
    """Tags of the beach cluster point one way, city tags the other; output vectors equal input vectors."""
    beach = {"beach", "sea", "sand", "sun"}
    vectors = np.array([[1.0, 0.1 * i] if t in beach else [-1.0, 0.1 * i] for i, t in enumerate(vocab.tags)], dtype=np.float32)
    return TagSpace(
        tags=vocab.tags,
        vectors=vectors,
        version="7",
        output_vectors=vectors.copy(),
        counts=vocab.counts,
        surface=SurfaceForms.fit([vocab.tags]),
    )


def test_all_methods_are_scored_on_the_same_queries() -> None:
    vocab = Vocabulary.fit(TRAIN, min_count=2)
    queries = make_queries([["beach", "sea"], ["city", "night"]], vocab)
    results = evaluate_methods(vocab, queries, _planted_space(vocab), k=2, hybrid_pseudo_count=5.0)
    assert set(results) == {"popularity", "cooccurrence", "tag2vec_ii", "tag2vec_io", "hybrid"}
    assert results["cooccurrence"].hit_at_k == 1.0
    assert results["tag2vec_ii"].hit_at_k > results["popularity"].hit_at_k


def test_a_space_that_lacks_tags_misses_them() -> None:
    vocab = Vocabulary.fit(TRAIN, min_count=2)
    full = _planted_space(vocab)
    keep = [i for i, t in enumerate(full.tags) if t != "sea"]
    partial = TagSpace(
        tags=tuple(full.tags[i] for i in keep),
        vectors=full.vectors[keep],
        version="8",
        output_vectors=full.vectors[keep],
        counts=None,
        surface=full.surface,
    )
    aligned = AlignedSpace.of(partial, vocab)
    assert not aligned.known[vocab.index["sea"]]
    queries = make_queries([["beach", "sea"]], vocab)
    assert np.isinf(ranks(aligned.input_input, queries, len(vocab.tags))).tolist() == [False, True]


def test_recommender_prefers_a_hybrid_only_when_it_beats_both_baselines() -> None:
    base = {"popularity": MethodScore(0.1, 0.05), "cooccurrence": MethodScore(0.3, 0.2), "tag2vec_io": MethodScore(0.2, 0.1)}
    assert recommender({**base, "hybrid": MethodScore(0.35, 0.21)}) == "hybrid"
    assert recommender({**base, "hybrid": MethodScore(0.3, 0.25)}) == "cooccurrence"
    assert recommender({**base, "hybrid": MethodScore(0.35, 0.15)}) == "cooccurrence"
    assert recommender({**base, "tag2vec_io": MethodScore(0.4, 0.1)}) == "tag2vec_io"


def test_hybrid_is_co_occurrence_for_frequent_context_tags_and_tag2vec_for_rare_ones() -> None:
    vocab = Vocabulary.fit(TRAIN, min_count=2)
    aligned = AlignedSpace.of(_planted_space(vocab), vocab)
    contexts = [(vocab.index["beach"],), (vocab.index["night"],)]
    pure_cooc = hybrid_scores(vocab, aligned, contexts, 0.0)
    counts = np.asarray(vocab.cooc[[c for (c,) in contexts]].todense())
    assert np.allclose(pure_cooc, counts / counts.sum(axis=1, keepdims=True))
    pure_tag2vec = hybrid_scores(vocab, aligned, contexts, 1e12)
    assert np.allclose(pure_tag2vec, aligned.output_probability(contexts))
    assert np.allclose(hybrid_scores(vocab, aligned, contexts, 3.0).sum(axis=1), 1.0)


def test_frequency_slices_band_each_query_by_its_hidden_tags_training_count() -> None:
    vocab = Vocabulary.fit(TRAIN, min_count=1)  # city 8, beach 4, sea 3, sand 2, sun 2, night 2, lights 1
    queries = make_queries([["beach", "sea"], ["sand", "lights"], ["city", "night", "sun"]], vocab)
    found = method_ranks(vocab, queries, _planted_space(vocab), 1.0)
    bands = SlicesSection(head_min=4, tail_max=1)
    figures = frequency_slices(vocab, queries, found[GATED], found["cooccurrence"], k=2, bands=bands)
    assert [(f.band, f.items) for f in figures] == [("head", 2), ("tail", 1), ("torso", 4)]
    assert sum(f.items for f in figures) == len(queries.targets)
    hits = {"head": (found[GATED][[0, 4]] <= 2).mean(), "tail": (found[GATED][[3]] <= 2).mean()}
    for f in figures[:2]:
        assert f.challenger == hits[f.band] and f.metric == "hit_at_2" and f.reference is not None
        assert f.delta == pytest.approx(f.challenger - f.reference)
    assert {name: score(r, 2) for name, r in found.items()} == evaluate_methods(vocab, queries, _planted_space(vocab), 2, 1.0)


def test_the_tag2vec_gate_refuses_a_challenger_that_loses_the_tail_band() -> None:
    project = SimpleNamespace(settings=Settings())
    k = project.settings.tag2vec.eval_k
    method = lambda hit: {GATED: MethodScore(hit, hit / 2)}  # noqa: E731
    common = {"recommender": GATED, "queries": 500, "heldout_posts": 300, "vocabulary": 50, "k": k, "slices_reference": ""}
    new, old = Evaluation(methods=method(0.6), slices=[], **common), Evaluation(methods=method(0.5), slices=[], **common)
    bands = np.array(["head"] * 400 + ["tail"] * 100)
    before = (np.random.default_rng(0).random(500) < 0.5).astype(float)
    after = np.where(bands == "tail", 0.0, 1.0)
    figures = slice_figures(slice_name="tag_frequency", metric=f"hit_at_{k}", bands=bands, challenger=after, reference=before)
    assert gate(project, new, old).verdict == "GO"
    refused = gate(project, new, old, figures)
    assert refused.verdict == "NO-GO" and any("worst slice tag_frequency=tail" in r for r in refused.reasons)
