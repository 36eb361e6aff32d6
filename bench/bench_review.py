"""R1: staff review next-item latency with 4 concurrent reviewers, and its ratio to one reviewer alone.

    python -m bench.bench_review [--repeats N] [--items N]

A real ``reeltag review`` server (uvicorn, 127.0.0.1, its own process) over a queue of synthetic items (8
suggestions each); every reviewer is a thread with its own HTTP client and cookie that accepts suggestion 1 and
submits (what ``a`` then ``Enter`` send). Next-item latency = the submit request until the next item's panel
has arrived (the lease of the next item, the submission's durable commit and the panel render are all in it).
Reports p50/p95 ms with 4 reviewers and with 1, medians over ``repeats`` passes (a fresh queue each pass).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from reeltag.review.store import NewItem, ReviewStore

ITEM = re.compile(r'data-item-id="(\d+)"')
CSRF = re.compile(r'data-csrf="([0-9a-f]+)"')
TAGS = tuple(f"tag{i}" for i in range(8))


def _queue(root: Path, n_items: int) -> None:
    items = [
        NewItem(
            video=f"/synthetic/{i}.mp4",
            video_sha256=f"{i:064x}",
            split="",
            control=False,
            suggestions=tuple((t, 0.9 - 0.1 * j - 1e-4 * i) for j, t in enumerate(TAGS)),
            codec="h264",
            playable=True,
            strip=None,
            mapper_version="1",
            tag2vec_version="1",
            encoder_id="bench",
            encoder_weights="random",
        )
        for i in range(n_items)
    ]
    ReviewStore(root / "data" / "review" / "review.db").create().add_items("default", items)


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(root: Path, port: int) -> subprocess.Popen[bytes]:
    import httpx

    cmd = [sys.executable, "-c", "from reeltag.cli import app; app()", "review", "--root", str(root), "--port", str(port)]
    proc = subprocess.Popen(cmd, env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        try:
            httpx.get(f"http://127.0.0.1:{port}/static/review.css", timeout=1.0).raise_for_status()
            return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the review server did not start within 60 s")


def _reviewer(base: str, name: str) -> list[float]:
    """One reviewer until the queue is empty: ms from each submit until the next panel arrived."""
    import httpx

    latencies: list[float] = []
    with httpx.Client(base_url=base, timeout=60.0) as http:
        headers = {"X-CSRF-Token": CSRF.search(http.get("/").text).group(1)}  # type: ignore[union-attr]
        http.post("/reviewer", data={"name": name}, headers=headers).raise_for_status()  # the name, chosen once
        item = ITEM.search(http.post("/next", headers=headers).text)
        while item is not None:
            http.post(f"/items/{item.group(1)}/actions", data={"kind": "accept", "rank": "1"}, headers=headers)
            started = time.perf_counter()
            answer = http.post(f"/items/{item.group(1)}/submit", data={"seconds": "2.0"}, headers=headers)
            latencies.append((time.perf_counter() - started) * 1000.0)
            item = ITEM.search(answer.text)
    return latencies


def measure(reviewers: int, items: int) -> list[float]:
    """Latencies of ``reviewers`` concurrent reviewers over a fresh queue of ``items``."""
    with tempfile.TemporaryDirectory() as tmp:
        root, port = Path(tmp), _port()
        _queue(root, items)
        proc = _serve(root, port)
        try:
            with ThreadPoolExecutor(max_workers=reviewers) as pool:
                runs = list(pool.map(lambda i: _reviewer(f"http://127.0.0.1:{port}", f"r{i}"), range(reviewers)))
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return [x for run in runs for x in run]


def run(repeats: int = 3, items: int = 160) -> dict[str, object]:
    four, one = [], []
    for _ in range(max(1, repeats)):
        four.append(np.percentile(measure(4, items), [50, 95]))
        one.append(np.percentile(measure(1, items // 4), [50, 95]))
    p50_4, p95_4 = (float(np.median([x[i] for x in four])) for i in (0, 1))
    p50_1, p95_1 = (float(np.median([x[i] for x in one])) for i in (0, 1))
    return {
        "figure": "review next-item latency, 4 concurrent reviewers (submit → next panel)",
        "summary": f"p50 {p50_4:.1f} ms, p95 {p95_4:.1f} ms (1 reviewer: p50 {p50_1:.1f}, p95 {p95_1:.1f})",
        "ratio": round(p50_4 / p50_1, 2) if p50_1 else None,
        "p50_ms": round(p50_4, 2),
        "p95_ms": round(p95_4, 2),
        "p50_ms_1": round(p50_1, 2),
        "p95_ms_1": round(p95_1, 2),
        "items": items,
        "repeats": repeats,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--items", type=int, default=160)
    args = parser.parse_args()
    print(json.dumps(run(args.repeats, args.items), indent=2))


if __name__ == "__main__":
    main()
