"""The background thread that checks the registry aliases every ``api.reload_s`` and swaps champions."""

from __future__ import annotations

import logging
import threading
from typing import Any

log = logging.getLogger("reeltag.api")


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
            except Exception as exc:  # noqa: BLE001 (registry unreachable for a moment: log, keep serving, retry)
                log.error("champion check failed: %s: %s", type(exc).__name__, exc)
