"""The demo: seeded data with planted signals, simulated reviewer and users, and the whole PoC run on it.

Data: ``world`` (what a demo video shows; pure), ``plans`` + ``render`` + ``videos`` + ``titles`` (labelled videos),
``hashtag_corpus`` (posts), ``search`` (a search set), ``generate`` (all of it from one seed; ``from reeltag.demo
import generate_demo`` is the entry point). Simulation: ``simulated_reviewer``, ``simulated_users`` (a cascade click
model), ``api_child`` (a ``reeltag api`` child process they query), ``online_experiment``. The run: ``steps``
(``prepare_demo``, ``run_demo``: every step called directly). Names are resolved lazily so that importing the pure
``reeltag.demo.world`` pulls in neither numpy nor imageio-ffmpeg.
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
