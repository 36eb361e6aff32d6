"""When the demo's API child counts as ready: the search path it needs, whatever another champion's load did."""

from __future__ import annotations

import httpx
import pytest

from reeltag.demo.api_child import serves
from reeltag.errors import ReeltagError


def _readyz(status: int, rerank: bool) -> httpx.Response:
    return httpx.Response(status, json={"ready": status == 200, "rerank": rerank, "suggest": False, "errors": {}})


def test_a_loaded_reranker_serves_while_another_champion_failed_to_load() -> None:
    assert serves(_readyz(503, rerank=True), need_reranker=True)  # e.g. a mapper fitted for another encoder


def test_no_reranker_yet_is_not_ready() -> None:
    assert not serves(_readyz(503, rerank=False), need_reranker=True)


def test_ready_without_a_reranker_champion_is_an_error() -> None:
    with pytest.raises(ReeltagError, match="no reeltag.reranker champion"):
        serves(_readyz(200, rerank=False), need_reranker=True)


def test_without_the_reranker_healthz_decides() -> None:
    assert serves(httpx.Response(200, json={"status": "ok"}), need_reranker=False)
    assert not serves(httpx.Response(502, text="bad gateway"), need_reranker=False)
