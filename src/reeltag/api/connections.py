"""What uvicorn's h11 protocol lacks: read deadlines and a cap on open connections (h11 + uvicorn).

uvicorn closes an idle keep-alive connection (``api.keep_alive_s``) and answers 503 over
``api.limit_concurrency``, but a socket that never sends a whole request stays open forever and every open socket
holds a file descriptor. :class:`TimedH11` closes a connection whose request head is not in within
``api.header_timeout_s`` (of its first byte, or of the connection) or whose body is not in within
``api.body_timeout_s`` (of its head), and closes a new connection at once while ``api.max_connections`` are open.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

if TYPE_CHECKING:
    from reeltag.config import ApiSection


class TimedH11(H11Protocol):
    """uvicorn's h11 protocol with a header deadline, a body deadline and a connection cap (class attributes)."""

    header_s: float = 10.0
    body_s: float = 60.0
    max_connections: int = 256
    _deadline: asyncio.TimerHandle | None = None
    _watched: Any = None  # the client-side h11 state the deadline is for

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.max_connections:
            transport.close()  # no log line: a flood of them is the attack
            return
        self._watch()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._watch()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop()
        super().connection_lost(exc)

    def _watch(self) -> None:
        """Arm the deadline of the request part the client now owes: its head (IDLE) or its body (SEND_BODY)."""
        state = self.conn.their_state
        if state is self._watched:
            return
        self._stop()
        self._watched = state
        limit = {h11.IDLE: self.header_s, h11.SEND_BODY: self.body_s}.get(state)
        if limit is not None and not self.transport.is_closing():
            self._deadline = self.loop.call_later(limit, self.transport.close)

    def _stop(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None


def timed_protocol(cfg: ApiSection) -> type[TimedH11]:
    """:class:`TimedH11` with ``cfg``'s deadlines and cap."""
    limits = {"header_s": cfg.header_timeout_s, "body_s": cfg.body_timeout_s, "max_connections": cfg.max_connections}
    return type("TimedH11", (TimedH11,), limits)
