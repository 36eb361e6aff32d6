"""Transport safety (pure ASGI, no framework): the bearer token, the body-size cap, and the bind rule.

* ``check_bind``: a host other than loopback needs ``api.token`` (refused at start otherwise).
* :class:`Guard`: with a token set, every route but the health probes (``/healthz``, ``/readyz``) needs
  ``Authorization: Bearer <token>`` (401 missing, 403 wrong); a body over its cap is 413 (``api.max_body_kb`` for
  JSON, ``api.max_upload_mb`` for multipart uploads to ``/v1/suggest``). A declared Content-Length over the cap is
  refused before anything is read; a JSON body is read whole (it is small) and replayed to the app; an upload is
  never held whole: it streams through to the app, counted, and :class:`BodyTooLarge` is raised into the app's read
  once it passes the cap (the app answers 413).
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable
from typing import Any

from reeltag.errors import BadInput

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
OPEN_PATHS = frozenset({"/healthz", "/readyz"})
UPLOAD_PATH = "/v1/suggest"
MULTIPART_SLACK = 64 * 1024  # form boundaries and fields around the file, bytes

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class BodyTooLarge(Exception):
    """An upload passed its cap while the app read it (answered 413 by the app)."""

    def __init__(self, cap: int):
        super().__init__(f"body over {cap} bytes (api.max_upload_mb)")
        self.cap = cap


def check_bind(host: str, token: str | None) -> None:
    """Refuse to serve beyond loopback without a token."""
    if host not in LOOPBACK and not token:
        raise BadInput(f"refusing to bind {host} without api.token: set REELTAG_API__TOKEN (or bind 127.0.0.1)")


def token_problem(headers: dict[str, str], token: str) -> tuple[int, str] | None:
    """(status, reason) when the Authorization header does not carry ``token``."""
    value = headers.get("authorization", "")
    if not value:
        return 401, "missing Authorization: Bearer <api.token>"
    scheme, _, given = value.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        return 403, "wrong token (Authorization: Bearer <api.token>)"
    return None


class Guard:
    """ASGI middleware: token, then body cap; the body is read once and replayed to the app."""

    def __init__(self, app: Any, token: str | None, max_body: int, max_upload: int):
        self.app, self.token, self.max_body, self.max_upload = app, token, max_body, max_upload

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        if self.token and scope["path"] not in OPEN_PATHS:
            problem = token_problem(headers, self.token)
            if problem:
                return await _reply(send, *problem, extra=[(b"www-authenticate", b"Bearer")])
        upload = scope["path"] == UPLOAD_PATH and headers.get("content-type", "").startswith("multipart/form-data")
        cap, declared = self.max_upload + MULTIPART_SLACK if upload else self.max_body, headers.get("content-length", "0")
        if not declared.strip().isdigit():
            return await _reply(send, 400, f"Content-Length {declared[:40]!r} is not a number of bytes")
        if int(declared) > cap:
            return await _reply(send, 413, f"body of {declared} bytes; at most {cap} here")
        if upload:
            await self.app(scope, _counted(receive, cap), send)
            return
        body = await _read_capped(receive, cap)
        if body is None:
            return await _reply(send, 413, f"body over {cap} bytes")
        await self.app(scope, _replay(body, receive), send)


async def _read_capped(receive: Receive, cap: int) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > cap:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _counted(receive: Receive, cap: int) -> Receive:
    """``receive`` passing the body through as it arrives; :class:`BodyTooLarge` once more than ``cap`` bytes came."""
    size = 0

    async def counted() -> dict[str, Any]:
        nonlocal size
        message = await receive()
        size += len(message.get("body", b""))
        if size > cap:
            raise BodyTooLarge(cap)
        return message

    return counted


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _reply(send: Send, status: int, reason: str, extra: list[tuple[bytes, bytes]] | None = None) -> None:
    payload = json.dumps({"detail": reason}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()), *(extra or [])]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
