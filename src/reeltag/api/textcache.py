"""A small thread-safe LRU of query text → text vector, with hit and miss counts."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

import numpy as np


class QueryVectors:
    """``get(text)`` → (unit vector, was it cached); ``encode`` runs on a miss, outside the cache's lock."""

    def __init__(self, encode: Callable[[str], np.ndarray], size: int):
        self._encode, self._size = encode, size
        self._items: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, text: str) -> tuple[np.ndarray, bool]:
        with self._lock:
            if text in self._items:
                self._items.move_to_end(text)
                return self._items[text], True
        vector = self._encode(text)
        with self._lock:
            self._items[text] = vector
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return vector, False

    def cached(self, text: str) -> bool:
        """Whether ``text``'s vector is kept (a peek: the LRU order is not touched)."""
        with self._lock:
            return text in self._items

    def __len__(self) -> int:
        return len(self._items)
