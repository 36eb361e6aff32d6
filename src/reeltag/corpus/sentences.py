"""Frames for the contracts, hashtag sentences and the held-out split (pure pandas/numpy).

A *sentence* is the normalised tags of one post; Tag2Vec treats tags as words and posts as sentences.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from reeltag.config import CorpusSection

SENTENCE_COLUMNS = ["id", "created_at", "source", "tags", "seq"]


def posts_frame(posts: pd.DataFrame) -> pd.DataFrame:
    """The ``posts`` contract view: one row per post, tags joined by one space, ``n_tags``."""
    frame = posts[["id", "created_at", "source"]].copy()
    frame["tags"] = [" ".join(t) for t in posts["tags"]]
    frame["n_tags"] = [len(t) for t in posts["tags"]]
    return frame


def sentences_frame(posts: pd.DataFrame) -> pd.DataFrame:
    """The ``hashtag_sentences`` contract view: one row per (post, tag); a post without tags is one null row."""
    rows = []
    for pid, tags in zip(posts["id"], posts["tags"], strict=True):
        tags = list(tags)
        for position, tag in enumerate(tags or [None]):
            rows.append((pid, position, tag, len(tags)))
    return pd.DataFrame(rows, columns=["post_id", "position", "tag", "n_tags"])


def heldout_mask(sentences: pd.DataFrame, corpus: CorpusSection) -> np.ndarray:
    """True for held-out rows: whole ``heldout_sources``, else the latest (``time``) or a seeded share."""
    if corpus.heldout_sources:
        return sentences["source"].isin(corpus.heldout_sources).to_numpy()
    n_test = int(round(len(sentences) * corpus.test_fraction))
    if corpus.split == "seeded":
        order = np.random.default_rng(corpus.seed).permutation(len(sentences))
    else:
        when = sentences["created_at"].fillna("").to_numpy()
        order = np.lexsort((sentences["seq"].to_numpy(), when))
    mask = np.zeros(len(sentences), dtype=bool)
    mask[order[len(sentences) - n_test :]] = True
    return mask


def tag_lists(column: Iterable) -> list[list[str]]:
    return [list(tags) for tags in column]


def val_mask(train: pd.DataFrame, corpus: CorpusSection, fraction: float) -> np.ndarray:
    """True for the training rows that are validation posts: whole ``val_sources``, else the latest ``fraction``
    by ingestion order (``seq``)."""
    if corpus.val_sources:
        return train["source"].isin(corpus.val_sources).to_numpy()
    return latest_mask(train["seq"].to_numpy(), fraction)


def latest_mask(seq: np.ndarray, fraction: float) -> np.ndarray:
    """True for the latest ``fraction`` of rows by ``seq``."""
    mask = np.zeros(len(seq), dtype=bool)
    mask[np.argsort(seq, kind="stable")[len(seq) - int(round(len(seq) * fraction)) :]] = True
    return mask
