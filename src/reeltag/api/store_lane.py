"""The A/B event store's own lane: a small executor (``ab.online.store_workers`` threads) for its writes, so a
store locked by another process never holds the threads the other routes run on. A write that finds the lock held
past ``ab.online.busy_timeout_s`` is answered 503 with ``Retry-After``, and for as long again every store write is
answered so at once, without waiting."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

from reeltag.api.metrics import ApiMetrics
from reeltag.api.service import Refused
from reeltag.durable_sqlite import StoreLocked

T = TypeVar("T")


class StoreLane:
    def __init__(self, *, workers: int, busy_s: float, metrics: ApiMetrics) -> None:
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ab-store")
        self.busy_s, self.metrics = busy_s, metrics
        self._locked_until, self._why = 0.0, ""

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` on the lane; a locked store is a :class:`Refused` 503."""
        return await asyncio.get_running_loop().run_in_executor(self.pool, self._guarded, partial(fn, *args))

    def _guarded(self, call: Callable[[], T]) -> T:
        if time.monotonic() < self._locked_until:
            raise self._refusal(self._why)
        try:
            return call()
        except StoreLocked as exc:
            self._locked_until, self._why = time.monotonic() + self.busy_s, str(exc)
            raise self._refusal(self._why) from None

    def _refusal(self, why: str) -> Refused:
        self.metrics.ab_locked.inc()
        retry = max(1, math.ceil(self.busy_s))
        return Refused(503, "store", f"the A/B event store is busy: {why}; retry after {retry} s", retry_after_s=retry)
