"""What uvicorn's HTTP protocol lacks: read deadlines, a request-head cap and a cap on open connections (httptools).

uvicorn closes an idle keep-alive connection (``api.keep_alive_s``) and answers 503 over
``api.limit_concurrency``, but a socket that never sends a whole request stays open forever, every open socket
holds a file descriptor, and its ``httptools`` protocol (llhttp, native: the event loop's part of a rerank
request 0.97 ms against 1.2-1.6 ms with the pure-Python h11 one, docs/api.md "Benchmark P7") takes request heads
of any size. :class:`TimedHttpTools` closes a
connection whose request head is not in within ``api.header_timeout_s`` (of the connection, or of the previous
response) or whose body is not in within ``api.body_timeout_s`` (of its head), answers 431 to a head over
``api.max_header_kb`` (counted two ways, each never more than the head's real size: the line and header fields
parsed, and the bytes of every read that arrived while the head was incomplete and left it so; the second bounds
a field that never ends, which httptools would buffer), and closes a new connection at once while
``api.max_connections`` are open.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

if TYPE_CHECKING:
    from reeltag.config import ApiSection


class HeadTooLarge(Exception):
    """Raised in a parser callback (httptools turns it into a parser error, answered 431): the head is over the cap."""


class TimedHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol with a header deadline, a body deadline, a head cap and a connection cap
    (class attributes)."""

    header_s: float = 10.0
    body_s: float = 60.0
    max_connections: int = 256
    max_head_bytes: int = 16 * 1024
    _deadline: asyncio.TimerHandle | None = None
    _in_head = False  # a request's head has begun and is not complete
    _heads = 0  # request heads begun on this connection
    _head_fields = 0  # bytes of the head in progress in the line and fields parsed so far
    _head_raw = 0  # bytes that arrived in chunks that began inside the head in progress (all of them head bytes)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.max_connections:
            transport.close()  # no log line: a flood of them is the attack
            return
        self._arm(self.header_s)

    def data_received(self, data: bytes) -> None:
        head_before = self._heads if self._in_head else -1
        super().data_received(data)
        if self._in_head and self._heads == head_before and not self.transport.is_closing():  # all head bytes
            self._head_raw += len(data)
            if self._head_raw > self.max_head_bytes:
                self._refuse_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head, self._head_fields, self._head_raw, self._heads = True, 0, 0, self._heads + 1

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4)  # "name: value\r\n"
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._arm(self.body_s)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self._deadline is None:  # none armed: no pipelined body owed
            self._arm(self.header_s)  # the next request's head (or the rest of one pipelined) is owed from now

    def _count(self, size: int) -> None:
        self._head_fields += size
        if self._head_fields > self.max_head_bytes:
            raise HeadTooLarge

    def _refuse_head(self) -> None:
        """431 and close: the head is over ``max_head_bytes``."""
        reason = f"request head over api.max_header_kb={self.max_head_bytes // 1024} KiB".encode()
        head = b"content-type: text/plain; charset=utf-8\r\nconnection: close\r\ncontent-length: %d\r\n\r\n" % len(reason)
        self.transport.write(STATUS_LINE[431] + head + reason)
        self.transport.close()

    def send_400_response(self, msg: str) -> None:
        """uvicorn's 400 for a request httptools refused, or the 431 when the head cap refused it (in a callback)."""
        if self._in_head and self._head_fields > self.max_head_bytes:
            self._refuse_head()
        else:
            super().send_400_response(msg)

    def _arm(self, seconds: float) -> None:
        """Close the connection in ``seconds`` unless :meth:`_disarm` runs first (replaces any armed deadline)."""
        self._disarm()
        if not self.transport.is_closing():
            self._deadline = self.loop.call_later(seconds, self.transport.close)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None


def timed_protocol(cfg: ApiSection) -> type[TimedHttpTools]:
    """:class:`TimedHttpTools` with ``cfg``'s deadlines and caps."""
    limits = {
        "header_s": cfg.header_timeout_s,
        "body_s": cfg.body_timeout_s,
        "max_connections": cfg.max_connections,
        "max_head_bytes": cfg.max_header_kb * 1024,
    }
    return type("TimedHttpTools", (TimedHttpTools,), limits)
