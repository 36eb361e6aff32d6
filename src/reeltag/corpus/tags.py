"""Hashtag extraction and normalisation (pure).

A raw tag becomes a *normalised surface form*: mojibake repaired (ftfy), Unicode NFKC (width: full-width ＃ and
Latin, half-width katakana), lower-case, Arabic tatweel and optional vowel marks dropped, ``#`` stripped (what is
folded and what is not, and why: docs/corpus.md, *Hashtags in any script*); it is rejected (with a reason) when it is not a word, has no letter, is too short or long, is a
stop-tag, or still looks like mojibake. Variants that share a Snowball stem are one tag, shown as their
most frequent surface form (:class:`SurfaceForms`), so ``#Cat``, ``cat`` and ``#cats`` are one tag.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import ftfy
import snowballstemmer

HASH = "#"  # NFKC (repair_text) has already made the full-width ＃ (U+FF03) and small ﹟ (U+FE5F) this one
_INVISIBLE = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]")
# Arabic tatweel (a stretching stroke) and the optional vowel marks (harakat, Quranic marks): folded away
_ARABIC_OPTIONAL = re.compile("[\u0640\u064b-\u065f\u0670\u06d6-\u06ed]")
_MOJIBAKE = re.compile(r"[\u0080-\u009f\ufffd]|[ÃÂâð][\u0080-\u00bf€™œ]|[âðÃÂ]$")


@dataclass(frozen=True)
class TagRules:
    """What a kept tag must satisfy (from ``settings.corpus``)."""

    stop_tags: frozenset[str] = frozenset()
    min_len: int = 2
    max_len: int = 40


def repair_text(text: str) -> str:
    """Undo mojibake (UTF-8 read as Latin-1 and similar), then drop invisible format characters (zero-width
    spaces and joiners, bidi controls: a tag typed with one inside is the tag you see) and apply NFKC
    (ASCII is returned as is). Mojibake goes first: byte 0xAD of an emoji read as Latin-1 is a soft hyphen,
    one of the invisible characters, and dropping it first would leave the emoji unrepairable."""
    if text.isascii():
        return text
    return unicodedata.normalize("NFKC", _INVISIBLE.sub("", ftfy.fix_text(text, normalization="NFKC")))


def is_tag_char(ch: str) -> bool:
    """A character a tag may hold: a letter or digit of any script, ``_``, or a combining mark (Devanagari and
    Thai vowel signs, Arabic harakat: without them ``\\w`` would cut such a tag at its first mark)."""
    return ch.isalnum() or ch == "_" or unicodedata.category(ch)[0] == "M"


def extract_hashtags(text: str) -> list[str]:
    """Tags written as ``#word`` in a post's (repaired) text, without ``#``, in order. A tag runs from ``#`` to the
    first character that is not a tag character (space, ideographic space after NFKC, punctuation such as 。、！
    or another ``#``), as on the platforms: Japanese written on without a space or punctuation stays in the tag."""
    found, start = [], text.find(HASH)
    while start != -1:
        end = start + 1
        while end < len(text) and is_tag_char(text[end]):
            end += 1
        if end > start + 1:
            found.append(text[start + 1 : end])
        start = text.find(HASH, max(end, start + 1))
    return found


def split_tag_field(value: object) -> list[str]:
    """A ``hashtags`` field: a list, or a string separated by spaces/commas; ``#`` optional."""
    items = value if isinstance(value, (list, tuple)) else re.split(r"[\s,;]+", str(value))
    return [str(item).strip() for item in items if str(item).strip()]


def normalise_tag(raw: str, rules: TagRules) -> tuple[str | None, str]:
    """``(tag, "")`` when kept, ``(None, reason)`` when rejected."""
    tag = _ARABIC_OPTIONAL.sub("", repair_text(raw).lower().lstrip(HASH).strip())
    if _MOJIBAKE.search(tag):
        return None, "mojibake"
    if not tag or not all(is_tag_char(ch) for ch in tag):
        return None, "not a word"
    if not any(ch.isalpha() for ch in tag):
        return None, "no letter"
    if not rules.min_len <= len(tag) <= rules.max_len:
        return None, "length"
    if tag in rules.stop_tags:
        return None, "stop-tag"
    return tag, ""


def normalise_tags(raw_tags: Iterable[str], rules: TagRules, max_tags: int) -> tuple[list[str], Counter[str]]:
    """Distinct kept tags in order (at most ``max_tags``) and a count of rejection reasons."""
    kept: dict[str, None] = {}
    rejected: Counter[str] = Counter()
    for raw in raw_tags:
        tag, reason = normalise_tag(raw, rules)
        if tag is None:
            rejected[reason] += 1
        else:
            kept.setdefault(tag, None)
    tags = list(kept)
    if len(tags) > max_tags:
        rejected["over max_tags_per_post"] += len(tags) - max_tags
    return tags[:max_tags], rejected


@lru_cache(maxsize=200_000)
def stem(tag: str) -> str:
    """Snowball (English) stem of a normalised tag."""
    return _stemmer().stemWord(tag)


@lru_cache(maxsize=1)
def _stemmer() -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer("english")


@dataclass(frozen=True)
class SurfaceForms:
    """stem → the most frequent surface form; suggestions and vocabularies use the surface forms."""

    by_stem: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def fit(cls, sentences: Iterable[Iterable[str]], keep: "SurfaceForms | None" = None) -> "SurfaceForms":
        """Count surface forms per stem; stems already in ``keep`` keep their form (stable vocabularies)."""
        counts: Counter[tuple[str, str]] = Counter((stem(t), t) for sentence in sentences for t in sentence)
        best: dict[str, tuple[int, str]] = {}
        for (key, surface), n in counts.items():
            if (n, surface) > best.get(key, (0, "")):
                best[key] = (n, surface)
        mapping = {key: surface for key, (_, surface) in best.items()}
        mapping.update(keep.by_stem if keep else {})
        return cls(mapping)

    def canonical(self, tag: str) -> str:
        """The surface form shown for a normalised tag (the tag itself when its stem is unknown)."""
        return self.by_stem.get(stem(tag), tag)

    def sentence(self, tags: Iterable[str]) -> list[str]:
        """Canonical, distinct tags of one post, in order."""
        return list(dict.fromkeys(self.canonical(t) for t in tags))
