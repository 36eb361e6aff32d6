"""Skip-gram Word2Vec over hashtag sentences: the only gensim import.

Training goes through gensim's ``corpus_file`` path when ``tag2vec.corpus_file`` is on (it releases the GIL
for every worker; bench P3 measures both paths), else through an in-memory iterable.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from gensim.models import KeyedVectors, Word2Vec

from reeltag.config import Tag2VecSection
from reeltag.corpus.tags import SurfaceForms
from reeltag.io import atomic_path
from reeltag.paths import ProjectPaths
from reeltag.security import check_trusted
from reeltag.tag2vec.space import TagSpace

KV_FILE, MODEL_FILE = "tag2vec.kv", "word2vec.model"


def _quiet_gensim() -> None:
    """gensim logs every epoch at INFO; called when training starts (no logging set-up at import)."""
    logging.getLogger("gensim").setLevel(logging.WARNING)


def write_corpus_file(sentences: Sequence[Sequence[str]], path: Path) -> Path:
    """One sentence per line, tags separated by one space (gensim's LineSentence format)."""
    with atomic_path(path) as tmp:
        tmp.write_text("".join(" ".join(s) + "\n" for s in sentences if s), encoding="utf-8")
    return path


def _params(cfg: Tag2VecSection) -> dict[str, Any]:
    return {
        "vector_size": cfg.vector_size,
        "window": cfg.window,
        "min_count": cfg.min_count,
        "negative": cfg.negative,
        "sample": cfg.sample,
        "epochs": cfg.epochs,
        "alpha": cfg.alpha,
        "workers": cfg.workers,
        "seed": cfg.seed,
        "sg": 1,
        "hs": 0,
    }


def train_new(sentences: Sequence[Sequence[str]], cfg: Tag2VecSection, workdir: Path) -> Word2Vec:
    """A fresh skip-gram model."""
    _quiet_gensim()
    if cfg.corpus_file:
        return Word2Vec(corpus_file=str(write_corpus_file(sentences, workdir / "sentences.txt")), **_params(cfg))
    return Word2Vec(sentences=[list(s) for s in sentences if s], **_params(cfg))


def train_more(model: Word2Vec, sentences: Sequence[Sequence[str]], cfg: Tag2VecSection, workdir: Path) -> Word2Vec:
    """Add the new tags of ``sentences`` to the vocabulary and continue training (old tags are kept)."""
    _quiet_gensim()
    if cfg.corpus_file:
        path = str(write_corpus_file(sentences, workdir / "sentences-new.txt"))
        model.build_vocab(corpus_file=path, update=True)
        model.train(corpus_file=path, total_words=model.corpus_total_words, total_examples=model.corpus_count, epochs=cfg.epochs)
    else:
        items = [list(s) for s in sentences if s]
        model.build_vocab(items, update=True)
        model.train(items, total_examples=len(items), epochs=cfg.epochs)
    return model


def save_model(model: Word2Vec, folder: Path) -> None:
    """The KeyedVectors file (what users load) and the full model (what incremental training continues)."""
    folder.mkdir(parents=True, exist_ok=True)
    model.wv.save(str(folder / KV_FILE))
    model.save(str(folder / MODEL_FILE), sep_limit=1 << 40)


def load_model(folder: Path, paths: ProjectPaths, trust: bool = False) -> Word2Vec:
    """The full model (a pickle: only from the project's own stores unless ``trust``)."""
    return Word2Vec.load(str(check_trusted(folder / MODEL_FILE, paths, trust)))


def load_keyed_vectors(folder: Path, paths: ProjectPaths, trust: bool = False) -> KeyedVectors:
    """The KeyedVectors (a pickle: only from the project's own stores unless ``trust``)."""
    return KeyedVectors.load(str(check_trusted(folder / KV_FILE, paths, trust)))


def to_space(model: Word2Vec, surface: SurfaceForms, version: str = "", meta: dict[str, Any] | None = None) -> TagSpace:
    """The pure :class:`TagSpace` of a trained model."""
    wv = model.wv
    tags = tuple(wv.index_to_key)
    counts = np.array([wv.get_vecattr(t, "count") for t in tags], dtype=np.int64)
    output = np.array(model.syn1neg, dtype=np.float32) if model.negative else None
    return TagSpace(
        tags=tags,
        vectors=np.array(wv.vectors, dtype=np.float32),
        version=version,
        output_vectors=output,
        counts=counts,
        surface=surface,
        meta=dict(meta or {}),
    )
