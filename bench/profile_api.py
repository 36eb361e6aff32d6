"""Where one ``/v1/rerank`` with 1,000 candidates spends its time: a profile of P7's server, then each stage timed.

    python -m bench.profile_api [--requests 300] [--top 25] [--form list|columns]

P7's bench server (:func:`bench.bench_api.bench_service`: the real app behind ``reeltag api``'s uvicorn server,
its limits, its search lane, one BLAS thread) runs in this process on a free 127.0.0.1 port, its event loop on a
thread of its own; one stdlib ``http.client`` connection in the main thread sends ``--requests`` requests one after
another (1,000 cached candidates each, the P7 bodies, in ``--form``). cProfile (stdlib) profiles the event loop's
thread (uvicorn/httptools, the ASGI middleware, FastAPI's routing, the hops to and from the lane) and the search lane's
thread (parse, check, scoring, writing) apart, only while the measured requests run; the top entries of each by
own time are printed. Then the same requests' stages are timed in process without the profiler, one request after
another: parse, check, the engine's ranking, the catalogue gather + matrix product, pooling + fusion + order, the
answer's columns, the JSON, and the whole request over HTTP beside them.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.bench_api import (
    CANDIDATES,
    STAGES,
    _free_port,
    bench_service,
    columns_body,
    one_client_ms,
    request_bodies,
    stage_seconds,
)


def payloads_of(form: str, n: int = 64) -> list[bytes]:
    bodies = request_bodies(n)
    return [json.dumps(columns_body(b) if form == "columns" else b).encode() for b in bodies]


class Profiled:
    """The bench server on a thread of this process, with a cProfile for its event loop and one for its search lane."""

    def __init__(self, root: Path):
        from reeltag.api.app import create_app
        from reeltag.api.server import uvicorn_server

        self.service = bench_service(root)
        self.port = _free_port()
        self.server = uvicorn_server(
            create_app(self.service, watch=False), self.service.project, host="127.0.0.1", port=self.port, log_level="warning"
        )
        self.loop_profile, self.lane_profile, self.on = cProfile.Profile(), cProfile.Profile(), False
        self._wrap_lane()
        self.thread = threading.Thread(target=self.server.run, name="bench-uvicorn", daemon=True)

    def _wrap_lane(self) -> None:
        lane = self.service.search_lane
        submit = lane._submit

        def profiled(fn: Any, *args: Any) -> Any:
            return submit(lambda *a: self.lane_profile.runcall(fn, *a) if self.on else fn(*a), *args)

        lane._submit = profiled  # type: ignore[method-assign]

    def __enter__(self) -> Profiled:
        self.thread.start()
        while not self.server.started:
            time.sleep(0.05)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        self.service.close()

    def profiling(self, on: bool) -> None:
        """Start or stop both profiles (the loop's is switched on its own thread)."""
        done = threading.Event()

        def switch() -> None:
            (self.loop_profile.enable if on else self.loop_profile.disable)()
            done.set()

        self.server.servers[0]._loop.call_soon_threadsafe(switch)  # the loop of the server's thread
        done.wait(10)
        self.on = on


def top(profile: cProfile.Profile, n: int, requests: int) -> str:
    """The ``n`` functions with the most own time, as ms per request."""
    stats = pstats.Stats(profile, stream=io.StringIO())
    rows = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:n]  # type: ignore[attr-defined]
    total = sum(v[2] for v in stats.stats.values()) / requests * 1000.0  # type: ignore[attr-defined]
    lines = [f"  own time in all: {total:.2f} ms per request", "  own ms/req  cum ms/req  calls/req  function"]
    for (file, line, name), (_, calls, own, cum, _) in rows:
        where = f"{Path(file).parent.name}/{Path(file).name}:{line}" if line else file
        lines.append(f"  {own / requests * 1000:10.3f} {cum / requests * 1000:11.3f} {calls / requests:10.1f}  {name} ({where})")
    return "\n".join(lines)


def stages(service: Any, payloads: list[bytes], rounds: int) -> dict[str, float]:
    """p50 ms of each stage of the search lane's work, one request after another, no profiler: parse, check,
    ``rerank`` (the engine's order, the scoring and the answer's columns) and writing the JSON
    (:func:`bench.bench_api.stage_seconds`); ``scoring`` is the part of ``rerank`` that P7 calls the in-process
    scoring (catalogue gather, matrix product, pooling, fusion, order), timed on its own."""
    from reeltag.api import rerank_service as rs
    from reeltag.api.schemas import RerankRequest, parse_json_native
    from reeltag.rerank.apply import ranking_of, score_topic
    from reeltag.rerank.catalogue import prepare_candidates
    from reeltag.rerank.tuning import Setting

    p = service.champions.reranker.params
    setting, names = Setting(p.alpha, p.normalisation, p.pooling), (*STAGES, "scoring")
    times: dict[str, list[float]] = {name: [] for name in names}
    for i in range(rounds):
        raw = payloads[i % len(payloads)]
        spans = stage_seconds(service, raw)
        body = parse_json_native(RerankRequest, raw)
        engine, vector = rs.engine_ranking(body), service.query_vector(body.query)
        started = time.perf_counter()
        topic = prepare_candidates(service.matrix, engine, vector, p.depth)
        ranking_of(topic, score_topic(topic, setting, p.top_m))
        for name, span in zip(names, [*spans, time.perf_counter() - started]):
            times[name].append(span * 1000.0)
    result = {name: round(statistics.median(v[len(payloads) :]), 3) for name, v in times.items()}
    result["handler"] = round(sum(result[n] for n in STAGES), 3)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_api", description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--form", choices=("list", "columns"), default="list")
    args = parser.parse_args()
    from reeltag.api.server import blas_limit

    payloads = payloads_of(args.form)
    with tempfile.TemporaryDirectory(prefix="reeltag-profile-api-") as tmp, Profiled(Path(tmp)) as served:
        with blas_limit(served.service.project.settings.api):
            one_client_ms(served.port, payloads, 64)  # warm-up: every query vector cached, connections, caches
            plain = one_client_ms(served.port, payloads, args.requests)
            served.profiling(True)
            one_client_ms(served.port, payloads, args.requests)
            served.profiling(False)
            print(
                f"/v1/rerank, {CANDIDATES} candidates ({args.form} form), one client, {args.requests} requests: "
                f"p50 {statistics.median(plain):.2f} ms over HTTP (without the profiler)"
            )
            print("event loop thread (uvicorn/httptools, middleware, routing, lane hops):")
            print(top(served.loop_profile, args.top, args.requests))
            print("search lane thread (parse, check, score, write):")
            print(top(served.lane_profile, args.top, args.requests))
            print("stages in process, p50 ms:", json.dumps(stages(served.service, payloads, len(payloads) + args.requests)))


if __name__ == "__main__":
    main()
