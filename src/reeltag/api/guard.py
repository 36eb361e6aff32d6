"""Transport safety (pure ASGI, no framework): the Host allow-list, the bearer token, JSON-only routes, the
body-size cap, and the bind rule.

* ``check_bind``: a host other than loopback needs ``api.token`` (refused at start otherwise).
* :class:`Guard`: a ``Host`` header outside ``api.allowed_hosts`` (default: the bind host and the loopback names)
  is 400, against DNS rebinding; with a token set, every route but the health probes (``/healthz``, ``/readyz``)
  needs ``Authorization: Bearer <token>`` (401 missing, 403 wrong); a POST to ``/v1/`` that is not
  ``application/json`` (or a multipart upload to ``/v1/suggest``) is 415, so a web page cannot send one without a
  CORS preflight; a body over its cap is 413 before the app reads it (``api.max_body_kb`` for JSON,
  ``api.max_upload_mb`` for multipart uploads to ``/v1/suggest``).
  An upload is never held whole: it streams through to the app, counted, and :class:`BodyTooLarge` is raised into
  the app's read once it passes the cap (the app answers 413); a JSON body is read whole (it is small) and replayed.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from reeltag.errors import BadInput

if TYPE_CHECKING:
    from reeltag.config import ApiSection

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
OPEN_PATHS = frozenset({"/healthz", "/readyz"})
UPLOAD_PATH = "/v1/suggest"
JSON = "application/json"
BODY_ROUTES = frozenset({"/v1/rerank", "/v1/feedback", UPLOAD_PATH})  # the routes that read a request body
MULTIPART = "multipart/form-data"
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


def allowed_hosts(configured: tuple[str, ...], bind: str) -> frozenset[str]:
    """``api.allowed_hosts`` (lower case, no brackets), or the bind host and the loopback names."""
    names = configured or (bind, *LOOPBACK)
    return frozenset(name.strip().strip("[]").lower() for name in names)


def host_problem(headers: dict[str, str], hosts: frozenset[str]) -> tuple[int, str] | None:
    """(400, reason) when the ``Host`` header (port ignored) is not one of ``hosts``."""
    value = headers.get("host", "").strip().lower()
    name = value[1:].partition("]")[0] if value.startswith("[") else value.partition(":")[0]
    if name in hosts:
        return None
    return 400, f"Host {value[:100]!r} is not served here; add it to api.allowed_hosts (now {', '.join(sorted(hosts))})"


def media_problem(method: str, path: str, content_type: str) -> tuple[int, str] | None:
    """(415, reason) when a POST to a route that takes a body is not ``application/json`` (multipart: uploads only);
    a POST elsewhere is left to the app (405 on a route without POST)."""
    media = content_type.partition(";")[0].strip().lower()
    if method != "POST" or path not in BODY_ROUTES or media == JSON or (media == MULTIPART and path == UPLOAD_PATH):
        return None
    allowed = f"{JSON} (or {MULTIPART} for an upload)" if path == UPLOAD_PATH else JSON
    return 415, f"Content-Type {media[:60]!r}: this route takes {allowed}"


class Guard:
    """ASGI middleware: Host, token, content type, then body cap; the body is read once and replayed to the app."""

    def __init__(self, app: Any, *, token: str | None, max_body: int, max_upload: int, hosts: frozenset[str]):
        self.app, self.token, self.max_body, self.max_upload, self.hosts = app, token, max_body, max_upload, hosts

    @classmethod
    def of(cls, app: Any, cfg: ApiSection, bind: str, token: str | None) -> Guard:
        """The guard of a server bound to ``bind`` with ``cfg``'s caps and hosts."""
        hosts = allowed_hosts(cfg.allowed_hosts, bind)
        return cls(app, token=token, max_body=cfg.max_body_kb * 1024, max_upload=int(cfg.max_upload_mb * 2**20), hosts=hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        problem = host_problem(headers, self.hosts)
        if problem:
            return await _reply(send, *problem)
        if self.token and scope["path"] not in OPEN_PATHS:
            problem = token_problem(headers, self.token)
            if problem:
                return await _reply(send, *problem, extra=[(b"www-authenticate", b"Bearer")])
        content_type = headers.get("content-type", "")
        problem = media_problem(scope["method"], scope["path"], content_type)
        if problem:
            return await _reply(send, *problem)
        upload = scope["path"] == UPLOAD_PATH and content_type.startswith(MULTIPART)
        cap, declared = self.max_upload + MULTIPART_SLACK if upload else self.max_body, headers.get("content-length", "0")
        if not declared.strip().isdigit():
            return await _reply(send, 400, f"Content-Length {declared[:40]!r} is not a number of bytes")
        if int(declared) > cap:
            return await _reply(send, 413, f"body of {declared} bytes; at most {cap} here")
        if upload:
            await self.app(scope, _counted(receive, cap), send)
            return None
        try:
            body = await _read_capped(receive, cap)
        except ClientGone:
            return None  # a half-sent body never reaches the app (nobody is left to answer)
        if body is None:
            return await _reply(send, 413, f"body over {cap} bytes")
        await self.app(scope, _replay(body, receive), send)


class ClientGone(Exception):
    """The client disconnected (or timed out) before its whole body arrived."""


async def _read_capped(receive: Receive, cap: int) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
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
