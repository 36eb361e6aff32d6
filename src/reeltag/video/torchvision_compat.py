"""Make ``import torchvision`` work when its compiled ops cannot load (isolated compatibility step).

The PyPI torchvision wheel is a CUDA build; next to a CPU-only torch its ``_C`` extension fails to load,
and ``import torchvision`` then dies with ``operator torchvision::nms does not exist`` because
``torchvision._meta_registrations`` registers fake kernels for ops that were never defined. open_clip
imports torchvision (transforms only; reeltag never calls a detection op), so before the first
torchvision import we define the missing op schemas with :mod:`torch.library` — only when the extension
really cannot load. Calling a defined-but-unimplemented op raises a clear ``NotImplementedError``.

Imported only by :mod:`reeltag.video.encoder`.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

# Ops that torchvision registers fake kernels for with ``torch.library.register_fake`` at import time.
MISSING_OP_SCHEMAS: tuple[str, ...] = (
    "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
)
_LIBRARIES: list[Any] = []  # keeps the schema library alive (its destructor would deregister the ops)


def ensure_torchvision_importable() -> bool:
    """Define torchvision's op schemas if its extension cannot load; True when a shim was installed.

    Idempotent; a no-op once torchvision is imported or when its ``_C`` library loads.
    """
    if "torchvision" in sys.modules or _LIBRARIES:
        return bool(_LIBRARIES)
    if _extension_loads():
        return False
    _define_schemas()
    return True


def _extension_path() -> Path | None:
    spec = importlib.util.find_spec("torchvision")
    if spec is None or not spec.submodule_search_locations:
        return None
    found = sorted(Path(next(iter(spec.submodule_search_locations))).glob("_C*.so"))
    return found[0] if found else None


def _extension_loads() -> bool:
    import torch

    path = _extension_path()
    if path is None:
        return False
    try:
        torch.ops.load_library(str(path))
    except (OSError, RuntimeError):
        return False
    return True


def _define_schemas() -> None:
    import torch

    lib = torch.library.Library("torchvision", "DEF")
    for schema in MISSING_OP_SCHEMAS:
        lib.define(schema)
    _LIBRARIES.append(lib)
