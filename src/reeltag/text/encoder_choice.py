"""The encoder's methods scored beside the word model's (pure numpy): ``encoder(a)``, ``encoder-knn(k)`` and
``fused(λ1,λ2)`` (the chosen word method + λ1 × the best ``encoder-knn`` + λ2 × the best ``encoder`` on
validation), each a :class:`~reeltag.text.model.TextMethod` whose ``base`` names what it combines.

``score_with_encoder`` scores a list of such methods on held-out posts; :func:`encoder_methods` lists the ones
``text.encoder_*`` settings ask for. Nothing here loads the encoder: vectors come from an ``embed`` callable
(an :class:`~reeltag.text.embedding_cache.EmbeddingCache`).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, partial

import numpy as np

from reeltag.config import TextSection
from reeltag.corpus.tags import SurfaceForms
from reeltag.text.encoded import (
    Embed,
    EncodedTags,
    encoder_scores,
    fit_encoded_tags,
    fused_scores,
    post_text,
    prefer_script,
    script_of,
)
from reeltag.text.metrics import TextScore, make_text_queries, score_text
from reeltag.text.model import TextMethod, TextModel

Posts = Sequence[tuple[Sequence[str], Sequence[str]]]
ENCODER_ONLY = ("encoder", "encoder-knn")


@dataclass(frozen=True, kw_only=True, eq=False)
class EncoderScorer:
    """Everything a method needs to score texts: the word model, its method and the encoded tags."""

    model: TextModel
    word: TextMethod
    encoded: EncodedTags
    embed: Embed
    surface: SurfaceForms | None  # the fit posts' tag surface forms (held-out posts' tags are read through them)
    encoder: str = ""  # the encoder's name (with its weights' version)
    script_bonus: float = 0.0  # z-units added to tags in the text's own script (text.script_bonus)

    @cached_property
    def tag_scripts(self) -> tuple[str, ...]:
        return tuple(script_of(t) for t in self.model.tags)

    @property
    def tags(self) -> tuple[str, ...]:
        return self.model.tags

    @property
    def tag_counts(self) -> np.ndarray:
        return self.model.tag_counts

    def known_words(self, words: Sequence[str]) -> list[int]:
        """The word model's known words; the encoder reads every word, so for it each word counts."""
        return list(range(len(words))) if self.encoder else self.model.known_words(words)

    def scores(self, method: TextMethod, texts: Sequence[Sequence[str]]) -> np.ndarray:
        if not uses_encoder(method):
            return self.model.scores(method, texts)
        queries = self.embed([post_text(t) for t in texts])
        if method.name in ENCODER_ONLY:
            scores = encoder_scores(self.encoded, method.name, method.param, queries)
        else:
            parts = [encoder_scores(self.encoded, b.name, b.param, queries) for b in map(parse_label, method.base.split("+"))]
            word = self.model.scores(self.word, texts) if method.name == "fused" else None
            scores = fused_scores(word, parts, method.weights)
        return prefer_script(scores, [script_of(post_text(t)) for t in texts], self.tag_scripts, self.script_bonus)


def uses_encoder(method: TextMethod) -> bool:
    return method.name in (*ENCODER_ONLY, "fused", "encoders")


def encoder_part(method: TextMethod) -> TextMethod:
    """What an encoder method adds to the word model (``fused`` → ``encoders``, the same sum without the words):
    the fusion's ``encoder`` branch."""
    return TextMethod(name="encoders", base=method.base, weights=method.weights) if method.name == "fused" else method


def encoder_methods(section: TextSection, best: Sequence[str] = ()) -> tuple[TextMethod, ...]:
    """The encoder-only methods, or (given the best of each kind) the fused ones: every weighting of them in
    ``text.encoder_fusion_weights`` but all zeros."""
    if best:
        grid = [w for w in itertools.product(section.encoder_fusion_weights, repeat=len(best)) if any(w)]
        return tuple(TextMethod(name="fused", base="+".join(best), weights=tuple(w)) for w in grid)
    alone = [TextMethod(name="encoder", param=a) for a in section.encoder_name_weights]
    return (*alone, *(TextMethod(name="encoder-knn", param=float(k)) for k in section.knn_grid))


def parse_label(label: str) -> TextMethod:
    """``name(param)`` or ``fused(w1,w2)[base]`` → the method (the inverse of ``TextMethod.label``)."""
    head, _, base = label.partition("[")
    name, _, rest = head.partition("(")
    params = tuple(float(x) for x in rest.rstrip(")").split(",") if x)
    if name == "fused":
        return TextMethod(name=name, base=base.removesuffix("]"), weights=params)
    return TextMethod(name=name, param=params[0] if params else 0.0)


def make_scorer(
    model: TextModel,
    word: TextMethod,
    embed: Embed,
    fit_posts: Posts,
    *,
    surface: SurfaceForms,
    encoder: str,
    script_bonus: float,
) -> EncoderScorer:
    """The tags of ``model`` encoded from ``fit_posts`` (already in ``surface`` forms)."""
    tags = fit_encoded_tags(embed, fit_posts, model.tags, model.tag_prior)
    return EncoderScorer(
        model=model, word=word, encoded=tags, embed=embed, surface=surface, encoder=encoder, script_bonus=script_bonus
    )


def score_with_encoder(scorer: EncoderScorer, eval_posts: Posts, methods: Sequence[TextMethod]) -> dict[str, TextScore]:
    """Each method's P@5 / hit@10 / MRR@10 on the posts (their texts are embedded once, up front)."""
    queries = make_text_queries(eval_posts, scorer.model.tags)
    scorer.embed([post_text(t) for t in queries.texts])
    return {m.label(): score_text(partial(scorer.scores, m), queries) for m in methods}


def choose_on_val(
    section: TextSection, scorer: EncoderScorer, val_posts: Posts, word_scores: dict[str, TextScore]
) -> tuple[dict[str, TextScore], str]:
    """Every encoder method, then the fused ones over the best of each kind, on val; the best of all (word
    method included) by hit@10 then MRR@10."""
    alone = score_with_encoder(scorer, val_posts, encoder_methods(section))
    best = [max((n for n in alone if parse_label(n).name == kind), key=partial(_rank, alone)) for kind in ENCODER_ONLY]
    fused = score_with_encoder(scorer, val_posts, encoder_methods(section, best))
    pool = {scorer.word.label(): word_scores[scorer.word.label()], **alone, **fused}
    return {**alone, **fused}, max(pool, key=partial(_rank, pool))


def _rank(scores: dict[str, TextScore], name: str) -> tuple[float, float]:
    return scores[name].hit_at_10, scores[name].mrr_at_10
