"""The text model with its encoder: the embeddings cache a project uses, the scorer built from posts, and its
file beside the word model (``text_encoder.npz``: which encoder, the chosen method's base and the encoded tags;
no pickle). ``reeltag text train`` writes it when an encoder method won on validation and removes it otherwise,
so ``suggest`` scores with exactly what was chosen.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

from reeltag.corpus.tags import SurfaceForms
from reeltag.errors import BadInput
from reeltag.io import atomic_path
from reeltag.text.embedding_cache import EmbeddingCache
from reeltag.text.encoded import EncodedTags
from reeltag.text.encoder_choice import EncoderScorer, make_scorer
from reeltag.text.model import TextMethod, TextModel
from reeltag.text.post_words import WordsAndTags, canonical_posts
from reeltag.text.sentence_encoder import load_encoder

if TYPE_CHECKING:
    from reeltag.project import Project

ENCODER_FILE = "text_encoder.npz"


def text_embeddings(project: Project, spec: str | None = None, on_disk: bool = True) -> EmbeddingCache | None:
    """The encoder ``spec`` (default ``text.encoder``) behind a cache, kept under ``data/features/text/`` when
    ``on_disk`` (training and evaluation: many posts), in memory only otherwise (a request's few texts); None for
    ``none``."""
    encoder = load_encoder(spec or project.settings.text.encoder, project.settings.text.encoder_threads)
    if encoder is None:
        return None
    folder = project.paths.features / "text" if on_disk else None
    return EmbeddingCache(name=encoder.name, encode=encoder.encode, folder=folder)


def build_scorer(
    model: TextModel, word: TextMethod, embeddings: EmbeddingCache, posts: Sequence[WordsAndTags], script_bonus: float
) -> EncoderScorer:
    """``model`` (fitted on ``posts``) with its tags encoded from the same posts."""
    surface = SurfaceForms.fit(tags for _, tags in posts)
    canonical = canonical_posts(posts, surface)
    return make_scorer(
        model, word, embeddings.embed, canonical, surface=surface, encoder=embeddings.name, script_bonus=script_bonus
    )


def save_encoder_part(scorer: EncoderScorer, method: TextMethod, *, spec: str, name: str, path: Path) -> Path:
    """The encoded tags and which encoder made them, beside the word model."""
    t = scorer.encoded
    arrays = {
        "spec": np.array([spec]),
        "name": np.array([name]),
        "word": np.array([scorer.word.label()]),
        "base": np.array([method.base]),
        "weights": np.array(method.weights, dtype=np.float64),
        "names": t.names.astype(np.float16),
        "centroids": t.centroids.astype(np.float16),
        "posts": t.posts.astype(np.float16),
        "tags_data": t.post_tags.data,
        "tags_indices": t.post_tags.indices,
        "tags_indptr": t.post_tags.indptr,
        "prior": t.prior,
    }
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, **arrays)
    return path


def load_encoder_part(project: Project, model: TextModel, method: TextMethod, path: Path) -> tuple[EncoderScorer, TextMethod]:
    """The scorer ``text train`` saved; its encoder must be the one that encoded the tags."""
    from reeltag.text.encoder_choice import parse_label

    with np.load(path, allow_pickle=False) as d:
        embeddings = text_embeddings(project, str(d["spec"][0]), on_disk=False)
        if embeddings is None or embeddings.name != str(d["name"][0]):
            raise BadInput(f"{path}: tags were encoded by {d['name'][0]}, the encoder now is {embeddings and embeddings.name}")
        post_tags = sparse.csr_matrix(
            (d["tags_data"], d["tags_indices"], d["tags_indptr"]), shape=(len(d["posts"]), len(model.tags))
        )
        tags = EncodedTags(
            tags=model.tags,
            names=d["names"].astype(np.float32),
            centroids=d["centroids"].astype(np.float32),
            posts=d["posts"].astype(np.float32),
            post_tags=post_tags,
            prior=d["prior"],
        )
        word, base, weights = parse_label(str(d["word"][0])), str(d["base"][0]), tuple(float(w) for w in d["weights"])
    scorer = EncoderScorer(
        model=model,
        word=word,
        encoded=tags,
        embed=embeddings.embed,
        surface=None,
        encoder=embeddings.name,
        script_bonus=project.settings.text.script_bonus,
    )
    return scorer, TextMethod(name=method.name, param=method.param, base=base, weights=weights)
