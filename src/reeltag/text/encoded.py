"""Text → tags by a pretrained sentence encoder (pure numpy over vectors the encoder made once).

Each candidate tag gets two vectors: its *name* (the words split from the tag, ``newyorkcity`` → ``new york
city``, by the posts' word frequencies) and the *centroid* of the training posts that carry it. A text is scored
against them by cosine. Methods:

- ``encoder(a)``: cosine to ``a``·name + (1 − a)·centroid;
- ``encoder-knn(k)``: tags of the ``k`` training posts nearest by cosine, weighted by it;
- ``fused(λ1,λ2)``: the word model's z-scores + λ1 × the best ``encoder-knn``'s + λ2 × the best ``encoder``'s
  (each best and the λs chosen on validation).

Every score adds the word model's tiny popularity term, so ties break towards frequent tags. A multilingual
encoder is cross-lingual: a Japanese post about ramen lies near ``#ramen`` as well as ``#ラーメン``. With
``text.script_bonus`` > 0, :func:`prefer_script` adds that many z-units to the tags written in the text's own
script (:func:`script_of`: Latin, CJK (Han and kana), Hangul, Arabic, …), so a post gets tags in its script first.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from reeltag.ranking import top_k, unit_rows, zscore_rows

Embed = Callable[[Sequence[str]], np.ndarray]
Post = tuple[Sequence[str], Sequence[str]]  # (words, tags)
_PARTS = re.compile(r"[^\W\d_]+|\d+")
_CJK = ("CJK", "HIRAGANA", "KATAKANA")
_SCRIPTS = ("HANGUL", "LATIN", "ARABIC", "CYRILLIC", "GREEK", "HEBREW", "THAI", "DEVANAGARI")
MAX_WORD = 24


@dataclass(frozen=True, kw_only=True, eq=False)
class EncodedTags:
    tags: tuple[str, ...]
    names: np.ndarray  # (T, D) unit vectors of each tag's words
    centroids: np.ndarray  # (T, D) unit mean vector of the training posts carrying it (0 when none)
    posts: np.ndarray  # (P, D) unit vectors of the training posts
    post_tags: sparse.csr_matrix  # (P, T) 0/1
    prior: np.ndarray  # (T,) tiny popularity term

    def blended(self, name_weight: float) -> np.ndarray:
        return unit_rows(name_weight * self.names + (1.0 - name_weight) * self.centroids)

    def knn(self, queries: np.ndarray, k: int) -> np.ndarray:
        idx, near = top_k(queries @ self.posts.T, k)
        if idx.size == 0:
            return np.zeros((len(queries), len(self.tags)), np.float32)
        indptr = np.arange(0, idx.size + 1, idx.shape[1])
        weights = sparse.csr_matrix((np.maximum(near, 0.0).ravel(), idx.ravel(), indptr), shape=(len(queries), len(self.posts)))
        return np.asarray((weights @ self.post_tags).todense(), dtype=np.float32)


def post_text(words: Sequence[str]) -> str:
    """What the encoder reads of a post: its words (hashtags, mentions and links already removed)."""
    return " ".join(words)


def fit_encoded_tags(embed: Embed, posts: Sequence[Post], tags: Sequence[str], prior: np.ndarray) -> EncodedTags:
    """Tag vectors from the posts (those with a word and a tag in ``tags``) and the tags' split words."""
    col = {t: i for i, t in enumerate(tags)}
    kept = [(w, [col[t] for t in dict.fromkeys(ts) if t in col]) for w, ts in posts if w]
    kept = [(w, ts) for w, ts in kept if ts]
    indptr = np.cumsum([0] + [len(ts) for _, ts in kept])
    columns = np.fromiter((c for _, ts in kept for c in ts), dtype=np.int64, count=int(indptr[-1]))
    post_tags = sparse.csr_matrix((np.ones(len(columns), np.float32), columns, indptr), shape=(len(kept), len(tags)))
    df = Counter(word for w, _ in posts for word in set(w))
    names = embed([" ".join(split_tag(t, df)) for t in tags])
    vectors = embed([post_text(w) for w, _ in kept]) if kept else np.zeros((0, names.shape[1]), np.float32)
    centroids = unit_rows(np.asarray(post_tags.T @ vectors)) if kept else np.zeros_like(names)
    return EncodedTags(tags=tuple(tags), names=names, centroids=centroids, posts=vectors, post_tags=post_tags, prior=prior)


def split_tag(tag: str, df: Counter[str]) -> list[str]:
    """The tag's words: letter and digit runs, each letter run cut into the likeliest known words (Viterbi over
    word frequencies; an unknown stretch stays whole)."""
    return [w for part in _PARTS.findall(tag) for w in (_segment(part, df) if not part.isdigit() else [part])]


def _segment(text: str, df: Counter[str]) -> list[str]:
    total = float(sum(df.values())) or 1.0
    cost = lambda w: -math.log(df[w] / total) if df.get(w, 0) > 0 and len(w) > 1 else 10.0 + 3.0 * len(w)
    best: list[tuple[float, int]] = [(0.0, 0)]
    for end in range(1, len(text) + 1):
        best.append(min((best[s][0] + cost(text[s:end]), s) for s in range(max(0, end - MAX_WORD), end)))
    words, end = [], len(text)
    while end > 0:
        start = best[end][1]
        words.append(text[start:end])
        end = start
    return words[::-1]


def encoder_scores(tags: EncodedTags, method: str, param: float, queries: np.ndarray) -> np.ndarray:
    """(len(queries), T) scores of ``encoder`` (param: name weight) or ``encoder-knn`` (param: k)."""
    if method == "encoder-knn":
        return tags.knn(queries, int(param)) + tags.prior
    return queries @ tags.blended(param).T + tags.prior


def fused_scores(word: np.ndarray | None, encoded: Sequence[np.ndarray], weights: Sequence[float]) -> np.ndarray:
    """z-scored word scores (none: the encoder's alone) + Σ ``weights`` × z-scored encoder scores (row by row)."""
    out = zscore_rows(word) if word is not None else np.zeros_like(encoded[0], dtype=np.float64)
    for scores, weight in zip(encoded, weights, strict=True):
        out += weight * zscore_rows(scores) if weight else 0.0
    return out


def script_of(text: str) -> str:
    """The script most of the text's letters are written in ("" when it has none); Han and kana count as one
    (``cjk``), full- and half-width forms as their script."""
    counts: Counter[str] = Counter(_letter_script(ch) for ch in text if ch.isalpha())
    return counts.most_common(1)[0][0] if counts else ""


def _letter_script(ch: str) -> str:
    name = unicodedata.name(ch, "")
    if any(s in name for s in _CJK):
        return "cjk"
    return next((s.lower() for s in _SCRIPTS if s in name), name.split(" ")[0].lower())


def prefer_script(scores: np.ndarray, text_scripts: Sequence[str], tag_scripts: Sequence[str], bonus: float) -> np.ndarray:
    """z-scores of each row plus ``bonus`` for the tags in that text's script (unchanged when ``bonus`` is 0)."""
    if not bonus:
        return scores
    same = np.asarray(text_scripts)[:, None] == np.asarray(tag_scripts)[None, :]
    return zscore_rows(np.asarray(scores, dtype=np.float64)) + bonus * same
