"""The one review ``NewItem`` builder of the tests: every field at a neutral default (an H.264 video that plays,
random-weights models v1), the fields a test is about given by keyword. Importable from tests/unit and
tests/integration (tests/ is on sys.path through tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reeltag.review.store import NewItem

DEFAULTS: dict[str, Any] = {
    "split": "",
    "control": False,
    "suggestions": (("cat", 0.5), ("dog", 0.4)),
    "codec": "h264",
    "playable": True,
    "strip": None,
    "mapper_version": "1",
    "tag2vec_version": "1",
    "encoder_id": "e",
    "encoder_weights": "random",
}


def review_item(video: str | Path, video_sha256: str, **fields: Any) -> NewItem:
    """A queue item for ``video`` with :data:`DEFAULTS` except ``fields``."""
    return NewItem(video=str(video), video_sha256=video_sha256, **{**DEFAULTS, **fields})
