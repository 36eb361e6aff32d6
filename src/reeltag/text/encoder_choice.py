"""The encoder's methods scored beside the word model's (pure numpy): ``encoder(a)``, ``encoder-knn(k)`` and
``fused(λ)`` (the chosen word method + λ × the best encoder method on validation), each a
:class:`~reeltag.text.model.TextMethod` whose ``base`` names what it combines.

``score_with_encoder`` scores a list of such methods on held-out posts; :func:`encoder_methods` lists the ones
``text.encoder_*`` settings ask for. Nothing here loads the encoder: vectors come from an ``embed`` callable
(an :class:`~reeltag.text.embedding_cache.EmbeddingCache`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np

from reeltag.config import TextSection
from reeltag.corpus.tags import SurfaceForms
from reeltag.text.encoded import Embed, EncodedTags, encoder_scores, fit_encoded_tags, fused_scores, post_text
from reeltag.text.metrics import TextScore, make_text_queries, score_text
from reeltag.text.model import TextMethod, TextModel

Posts = Sequence[tuple[Sequence[str], Sequence[str]]]
ENCODER_ONLY = ("encoder", "encoder-knn")


@dataclass(frozen=True, kw_only=True, eq=False)
class EncoderScorer:
    """Everything a method needs to score texts: the word model, its method and the encoded tags."""

    model: TextModel
    word: TextMethod
    tags: EncodedTags
    embed: Embed
    surface: SurfaceForms  # the fit posts' tag surface forms (held-out posts' tags are read through them)

    def scores(self, method: TextMethod, texts: Sequence[Sequence[str]]) -> np.ndarray:
        if method.name not in (*ENCODER_ONLY, "fused"):
            return self.model.scores(method, texts)
        queries = self.embed([post_text(t) for t in texts])
        if method.name in ENCODER_ONLY:
            return encoder_scores(self.tags, method.name, method.param, queries)
        base = parse_label(method.base)
        return fused_scores(
            self.model.scores(self.word, texts), encoder_scores(self.tags, base.name, base.param, queries), method.param
        )


def encoder_methods(section: TextSection, best_encoder: TextMethod | None = None) -> tuple[TextMethod, ...]:
    """The encoder-only methods, or (given the best of them) the fused ones."""
    if best_encoder is not None:
        return tuple(TextMethod(name="fused", param=w, base=best_encoder.label()) for w in section.encoder_fusion_weights)
    alone = [TextMethod(name="encoder", param=a) for a in section.encoder_name_weights]
    return (*alone, *(TextMethod(name="encoder-knn", param=float(k)) for k in section.knn_grid))


def parse_label(label: str) -> TextMethod:
    """``name(param)`` or ``name(param)[base]`` → the method (the inverse of ``TextMethod.label``)."""
    head, _, base = label.partition("[")
    name, _, rest = head.partition("(")
    return TextMethod(name=name, param=float(rest.rstrip(")") or 0.0), base=base.removesuffix("]"))


def make_scorer(model: TextModel, word: TextMethod, embed: Embed, fit_posts: Posts, surface: SurfaceForms) -> EncoderScorer:
    """The tags of ``model`` encoded from ``fit_posts`` (already in ``surface`` forms)."""
    tags = fit_encoded_tags(embed, fit_posts, model.tags, model.tag_prior)
    return EncoderScorer(model=model, word=word, tags=tags, embed=embed, surface=surface)


def score_with_encoder(scorer: EncoderScorer, eval_posts: Posts, methods: Sequence[TextMethod]) -> dict[str, TextScore]:
    """Each method's P@5 / hit@10 / MRR@10 on the posts (their texts are embedded once, up front)."""
    queries = make_text_queries(eval_posts, scorer.model.tags)
    scorer.embed([post_text(t) for t in queries.texts])
    return {m.label(): score_text(partial(scorer.scores, m), queries) for m in methods}


def choose_on_val(
    section: TextSection, scorer: EncoderScorer, val_posts: Posts, word_scores: dict[str, TextScore]
) -> tuple[dict[str, TextScore], str]:
    """Every encoder method, then the fused ones over the best of them, on val; the best of all (word method
    included) by hit@10 then MRR@10."""
    alone = score_with_encoder(scorer, val_posts, encoder_methods(section))
    best = max(alone, key=partial(_rank, alone))
    fused = score_with_encoder(scorer, val_posts, encoder_methods(section, parse_label(best)))
    pool = {scorer.word.label(): word_scores[scorer.word.label()], **alone, **fused}
    return {**alone, **fused}, max(pool, key=partial(_rank, pool))


def _rank(scores: dict[str, TextScore], name: str) -> tuple[float, float]:
    return scores[name].hit_at_10, scores[name].mrr_at_10
