"""Which kind of CLIP weights a setting points at (pure: reads at most a small JSON sidecar).

Kinds: ``real`` (published weights), ``adapted`` (real weights fine-tuned on company videos),
``demo-trained`` (tiny architecture trained from random init on demo captions), ``random``.
A checkpoint written by reeltag has a sidecar ``<file>.json`` with ``weights_kind``.
"""

from __future__ import annotations

import json
from pathlib import Path

WEIGHT_KINDS = ("real", "adapted", "demo-trained", "random")


def sidecar_path(checkpoint: str | Path) -> Path:
    checkpoint = Path(checkpoint)
    return checkpoint.with_name(checkpoint.name + ".json")


def weights_kind(weights: str, declared: str = "auto", root: Path | None = None) -> str:
    """The kind of weights ``weights`` names ('random', a file, or an open_clip pretrained tag)."""
    if declared != "auto":
        return declared
    if weights == "random":
        return "random"
    path = Path(weights) if root is None or Path(weights).is_absolute() else root / weights
    if not path.exists():
        return "real"  # an open_clip pretrained tag names published weights
    sidecar = sidecar_path(path)
    if sidecar.is_file():
        return str(json.loads(sidecar.read_text(encoding="utf-8")).get("weights_kind", "real"))
    return "real"
