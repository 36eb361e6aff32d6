"""The learned leave-one-tag-out ranker: its features (pure) and, on a seeded corpus, that it beats every single
signal it is built from."""

from __future__ import annotations

import numpy as np
import pytest

from reeltag.config import TagRankerSection
from reeltag.tag2vec.baselines import AlignedSpace, Vocabulary, per_context
from reeltag.tag2vec.evaluate import Queries, make_queries, ranks, score
from reeltag.tag2vec.ranker import (
    FEATURES,
    SIGNALS,
    TagStats,
    _rank_of,
    _top_columns,
    candidates,
    ranked_scores,
    signal_rows,
    training_rows,
)
from reeltag.tag2vec.ranker_model import fit_ranker_model

TOPICS, PER_TOPIC, GLOBAL = 12, 25, ("g0", "g1", "g2")


def _posts(rng: np.random.Generator, n: int) -> list[list[str]]:
    """Topic posts: 1-3 tags of one topic (Zipf-like within it), each with its partner tag (2i, 2i+1) 60 % of the
    time, half of the posts with a global popular tag: partners are direct co-occurrence's, the topic two hops'
    and Tag2Vec's, the popular tags plain counts' trap."""
    weights = 1.0 / np.arange(1, PER_TOPIC + 1)
    posts = []
    for _ in range(n):
        topic = rng.integers(TOPICS)
        picked = set(rng.choice(PER_TOPIC, size=rng.integers(1, 4), replace=False, p=weights / weights.sum()).tolist())
        picked |= {i ^ 1 for i in picked if rng.random() < 0.6 and i ^ 1 < PER_TOPIC}
        post = [f"t{topic}_{i}" for i in sorted(picked)]
        posts.append(post + ([str(rng.choice(GLOBAL))] if rng.random() < 0.5 else []))
    return posts


def _space(vocab: Vocabulary, rng: np.random.Generator) -> AlignedSpace:
    """Tag vectors near their topic's centre (what Tag2Vec learns on such a corpus), globals near the origin."""
    centres = rng.normal(size=(TOPICS, 16))
    rows = [centres[int(t[1 : t.index("_")])] if t.startswith("t") else np.zeros(16) for t in vocab.tags]
    inputs = (np.array(rows) + 0.6 * rng.normal(size=(len(vocab.tags), 16))).astype(np.float32)
    unit = inputs / np.linalg.norm(inputs, axis=1, keepdims=True)
    return AlignedSpace(known=np.ones(len(vocab.tags), bool), inputs=inputs, unit=unit, outputs=inputs.copy())


@pytest.fixture(scope="module")
def setting() -> tuple[TagStats, Queries, Queries]:
    rng = np.random.default_rng(7)
    vocab = Vocabulary.fit(_posts(rng, 600), min_count=2)
    stats = TagStats.of(vocab, _space(vocab, rng), pseudo_count=20.0)
    return stats, make_queries(_posts(rng, 400), vocab), make_queries(_posts(rng, 400), vocab)


def test_features_match_their_definitions_on_one_query(setting) -> None:
    stats, queries, _ = setting
    context = queries.contexts[0]
    signals = signal_rows(stats, [context])
    dense = np.asarray(stats.vocab.cooc.todense(), dtype=np.float64)
    cond = dense[list(context)] / stats.vocab.counts[list(context)][:, None]
    walk = dense / dense.sum(axis=1, keepdims=True)
    free = np.setdiff1d(np.arange(len(stats.vocab.tags)), context)
    np.testing.assert_allclose(signals["cond_sum"][0, free], cond.sum(axis=0)[free])
    np.testing.assert_allclose(signals["cond_max"][0, free], cond.max(axis=0)[free])
    np.testing.assert_allclose(signals["two_hop"][0, free], (walk[list(context)] @ walk).sum(axis=0)[free], rtol=1e-6)
    assert set(signals) == set(SIGNALS) and all(np.isneginf(m[0, list(context)]).all() for m in signals.values())


def test_per_context_sums_and_maxes_each_contexts_rows_and_gives_zeros_for_an_empty_one() -> None:
    rows = np.array([[1.0, -2.0], [3.0, 5.0], [7.0, 0.5], [-1.0, -1.0]])
    lengths = np.array([2, 0, 1, 1])
    np.testing.assert_array_equal(per_context(np.add, rows, lengths), [[4.0, 3.0], [0.0, 0.0], [7.0, 0.5], [-1.0, -1.0]])
    np.testing.assert_array_equal(per_context(np.maximum, rows, lengths), [[3.0, 5.0], [0.0, 0.0], [7.0, 0.5], [-1.0, -1.0]])


def test_top_columns_break_ties_at_the_cut_towards_lower_columns_and_tied_tags_share_a_rank() -> None:
    matrix = np.array([[3.0, 1.0, 3.0, 2.0, 3.0], [-np.inf, 0.0, 0.0, 0.0, 4.0]])
    assert _top_columns(matrix, 2).tolist() == [[True, False, True, False, False], [False, True, False, False, True]]
    query, tag = np.array([0, 0, 0, 1, 1, 1]), np.array([1, 3, 4, 0, 3, 4])
    assert _rank_of(matrix, query, tag).tolist() == [5.0, 4.0, 1.0, 5.0, 2.0, 1.0]


def test_candidates_never_include_the_query_tags(setting) -> None:
    stats, queries, _ = setting
    found = candidates(stats, queries.contexts[:20], per_signal=10)
    assert found.features.shape == (len(found.tag), len(FEATURES)) and np.isfinite(found.features).all()
    assert not any(t in queries.contexts[q] for q, t in zip(found.query, found.tag))


def test_ranked_scores_put_every_candidate_above_every_other_tag(setting) -> None:
    stats, queries, _ = setting
    found = candidates(stats, queries.contexts[:5], per_signal=10)
    scores = ranked_scores(stats, queries.contexts[:5], 10, lambda x: np.full(len(x), 0.5))
    mask = np.zeros_like(scores, bool)
    mask[found.query, found.tag] = True
    others = np.where(mask | np.isneginf(scores), -np.inf, scores).max(axis=1)
    assert (scores[mask] == 2.5).all() and (others <= 1.0).all()


def test_ranker_beats_every_single_signal_on_held_out_queries(setting) -> None:
    stats, train_q, test_q = setting
    cfg = TagRankerSection(max_iter=100)
    x, y = training_rows(stats, train_q, 30, 30, np.random.default_rng(0))
    model = fit_ranker_model(x, y, cfg)
    n_tags = len(stats.vocab.tags)
    learned = score(ranks(lambda c: ranked_scores(stats, c, 30, model.score), test_q, n_tags), 10).hit_at_k
    single = {name: score(ranks(lambda c, n=name: signal_rows(stats, c)[n], test_q, n_tags), 10).hit_at_k for name in SIGNALS}
    assert learned > max(single.values()) + 0.01, (learned, single)  # measured: 0.907 vs cond_sum 0.886


def test_ranker_model_refuses_labels_of_one_kind() -> None:
    with pytest.raises(ValueError, match="both kinds"):
        fit_ranker_model(np.zeros((4, 2)), np.zeros(4, np.int8), TagRankerSection())


@pytest.mark.parametrize("threads", [1, 2])
def test_ranker_fits_and_predicts_on_its_openmp_threads(monkeypatch, threads: int) -> None:
    """The trees run on ``[tag_ranker] threads`` OpenMP threads, whatever the process' default."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from threadpoolctl import threadpool_info

    seen: list[int] = []

    def openmp_now() -> int:
        return min(pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "openmp")

    for method in ("fit", "predict_proba"):
        real = getattr(HistGradientBoostingClassifier, method)

        def watched(self, *args, _real=real, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
            seen.append(openmp_now())
            return _real(self, *args, **kwargs)

        monkeypatch.setattr(HistGradientBoostingClassifier, method, watched)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 3))
    model = fit_ranker_model(x, (x[:, 0] > 0).astype(np.int8), TagRankerSection(max_iter=5, threads=threads))
    model.score(x)
    assert seen == [threads, threads] and model.threads == threads
