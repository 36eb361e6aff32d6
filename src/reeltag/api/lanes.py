"""Bounded lanes: slow work of one kind runs on threads of its own and never holds what another lane needs.

A :class:`Lane` has ``workers`` threads and room for ``waiting`` jobs behind them; a job beyond that is refused at
once with :class:`Busy` (answered 503 with ``Retry-After``), never queued without bound. A :class:`Slot` is taken
before the work's input arrives (an upload's body is read only once it holds one) and is given back when its job
ends, even when the request that asked for it has gone. The service has three lanes: ``search`` (``/v1/rerank``:
parse, score, write; one thread by default, as more only contend for the GIL), ``query`` (text encoding of new
query texts, one thread) and ``video`` (``/v1/suggest``: decode, image encode, ranking), whose threads run at a
lower CPU priority on Linux.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


class Busy(Exception):
    """A full lane: the reason names the setting that bounds it; ``retry_after_s`` goes into the 503's header."""

    def __init__(self, field: str, reason: str, retry_after_s: int):
        super().__init__(reason)
        self.field, self.reason, self.retry_after_s = field, reason, retry_after_s


class Lane:
    """``workers`` threads (their niceness raised by ``nice`` on Linux) and at most ``waiting`` jobs queued."""

    def __init__(self, name: str, *, workers: int, waiting: int, nice: int = 0, retry_after_s: int = 5, setting: str = ""):
        self.name, self.workers, self.waiting, self.retry_after_s = name, workers, waiting, retry_after_s
        self.setting = setting or f"lane {name}"
        self._room = threading.BoundedSemaphore(workers + waiting)
        self._pool = ThreadPoolExecutor(
            workers, thread_name_prefix=f"reeltag-{name}", initializer=_lower_priority, initargs=(nice,)
        )

    def reserve(self) -> Slot:
        """A place in the lane, or :class:`Busy` at once when every place is taken."""
        if not self._room.acquire(blocking=False):
            reason = (
                f"the {self.name} lane is full ({self.workers} running, {self.waiting} waiting; {self.setting}); "
                f"retry in {self.retry_after_s} s"
            )
            raise Busy(self.name, reason, self.retry_after_s)
        return Slot(self)

    def _submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        try:
            future = self._pool.submit(fn, *args)
        except BaseException:
            self._room.release()
            raise
        future.add_done_callback(lambda _: self._room.release())
        return future

    def _release(self) -> None:
        self._room.release()

    def call(self, fn: Callable[..., T], /, *args: Any) -> T:
        """``fn(*args)`` on the lane, waited for (from a thread that may block)."""
        return self.reserve().run(fn, *args).result()

    async def run(self, fn: Callable[..., T], /, *args: Any) -> T:
        """``fn(*args)`` on the lane, awaited (from the event loop: no thread is held while it waits)."""
        return await asyncio.wrap_future(self.reserve().run(fn, *args))

    def close(self) -> None:
        """Stop taking jobs; those queued are cancelled, those running finish."""
        self._pool.shutdown(wait=False, cancel_futures=True)


class Slot:
    """One reserved place: :meth:`run` a job in it (the place frees when the job ends), or :meth:`free` it unused."""

    def __init__(self, lane: Lane):
        self._lane, self._lock, self._held = lane, threading.Lock(), True

    def run(self, fn: Callable[..., T], /, *args: Any) -> Future[T]:
        with self._lock:
            if not self._held:
                raise RuntimeError("this lane slot was already used or freed")
            self._held = False
        return self._lane._submit(fn, *args)

    def free(self) -> None:
        """Give the place back if no job was run in it (safe to call after :meth:`run`)."""
        with self._lock:
            held, self._held = self._held, False
        if held:
            self._lane._release()


def _lower_priority(nice: int) -> None:
    """Raise this thread's niceness (Linux: per thread; threads it starts, e.g. the decoder's, inherit it)."""
    if nice and sys.platform.startswith("linux"):
        tid = threading.get_native_id()
        try:
            os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + nice))
        except OSError:  # a sandbox that forbids it: the lane still runs, at the process's priority
            pass
