"""The text branch's scores over the candidate tags of ``suggest`` (pure numpy).

Per video: the text model's scores of its words (aligned onto the candidates), plus, when hashtags are written
in the text, their Tag2Vec expansion (the best cosine to any written tag); the written tags themselves rank
first. A video whose text offers nothing gets a zero row and a note, so fusion ranks it by the visual branches.
Each video also gets a ``confidence`` in [0, 1] that fusion multiplies its z-scores by: 1 with written hashtags,
else the total-variation distance between the text model's tag distribution for the words and the tags'
popularity (a generic text such as "check this out" predicts about the popular tags and counts little), 0 without
a usable text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from reeltag.ranking import zscore_rows
from reeltag.text.encoder_choice import EncoderScorer, encoder_part, uses_encoder
from reeltag.text.model import TextMethod, TextModel
from reeltag.text.words import TextInput

UNKNOWN_WORDS = "no word of the text is known to the text model (another language or script?)"


@dataclass(frozen=True, kw_only=True)
class TextBranch:
    scores: np.ndarray  # (videos, candidates); a zero row where the text offered nothing
    notes: tuple[str, ...]  # per video: why its text was not used ("" when it was)
    confidence: np.ndarray  # (videos,) in [0, 1]


def candidate_columns(model_tags: Sequence[str], keys: Sequence[str], normalise: Callable[[str], str | None]) -> np.ndarray:
    """Candidate column of each text-model tag (−1 when it is no candidate)."""
    col = {k: i for i, k in enumerate(keys)}
    return np.array([col.get(normalise(t) or "", -1) for t in model_tags], dtype=np.int64)


def text_branch(
    model: TextModel | EncoderScorer | None,
    method: TextMethod | None,
    texts: Sequence[TextInput],
    keys: Sequence[str],
    normalise: Callable[[str], str | None],
    vectors: np.ndarray,
) -> TextBranch:
    """Scores (videos × candidates) of the text branch and a note per video."""
    out, confidence, notes = np.zeros((len(texts), len(keys))), np.zeros(len(texts)), []
    columns = candidate_columns(model.tags, keys, normalise) if model is not None else np.zeros(0, np.int64)
    col = {k: i for i, k in enumerate(keys)}
    for row, text in enumerate(texts):
        words, confidence[row] = _word_scores(model, method, text, columns, len(keys))
        written = sorted({col[k] for k in (normalise(t) for t in text.hashtags) if k in col})
        notes.append(_note(text, words is not None, written, model is not None))
        parts = [p for p in (words, _expansion(vectors, written)) if p is not None]
        if parts:
            out[row] = zscore_rows(np.stack(parts)).sum(axis=0)
            out[row, written] = out[row].max() + 1.0
        confidence[row] = 1.0 if written else confidence[row]
    return TextBranch(scores=out, notes=tuple(notes), confidence=confidence)


LoadedText = tuple["TextModel | EncoderScorer", TextMethod]


def split_encoder(text_model: LoadedText | None) -> tuple[LoadedText | None, EncoderScorer | None]:
    """(the word model and its method, the encoder scorer) of a loaded text model: with an encoder method, the text
    branch scores with the words alone and the encoder becomes the fusion's own ``encoder`` branch."""
    if text_model is None or not isinstance(text_model[0], EncoderScorer) or not uses_encoder(text_model[1]):
        return text_model, None
    scorer = text_model[0]
    return (scorer.model, scorer.word), scorer


def encoder_branch(
    scorer: EncoderScorer,
    method: TextMethod,
    texts: Sequence[TextInput],
    keys: Sequence[str],
    normalise: Callable[[str], str | None],
) -> TextBranch:
    """The encoder's own scores on the candidates (no word model, no written hashtags); confidence as the text
    branch's (how far from popularity), 0 for a text without words."""
    alone, columns = encoder_part(method), candidate_columns(scorer.tags, keys, normalise)
    out, confidence = np.zeros((len(texts), len(keys))), np.zeros(len(texts))
    for row, text in enumerate(texts):
        scores, confidence[row] = _word_scores(scorer, alone, text, columns, len(keys))
        out[row] = scores if scores is not None else 0.0
    return TextBranch(
        scores=out, notes=tuple("" if t.words else "no words for the encoder" for t in texts), confidence=confidence
    )


def _word_scores(
    model: TextModel | EncoderScorer | None, method: TextMethod | None, text: TextInput, columns: np.ndarray, width: int
) -> tuple[np.ndarray | None, float]:
    """The words' scores on the candidate columns and their confidence (0 when no word is known)."""
    if model is None or method is None or not model.known_words(text.words):
        return None, 0.0
    scores = model.scores(method, [text.words])[0]
    row = np.full(width, float(scores.min()))
    keep = columns >= 0
    np.maximum.at(row, columns[keep], scores[keep])
    return row, departure_from_popularity(scores, model.tag_counts)


def departure_from_popularity(scores: np.ndarray, counts: np.ndarray) -> float:
    """Total-variation distance between the scores (as a distribution over tags) and the tags' popularity."""
    p = np.maximum(scores, 0.0)
    prior = np.maximum(counts, 0.0)
    if p.sum() <= 0 or prior.sum() <= 0:
        return 0.0
    return float(0.5 * np.abs(p / p.sum() - prior / prior.sum()).sum())


def _expansion(vectors: np.ndarray, written: Sequence[int]) -> np.ndarray | None:
    return (vectors @ vectors[list(written)].T).max(axis=1) if written else None


def _note(text: TextInput, used_words: bool, written: Sequence[int], has_model: bool) -> str:
    if text.note:
        return text.note
    if used_words or written:
        return ""
    if not has_model and text.words:
        return "no text model (run `reeltag text train POSTS...`); written hashtags none in the vocabulary"
    return UNKNOWN_WORDS if text.words else "its hashtags are not in the Tag2Vec vocabulary"
