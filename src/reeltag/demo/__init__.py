"""Seeded demo data: labelled videos, a hashtag corpus and a search set with planted signals.

``from reeltag.demo import generate_demo`` is the entry point. Names are resolved lazily so that importing
the pure ``reeltag.demo.world`` pulls in neither numpy nor imageio-ffmpeg.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "generate_demo": "reeltag.demo.generate",
    "DemoSummary": "reeltag.demo.generate",
    "DemoSize": "reeltag.demo.generate",
    "SIZES": "reeltag.demo.generate",
    "frames_for_segment": "reeltag.demo.render",
    "Scene": "reeltag.demo.world",
    "Category": "reeltag.demo.world",
    "CATEGORIES": "reeltag.demo.world",
    "caption": "reeltag.demo.world",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'reeltag.demo' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
