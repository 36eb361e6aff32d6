"""Text-branch steps: ``evaluate_text_branch`` (train → choose on val → train+val → test, on posts files) and
``train_text_model`` (the model ``suggest --text`` uses, saved under ``data/models/text/``).

The method is always chosen on validation posts; test posts are scored once, by the chosen method and the
baselines (popularity and the better word co-occurrence baseline on val). With ``text.encoder`` set, the
encoder's methods (:mod:`reeltag.text.encoder_choice`) compete too, and test also scores the best word method.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

from reeltag.config import Settings
from reeltag.corpus.steps import tag_rules
from reeltag.corpus.tags import SurfaceForms
from reeltag.project import Project
from reeltag.text.embedding_cache import EmbeddingCache
from reeltag.text.encoder_choice import EncoderScorer, choose_on_val, parse_label, score_with_encoder, uses_encoder
from reeltag.text.encoder_model import ENCODER_FILE, build_scorer, load_encoder_part, save_encoder_part, text_embeddings
from reeltag.text.metrics import TextScore, make_text_queries, score_text
from reeltag.text.model import (
    TextMethod,
    TextModel,
    fit_text_model,
    load_text_model,
    save_text_model,
)
from reeltag.text.post_words import (
    WordsAndTags,
    canonical_posts,
    read_text_posts,
    tag_vocabulary,
)
from reeltag.text.sentence_encoder import NO_ENCODER

MODEL_FILE = "text_model.npz"
BASELINES = (TextMethod(name="cooccurrence"), TextMethod(name="conditional"))


@dataclass(frozen=True, kw_only=True)
class TextEvaluation:
    posts: dict[str, int]  # distinct posts with a hashtag per split
    queries: dict[str, int]  # posts with a word and a hashtag (scored)
    tags: int  # tag vocabulary of the final (train+val) model
    val: dict[str, TextScore]  # every candidate method on val
    test: dict[str, TextScore]  # popularity, the chosen baseline and the chosen method on test
    chosen: str
    baseline: str
    word_method: str = ""  # the best word-model method on val ("today's model"; = chosen without an encoder)
    encoder: str = "none"  # the sentence encoder whose methods competed (text.encoder), named with its weights
    encoded_texts: int = 0  # texts the encoder embedded in this run (the rest came from the cache)


@dataclass(frozen=True, kw_only=True)
class TextModelTrained:
    path: Path
    method: str
    posts: int
    words: int
    tags: int
    val: dict[str, TextScore]
    encoder: str = "none"  # the sentence encoder the saved model scores with ("none": the word model alone)


def candidates(settings: Settings) -> tuple[TextMethod, ...]:
    learned = [TextMethod(name="centroid", param=b) for b in settings.text.centroid_betas]
    learned += [TextMethod(name="knn", param=float(k)) for k in settings.text.knn_grid]
    return (TextMethod(name="popularity"), *BASELINES, *learned)


def evaluate_text_branch(project: Project, train: Sequence[Path], val: Sequence[Path], test: Sequence[Path]) -> TextEvaluation:
    """Choose the text method (and the word co-occurrence baseline) on ``val``, then score test once."""
    train_posts, val_posts, test_posts = (read_posts(project.settings, files) for files in (train, val, test))
    val_scores = score_methods(project.settings, train_posts, val_posts, candidates(project.settings))
    word, baseline = best_method(val_scores, learned=True), best_method(val_scores, learned=False)
    methods = {m.label(): m for m in candidates(project.settings)}
    final = [TextMethod(name="popularity"), methods[baseline], methods[word]]
    embeddings = text_embeddings(project)
    if embeddings is None:
        test_scores, chosen = score_methods(project.settings, train_posts + val_posts, test_posts, final), word
    else:
        scorer = _encoder_scorer(project.settings, embeddings, train_posts, methods[word])
        encoder_val, chosen = choose_on_val(project.settings.text, scorer, scorer_posts(scorer, val_posts), val_scores)
        val_scores = {**val_scores, **encoder_val}
        final += [parse_label(chosen)] if chosen != word else []
        scorer = _encoder_scorer(project.settings, embeddings, train_posts + val_posts, methods[word])
        test_scores = score_with_encoder(scorer, scorer_posts(scorer, test_posts), final)
    sizes = {"train": len(train_posts), "val": len(val_posts), "test": len(test_posts)}
    queries = {"val": next(iter(val_scores.values())).posts, "test": next(iter(test_scores.values())).posts}
    tags = len(tag_vocabulary(train_posts + val_posts, project.settings.tag2vec.min_count))
    return TextEvaluation(
        posts=sizes,
        queries=queries,
        tags=tags,
        val=val_scores,
        test=test_scores,
        chosen=chosen,
        baseline=baseline,
        word_method=word,
        encoder=embeddings.name if embeddings is not None else NO_ENCODER,
        encoded_texts=embeddings.encoded if embeddings is not None else 0,
    )


def _encoder_scorer(settings: Settings, embeddings: EmbeddingCache, posts: list[WordsAndTags], word: TextMethod) -> EncoderScorer:
    return build_scorer(_fit(settings, posts), word, embeddings, posts, settings.text.script_bonus)


def scorer_posts(scorer: EncoderScorer, posts: list[WordsAndTags]) -> list[WordsAndTags]:
    """Held-out posts with their tags in the scorer's surface forms."""
    assert scorer.surface is not None
    return canonical_posts(posts, scorer.surface)


def train_text_model(project: Project, files: Sequence[Path]) -> TextModelTrained:
    """Choose the method on a seeded validation share of the posts, refit on all of them, save the model."""
    posts = read_posts(project.settings, files)
    fit_part, val_part = _seeded_split(posts, project.settings.text.val_fraction, project.settings.text.seed)
    val_scores = score_methods(project.settings, fit_part, val_part, candidates(project.settings))
    chosen = {m.label(): m for m in candidates(project.settings)}[best_method(val_scores, learned=True)]
    word, embeddings = chosen, text_embeddings(project)
    if embeddings is not None:
        scorer = _encoder_scorer(project.settings, embeddings, fit_part, word)
        encoder_val, label = choose_on_val(project.settings.text, scorer, scorer_posts(scorer, val_part), val_scores)
        val_scores, chosen = {**val_scores, **encoder_val}, parse_label(label) if label != word.label() else word
    model = _fit(project.settings, posts)
    path = save_text_model(model, chosen, text_model_path(project))
    encoder_path = path.with_name(ENCODER_FILE)
    if embeddings is not None and uses_encoder(chosen):
        scorer = build_scorer(model, word, embeddings, posts, project.settings.text.script_bonus)
        save_encoder_part(scorer, chosen, spec=project.settings.text.encoder, name=embeddings.name, path=encoder_path)
    else:
        encoder_path.unlink(missing_ok=True)  # a stale encoder part must not outlive the model it belonged to
    return TextModelTrained(
        path=path,
        method=chosen.label(),
        posts=model.posts.shape[0],
        words=len(model.words),
        tags=len(model.tags),
        val=val_scores,
        encoder=embeddings.name if embeddings is not None and uses_encoder(chosen) else NO_ENCODER,
    )


def text_model_path(project: Project) -> Path:
    """Where ``reeltag text train`` saves the text model."""
    return project.paths.models / "text" / MODEL_FILE


def load_project_text_model(project: Project) -> tuple[TextModel | EncoderScorer, TextMethod] | None:
    """The model ``reeltag text train`` saved (with its encoder when an encoder method was chosen), or None."""
    path = text_model_path(project)
    if not path.is_file():
        return None
    model, method = load_text_model(path)
    if not uses_encoder(method):
        return model, method
    return load_encoder_part(project, model, method, path.with_name(ENCODER_FILE))


def read_posts(settings: Settings, files: Sequence[Path]) -> list[WordsAndTags]:
    return read_text_posts([Path(f) for f in files], tag_rules(settings.corpus), settings.corpus.max_tags_per_post)


def _fit(settings: Settings, posts: list[WordsAndTags]) -> TextModel:
    surface = SurfaceForms.fit(tags for _, tags in posts)
    canonical = canonical_posts(posts, surface)
    vocabulary = tag_vocabulary(canonical, settings.tag2vec.min_count)
    return fit_text_model(canonical, vocabulary, settings.text.min_word_count)


def score_methods(
    settings: Settings, fit_posts: list[WordsAndTags], eval_posts: list[WordsAndTags], methods: Sequence[TextMethod]
) -> dict[str, TextScore]:
    model = _fit(settings, fit_posts)
    surface = SurfaceForms.fit(tags for _, tags in fit_posts)
    queries = make_text_queries(canonical_posts(eval_posts, surface), model.tags)
    return {m.label(): score_text(partial(model.scores, m), queries) for m in methods}


def best_method(scores: dict[str, TextScore], learned: bool) -> str:
    """The best learned method (centroid/knn) or the best word co-occurrence baseline, by hit@10 then MRR@10."""
    baseline_names = {m.label() for m in BASELINES}
    pool = [n for n in scores if (n in baseline_names) != learned and n != "popularity"]
    return max(pool, key=lambda n: (scores[n].hit_at_10, scores[n].mrr_at_10))


def _seeded_split(posts: list[WordsAndTags], fraction: float, seed: int) -> tuple[list[WordsAndTags], list[WordsAndTags]]:
    held = np.random.default_rng(seed).random(len(posts)) < fraction
    return [p for p, h in zip(posts, held) if not h], [p for p, h in zip(posts, held) if h]
