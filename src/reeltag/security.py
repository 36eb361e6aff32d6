"""Security basics (pure stdlib): where pickle-format files may be loaded from, and symlink-safe paths.

gensim ``.kv``/``.model`` files (and any other pickle) run code when loaded, so they are loaded only from
the project's own stores (``data/models/`` and ``mlruns/``) unless the user says ``--trust``. torch state dicts
are loaded with ``weights_only=True`` (safe by construction) and need no guard.

:class:`SecurityHeaders` (pure ASGI) gives every response of reeltag's servers ``X-Content-Type-Options: nosniff``
and a Content-Security-Policy that forbids framing (``frame-ancestors 'none'``).
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

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


FRAMELESS = "frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
SELF_ONLY = f"default-src 'self'; style-src 'self'; script-src 'self'; form-action 'self'; {FRAMELESS}"
Message = MutableMapping[str, Any]


class SecurityHeaders:
    """ASGI middleware: ``nosniff`` and the ``csp`` on every HTTP response that has none yet (an inner app's own
    stricter policy, e.g. the review pages mounted in the API, is kept)."""

    def __init__(self, app: Any, csp: str = FRAMELESS) -> None:
        self.app, self.csp = app, csp

    async def __call__(self, scope: Message, receive: Any, send: Callable[[Message], Awaitable[None]]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(b"x-content-type-options", b"nosniff"), (b"content-security-policy", self.csp.encode())]
                message["headers"] = [*message.get("headers", []), *(h for h in extra if h[0] not in present)]
            await send(message)

        await self.app(scope, receive, with_headers)
