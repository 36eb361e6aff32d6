"""Step ``evaluate_recommenders``: leave-one-tag-out on posts files (train → tune on val → train+val → test).

Every method scores the same test queries (a held-out post's tags, each hidden in turn, ranked from the others):
popularity, co-occurrence, Tag2Vec input-input and input-output, the hybrid, and the learned combinations of
:mod:`reeltag.tag2vec.combined` (tags only, and tags + the post's words), whose weights are chosen on the val
posts with models fitted on train only. Tag2Vec is trained with the project's ``[tag2vec]`` settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from reeltag.corpus.steps import tag_rules
from reeltag.corpus.tags import SurfaceForms
from reeltag.project import Project
from reeltag.tag2vec.baselines import Vocabulary
from reeltag.tag2vec.combined import rank_with, tune_weights
from reeltag.tag2vec.evaluate import (
    MethodScore,
    Queries,
    make_queries,
    ranks,
    score,
    scorers,
)
from reeltag.tag2vec.ranker import TagStats
from reeltag.tag2vec.ranker_fit import RankerTraining, fit_tag_models, ranker_ranks, train_ranker
from reeltag.text.model import TextMethod, fit_text_model
from reeltag.text.post_words import WordsAndTags, canonical_posts, read_text_posts
from reeltag.text.seeds import CONFIDENCE, SeedSummary, per_method
from reeltag.text.steps import best_method, candidates, score_methods

TAG_SIGNALS, TEXT_SIGNALS = ("hybrid", "tag2vec_io", "cooccurrence"), ("hybrid", "tag2vec_io", "cooccurrence", "text")


@dataclass(frozen=True, kw_only=True)
class RecommenderEvaluation:
    queries: dict[str, int]  # leave-one-tag-out queries on val and test
    tags: int  # vocabulary of the final (train+val) models
    test: dict[str, MethodScore]  # every method on the test queries
    ratio_to_cooccurrence: dict[str, float]  # hit@k ÷ co-occurrence hit@k
    weights: dict[str, dict[str, float]]  # the learned combinations' weights (chosen on val)
    val: dict[str, MethodScore]  # hybrid, the learned combinations and the ranker on val
    offered: str  # the best method on val among all of ``val``
    offered_tags_only: str  # the best on val among those that use the tags alone (not the post's words)
    ranker: RankerTraining  # the learned ranker (``ranker_tags``), trained on folds of the training posts
    text_method: str
    k: int
    tag2vec_workers: int  # gensim threads: 1 makes the run reproducible
    seeds: dict[str, int]  # tag2vec.seed and tag_ranker.seed of this run
    over_seeds: SeedSummary | None = None  # with ``--seeds N``: every seed's figures, their mean and t-CI


@dataclass(frozen=True, kw_only=True, eq=False)
class _Models:
    vocab: Vocabulary
    stats: TagStats
    surface: SurfaceForms
    text: object  # TextModel
    scorers: dict


def evaluate_recommenders(
    project: Project,
    train: Sequence[WordsAndTags],
    val: Sequence[WordsAndTags],
    test: Sequence[WordsAndTags],
    text_method: TextMethod,
) -> RecommenderEvaluation:
    """Tune the combinations on ``val`` with models fitted on ``train``; score everything on ``test`` once."""
    k, step = project.settings.tag2vec.eval_k, project.settings.text.fusion_step
    tuned = _fit(project, train)
    val_q, val_words = _queries(tuned, val)
    cached = _signals(tuned, val_q, val_words, text_method, range(len(val_q.targets)))
    combos = {
        "combined_tags": tune_weights(cached, val_q, TAG_SIGNALS, step, k),
        "combined_text": tune_weights(cached, val_q, TEXT_SIGNALS, step, k),
    }
    ranker, training = train_ranker(project, [tags for _, tags in train])
    val_scores = {
        "hybrid": score(ranks(tuned.scorers["hybrid"], val_q, len(tuned.vocab.tags)), k),
        **{n: c.val for n, c in combos.items()},
        "ranker_tags": score(ranker_ranks(project, ranker, tuned.stats, val_q), k),
    }
    final = _fit(project, [*train, *val])
    test_q, test_words = _queries(final, test)
    results = {name: score(ranks(fn, test_q, len(final.vocab.tags)), k) for name, fn in final.scorers.items()}
    for name, combo in combos.items():
        signals = lambda rows: _signals(final, test_q, test_words, text_method, rows)
        results[name] = score(rank_with(signals, test_q, combo.weights, len(final.vocab.tags)), k)
    results["ranker_tags"] = score(ranker_ranks(project, ranker, final.stats, test_q), k)
    cooc = results["cooccurrence"].hit_at_k
    return RecommenderEvaluation(
        queries={"val": len(val_q.targets), "test": len(test_q.targets)},
        tags=len(final.vocab.tags),
        test=results,
        ratio_to_cooccurrence={n: r.hit_at_k / cooc for n, r in results.items()},
        weights={n: c.weights for n, c in combos.items()},
        val=val_scores,
        offered=_best(val_scores),
        offered_tags_only=_best({n: r for n, r in val_scores.items() if n != "combined_text"}),
        ranker=training,
        text_method=text_method.label(),
        k=k,
        tag2vec_workers=project.settings.tag2vec.workers,
        seeds={"tag2vec": project.settings.tag2vec.seed, "tag_ranker": project.settings.tag_ranker.seed},
    )


def evaluate_recommenders_on_files(
    project: Project, train: Sequence[Path], val: Sequence[Path], test: Sequence[Path], seeds: int = 1
) -> RecommenderEvaluation:
    """Posts files read like ``reeltag ingest``; the text method is the one :mod:`reeltag.text.steps` picks on val.
    With ``seeds`` > 1 the protocol runs once per seed offset (:func:`seeded`); the first run is returned with
    ``over_seeds`` summarising them all."""
    posts = distinct_posts(project, (train, val, test))
    methods = {m.label(): m for m in candidates(project.settings)}
    chosen = best_method(score_methods(project.settings, posts[0], posts[1], tuple(methods.values())), learned=True)
    train_posts, val_posts, test_posts = posts
    runs = [
        evaluate_recommenders(seeded(project, i), train_posts, val_posts, test_posts, text_method=methods[chosen])
        for i in range(seeds)
    ]
    return runs[0] if seeds == 1 else replace(runs[0], over_seeds=summarise(runs, tuple(range(seeds))))


def distinct_posts(project: Project, splits: Sequence[Sequence[Path]]) -> list[list[WordsAndTags]]:
    """Each split's posts, a copy of a post of an earlier split left out (as ingesting the splits in this order
    leaves it out of the corpus store: a test post that repeats a training post would leak)."""
    seen: set[str] = set()
    settings = project.settings
    rules, max_tags = tag_rules(settings.corpus), settings.corpus.max_tags_per_post
    return [read_text_posts([Path(f) for f in files], rules, max_tags, seen) for files in splits]


def seeded(project: Project, offset: int) -> Project:
    """The project with ``tag2vec.seed`` and ``tag_ranker.seed`` advanced by ``offset`` (0: unchanged)."""
    if offset == 0:
        return project
    s = project.settings
    return project.with_settings(tag2vec={"seed": s.tag2vec.seed + offset}, tag_ranker={"seed": s.tag_ranker.seed + offset})


def summarise(runs: Sequence[RecommenderEvaluation], offsets: tuple[int, ...]) -> SeedSummary:
    """Every method's ratio to co-occurrence and hit@k over the runs: values, mean and Student-t CI."""
    return SeedSummary(
        offsets=offsets,
        tag2vec_seeds=tuple(r.seeds["tag2vec"] for r in runs),
        ranker_seeds=tuple(r.seeds["tag_ranker"] for r in runs),
        confidence=CONFIDENCE,
        ratio_to_cooccurrence=per_method([r.ratio_to_cooccurrence for r in runs]),
        hit_at_k=per_method([{n: m.hit_at_k for n, m in r.test.items()} for r in runs]),
        offered_tags_only=tuple(r.offered_tags_only for r in runs),
    )


def _best(pool: dict[str, MethodScore]) -> str:
    return max(pool, key=lambda n: (pool[n].hit_at_k, pool[n].mrr_at_k))


def _fit(project: Project, posts: Sequence[WordsAndTags]) -> _Models:
    tags = fit_tag_models(project, [t for _, t in posts])
    canonical = canonical_posts(posts, tags.surface)
    text = fit_text_model(canonical, tags.vocab.tags, project.settings.text.min_word_count)
    pseudo_count = project.settings.tag2vec.hybrid_pseudo_count
    return _Models(
        vocab=tags.vocab,
        stats=tags.stats(pseudo_count),
        surface=tags.surface,
        text=text,
        scorers=scorers(tags.vocab, tags.space, pseudo_count),
    )


def _queries(models: _Models, posts: Sequence[WordsAndTags]) -> tuple[Queries, list[tuple[str, ...]]]:
    """Leave-one-tag-out queries of each post (:func:`reeltag.tag2vec.evaluate.make_queries`) and their post's words."""
    contexts: list[tuple[int, ...]] = []
    targets: list[int] = []
    words: list[tuple[str, ...]] = []
    n_posts = 0
    for post_words, tags in canonical_posts(posts, models.surface):
        one = make_queries([tags], models.vocab)
        contexts.extend(one.contexts)
        targets.extend(one.targets.tolist())
        words.extend([post_words] * len(one.targets))
        n_posts += one.posts
    return Queries(tuple(contexts), np.array(targets, dtype=np.int64), n_posts), words


def _signals(
    models: _Models, queries: Queries, words: Sequence[tuple[str, ...]], text_method: TextMethod, rows: Sequence[int]
) -> dict[str, np.ndarray]:
    rows = list(rows)
    contexts = [queries.contexts[r] for r in rows]
    out = {name: models.scorers[name](contexts).astype(np.float32) for name in TAG_SIGNALS}
    out["text"] = models.text.scores(text_method, [words[r] for r in rows]).astype(np.float32)  # type: ignore[attr-defined]
    return out
