"""Security basics (pure stdlib): where pickle-format files may be loaded from, and symlink-safe paths.

gensim ``.kv``/``.model`` files (and any other pickle) run code when loaded, so they are loaded only from
the project's own stores (``data/models/`` and ``mlruns/``) unless the user says ``--trust``. torch state dicts
are loaded with ``weights_only=True`` (safe by construction) and need no guard.
"""

from __future__ import annotations

import os
from pathlib import Path

from reeltag.errors import BadInput
from reeltag.paths import ProjectPaths


def resolve_path(path: str | Path) -> Path:
    """Absolute path with symlinks resolved; unlike ``Path.resolve`` on Python < 3.13, a symlink loop does
    not raise: the looping path comes back, and reading it then fails with the reader's own clear error."""
    return Path(os.path.realpath(Path(path).expanduser()))


def own_stores(paths: ProjectPaths) -> tuple[Path, ...]:
    """The folders reeltag itself writes models into. Not all of ``data/``: anyone who may drop files into
    ``data/inbox/`` for the scheduled flows could otherwise place a pickle that then counts as trusted."""
    return (resolve_path(paths.models), resolve_path(paths.mlruns))


def is_trusted(path: str | Path, paths: ProjectPaths) -> bool:
    """Whether ``path`` (after following symlinks) lies inside one of the project's own stores."""
    real = resolve_path(path)
    return any(real.is_relative_to(store) for store in own_stores(paths))


def check_trusted(path: str | Path, paths: ProjectPaths, trust: bool = False) -> Path:
    """``path`` resolved, when it may be unpickled: inside the project's stores, or ``trust`` given.

    Raises :class:`BadInput` naming the file otherwise (loading it could run arbitrary code).
    """
    if trust or is_trusted(path, paths):
        return resolve_path(path)
    raise BadInput(
        f"{path}: refusing to load a pickle-format file from outside this project's stores "
        f"({', '.join(str(s) for s in own_stores(paths))}); loading it can run arbitrary code. "
        "Pass --trust only if you trust where the file came from."
    )
