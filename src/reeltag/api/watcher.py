"""The background thread that checks the registry aliases every ``api.reload_s`` and swaps champions, and the
backoff of a champion that failed to load (retried after ``api.reload_s``, then twice as long each time, at most
``api.retry_max_s``)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("reeltag.api")


@dataclass(kw_only=True)
class Backoff:
    """When the next retry of a failed champion load is due; ``clock`` in seconds (monotonic)."""

    first_s: float
    max_s: float
    clock: Callable[[], float] = field(default=time.monotonic)
    failures: int = 0
    due_at: float = 0.0

    def record(self, *, failed: bool, restart: bool) -> None:
        """One load attempt's outcome; ``restart``: it was for newly named versions (the count starts again)."""
        self.failures = (0 if restart else self.failures) + 1 if failed else 0
        if failed:
            self.due_at = self.clock() + min(self.max_s, self.first_s * 2.0 ** (self.failures - 1))

    def due(self) -> bool:
        return self.failures > 0 and self.clock() >= self.due_at

    def retry_in_s(self) -> float | None:
        """Seconds to the next retry (0 when due); None when nothing failed."""
        return round(max(0.0, self.due_at - self.clock()), 3) if self.failures else None


class Watcher:
    def __init__(self, service: Any, interval_s: float):
        self.service, self.interval_s = service, interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="reeltag-api-watcher", daemon=True)

    def start(self) -> Watcher:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=max(5.0, self.interval_s))

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.service.refresh()
            except Exception as exc:  # noqa: BLE001 (an unexpected fault: log, keep serving, check again)
                log.error("champion check failed: %s: %s", type(exc).__name__, exc)
