"""The API's Prometheus metrics (the only prometheus_client import), in a registry of their own per app."""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

LATENCY_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class ApiMetrics:
    """Request counts by route and status, latency histograms, query-vector cache, missing features, swaps, champions
    that failed to load (attempts, pending), registry read errors, the A/B store's dropped rows and lock refusals."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        reg = self.registry
        self.requests = Counter("reeltag_api_requests", "Requests by route and status.", ["route", "status"], registry=reg)
        self.latency = Histogram(
            "reeltag_api_request_seconds",
            "Request latency by route, seconds.",
            ["route"],
            buckets=LATENCY_BUCKETS_S,
            registry=reg,
        )
        self.query_cache = Counter("reeltag_api_query_cache", "Query text vectors: hit or miss.", ["result"], registry=reg)
        self.missing = Counter("reeltag_api_missing_features", "Rerank candidates without cached features.", registry=reg)
        self.swaps = Counter("reeltag_api_champion_swaps", "Champions swapped in while serving.", ["model"], registry=reg)
        self.refused = Counter("reeltag_api_champion_refused", "Champion load attempts that failed.", ["model"], registry=reg)
        self.pending = Gauge(
            "reeltag_api_champion_pending",
            "1 while the champion the registry names failed to load (retried with backoff) and an older one serves.",
            ["model"],
            registry=reg,
        )
        self.registry_errors = Counter(
            "reeltag_api_registry_errors", "Champion checks that could not read the registry.", registry=reg
        )
        self.ab_dropped = Counter(
            "reeltag_ab_store_dropped",
            "A/B store rows not stored: the store is at ab.online.max_store_mb.",
            ["rows"],
            registry=reg,
        )
        self.ab_locked = Counter(
            "reeltag_ab_store_locked", "A/B store writes answered 503: another process held the lock.", registry=reg
        )

    def observe(self, route: str, status: int, seconds: float) -> None:
        self.requests.labels(route, str(status)).inc()
        self.latency.labels(route).observe(seconds)

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
