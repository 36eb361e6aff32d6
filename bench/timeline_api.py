"""Where one ``/v1/rerank`` spends its time between the server's first byte and its answer's last: a timeline.

    python -m bench.timeline_api [--requests 300] [--form list|columns]

P7's bench server (:func:`bench.bench_api.serve`: the real app behind ``reeltag api``'s uvicorn server, its limits,
its search lane, one BLAS thread) runs in a child process on a free 127.0.0.1 port, stopped by its pid, with five
timestamps taken in it for every request (``perf_counter``; no profiler): the request's first byte parsed
(``on_message_begin``), the rerank route entered behind the guard, headers and metrics (``RerankFastPath``), the
search lane's job started and ended (parse, check, scoring, writing), the event loop back from the lane, and the
answer written (``on_response_complete``). One stdlib ``http.client`` connection in this process sends the requests
one after another (the P7 bodies, 1,000 cached candidates each); the p50 of each span is printed beside the
client's p50, whose rest is the client's own sending and reading and the kernel's loopback. Then the search lane's
job (the same function, bodies and BLAS setting) runs in this process, one request after another: back to back, as
P7's in-process figures are taken, and with the CPU idle 1 ms before each request, as a server's is while one
client sends, reads and sends again.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.bench_api import REPO, _free_port, _stop, bench_service, columns_body, one_client_ms, request_bodies

MARKS = ("first byte", "route", "lane start", "lane end", "loop back", "written")


def instrument(out: Path) -> None:
    """Timestamp every request at :data:`MARKS` in this (the server's) process; each request's marks go to ``out``
    as one JSON line when its answer is written."""
    import reeltag.api.connections as connections
    import reeltag.api.routes_rerank as routes

    marks: dict[str, float] = {}
    sink = out.open("a", buffering=1)
    protocol, fast_path = connections.TimedHttpTools, routes.RerankFastPath
    begin, complete, enter = protocol.on_message_begin, protocol.on_response_complete, fast_path.__call__
    lane_job, answer = routes._answer_if_cached, routes.answer

    def on_message_begin(self: Any) -> None:
        marks.clear()
        marks["first byte"] = time.perf_counter()
        begin(self)

    def on_response_complete(self: Any) -> None:
        complete(self)
        marks["written"] = time.perf_counter()
        if len(marks) == len(MARKS):
            sink.write(json.dumps(marks) + "\n")

    async def route(self: Any, scope: dict[str, Any], receive: Any, send: Any) -> None:
        marks["route"] = time.perf_counter()
        await enter(self, scope, receive, send)

    def timed_lane_job(*args: Any) -> Any:
        marks["lane start"] = time.perf_counter()
        try:
            return lane_job(*args)
        finally:
            marks["lane end"] = time.perf_counter()

    async def timed_answer(*args: Any) -> bytes:
        written = await answer(*args)
        marks["loop back"] = time.perf_counter()
        return written

    protocol.on_message_begin, protocol.on_response_complete = on_message_begin, on_response_complete  # type: ignore[method-assign]
    fast_path.__call__ = route  # type: ignore[method-assign]
    routes._answer_if_cached, routes.answer = timed_lane_job, timed_answer  # type: ignore[assignment]


def spans_ms(lines: list[str]) -> dict[str, float]:
    """p50 ms of each span between consecutive marks over the requests in ``lines``."""
    rows = [json.loads(line) for line in lines]
    return {f"{a} → {b}": round(statistics.median((r[b] - r[a]) * 1000.0 for r in rows), 3) for a, b in zip(MARKS, MARKS[1:])}


def timeline(requests: int, form: str) -> dict[str, Any]:
    payloads = [json.dumps(columns_body(b) if form == "columns" else b).encode() for b in request_bodies(64)]
    with tempfile.TemporaryDirectory(prefix="reeltag-timeline-") as tmp:
        port, marks = _free_port(), Path(tmp) / "marks.jsonl"
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)])}
        command = [sys.executable, "-m", "bench.timeline_api", "--serve", str(port), "--root", tmp, "--marks", str(marks)]
        log = Path(tmp) / "server.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            _wait_ready(port, proc, log)
            one_client_ms(port, payloads, 64)  # warm-up: every query vector cached, connections, caches
            skip = len(marks.read_text().splitlines())
            client = one_client_ms(port, payloads, requests)
            time.sleep(0.5)  # the last line written
        finally:
            _stop(proc)
        server = spans_ms(marks.read_text().splitlines()[skip:])
    return {
        "form": form,
        "requests": requests,
        "client_p50_ms": round(statistics.median(client), 3),
        "server_spans_p50_ms": server,
        "lane_job_in_process_p50_ms": in_process_ms(payloads, requests),
    }


def in_process_ms(payloads: list[bytes], requests: int) -> dict[str, float]:
    """p50 ms of the search lane's job (:func:`reeltag.api.routes_rerank._answer_if_cached`: parse, check, scoring,
    writing) on P7's serving state in this process, back to back and with 1 ms asleep before each request."""
    from reeltag.api.experiment import Experiment
    from reeltag.api.routes_rerank import _answer_if_cached
    from reeltag.api.server import blas_limit

    idle = {"back to back": 0.0, "1 ms idle before each": 0.001}
    with tempfile.TemporaryDirectory(prefix="reeltag-timeline-") as tmp:
        service = bench_service(Path(tmp))
        experiment = Experiment.for_project(service.project, service.metrics)
        times: dict[str, list[float]] = {name: [] for name in idle}
        try:
            for body in request_bodies(64):
                service.query_vector(body["query"])  # cached, as after the server's warm-up
            with blas_limit(service.project.settings.api):
                for name, idle_s in idle.items():
                    for i in range(64 + requests):
                        time.sleep(idle_s)
                        started = time.perf_counter()
                        _answer_if_cached(service, experiment, payloads[i % len(payloads)])
                        times[name].append((time.perf_counter() - started) * 1000.0)
        finally:
            service.close()
    return {name: round(statistics.median(spans[64:]), 3) for name, spans in times.items()}


def _wait_ready(port: int, proc: subprocess.Popen, log: Path) -> None:
    import httpx

    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.5)
    _stop(proc)
    raise RuntimeError(f"the timeline's bench server did not start: {log.read_text(errors='replace')[-2000:]}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.timeline_api", description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--form", choices=("list", "columns"), default="columns")
    parser.add_argument("--serve", type=int, default=0, help=argparse.SUPPRESS)  # child mode: serve on this port
    parser.add_argument("--root", default="", help=argparse.SUPPRESS)
    parser.add_argument("--marks", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        from bench.bench_api import serve

        instrument(Path(args.marks))
        serve(Path(args.root), args.serve)
        return
    print(json.dumps(timeline(args.requests, args.form), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
