"""A tag a reviewer typed: normalised like the corpus (``#Cat`` → ``cat``), or refused with the reason. Pure."""

from __future__ import annotations

from reeltag.corpus.tags import TagRules, normalise_tag
from reeltag.errors import BadInput

MAX_TYPED = 200  # characters; longer input is refused before it is normalised


def typed_tag(raw: str, rules: TagRules) -> str:
    """The normalised tag; :class:`BadInput` saying why when it fails the corpus rules."""
    text = raw.strip()
    if not text:
        raise BadInput("type a tag first")
    if len(text) > MAX_TYPED:
        raise BadInput(f"tag refused: {len(text)} characters; tags are {rules.min_len}-{rules.max_len} characters long")
    tag, reason = normalise_tag(text, rules)
    if tag is None and reason == "length":
        raise BadInput(f"tag {text!r} refused: tags are {rules.min_len}-{rules.max_len} characters long")
    if tag is None:
        raise BadInput(f"tag {text!r} refused: {reason}")
    return tag
