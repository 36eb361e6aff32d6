"""A free text (title, description, post) → its words and the hashtags written in it (pure).

Hashtags are normalised like the corpus (:func:`reeltag.corpus.tags.normalise_tags`); words are the
lower-cased letter runs left after hashtags, @mentions and links are removed. A text that cannot be used
(empty, too long, no word and no hashtag: emoji or punctuation only) comes back empty with a ``note``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reeltag.corpus.tags import TagRules, extract_hashtags, normalise_tags, repair_text

MAX_TEXT_CHARS = 5_000  # a title or description longer than this is not one (a pasted page, a log)
_REMOVED = re.compile(r"#\w+|@\w+|https?://\S+|www\.\S+")
_WORD = re.compile(r"[^\W\d_]{2,}")


@dataclass(frozen=True, kw_only=True)
class TextInput:
    """What a text offers: its ``words`` (hashtags removed), its normalised ``hashtags`` and why it offers
    nothing (``note``, empty when it is usable)."""

    words: tuple[str, ...]
    hashtags: tuple[str, ...]
    note: str = ""

    @property
    def usable(self) -> bool:
        return bool(self.words or self.hashtags)


def text_words(text: str) -> list[str]:
    """Lower-case words of an already repaired text, without hashtags, @mentions and links."""
    return _WORD.findall(_REMOVED.sub(" ", text).lower())


def read_text(text: str | None, rules: TagRules, max_tags: int = 30, max_chars: int = MAX_TEXT_CHARS) -> TextInput:
    """Words and hashtags of one text; an unusable text gives an empty input with a one-line note."""
    if text is None or not str(text).strip():
        return TextInput(words=(), hashtags=(), note="no text")
    if len(text) > max_chars:
        return TextInput(words=(), hashtags=(), note=f"text of {len(text):,} characters ignored (at most {max_chars:,})")
    repaired = repair_text(str(text))
    tags, _ = normalise_tags(extract_hashtags(repaired), rules, max_tags)
    found = TextInput(words=tuple(text_words(repaired)), hashtags=tuple(tags))
    if not found.usable:
        return TextInput(words=(), hashtags=(), note="text has no word and no hashtag (only emoji, digits or punctuation)")
    return found
