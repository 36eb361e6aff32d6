"""P9: the search path beside uploads (issue 25) — ``/v1/rerank`` alone and while decode bombs are uploaded, and
the server's RSS around 16 concurrent 49 MiB uploads.

    python -m bench.bench_lanes [--requests 400] [--clients 8] [--bombers 2]

P7's server (``bench.bench_api``: the real app under uvicorn in a child process on a free 127.0.0.1 port, stopped
by its pid; 5,000 cached documents × 8 frames × 512 dims, ViT-B-32 random weights, 100k tags) with
``api.video_queue = 16`` and a decode budget raised so that the bomb IS decoded (the worst case for the search path;
with the default budget it is refused at the probe, timed once below). The bomb is the issue's file: 600 black
7680×4320 frames, one keyframe (``ffmpeg -f lavfi -i color=c=black:s=7680x4320:r=25:d=24 -c:v libx264 -preset
ultrafast -qp 51 -g 100000``), a few unique bytes appended per upload so no cache could answer.

1. RSS: one warm-up upload, then 16 clients post a 49 MiB file at once (a small real clip plus a 49 MiB MP4
   ``free`` box, unique per copy); the server's VmRSS before, its peak (sampled every 20 ms) and 2 s after.
2. ``/v1/rerank`` top-1000, ``clients`` concurrent clients, every request a query text never seen before (each
   needs the text tower): p50 and p99 alone, then again while ``bombers`` clients keep posting the bomb to
   ``/v1/suggest`` (measured once the first bomb is in the video lane). The figure is p99 with ÷ p99 without
   (goal ≤ 2), side by side in one run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import struct
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from bench.bench_api import _free_port, _load, _pct, _start, _stop, request_bodies

BOMB_ARGS = ("-f", "lavfi", "-i", "color=c=black:s=7680x4320:r=25:d=24", "-c:v", "libx264", "-preset", "ultrafast")
BOMB_CODEC = ("-qp", "51", "-g", "100000")
SERVER_API = {
    "video_queue": 16,
    "max_upload_mb": 64.0,
    "max_pixels_per_video": 10**12,
    "max_decode_s": 3600.0,
}
UPLOADS, UPLOAD_MIB = 16, 49
HEAD_START_S = 3.0  # the bombs are uploaded and reach the decoder before the rerank load starts


def make_bomb(target: Path) -> Path:
    import subprocess

    import imageio_ffmpeg

    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *BOMB_ARGS, *BOMB_CODEC, str(target)]
    subprocess.run(cmd, check=True, capture_output=True, timeout=1800)
    return target


def padded(source: Path, target: Path, mib: int, tag: int) -> Path:
    """``source`` followed by an MP4 ``free`` box of ``mib`` MiB (valid, ignored), unique by ``tag``."""
    size = mib * 2**20
    with target.open("wb") as out:
        out.write(source.read_bytes())
        out.write(struct.pack(">I4s", size, b"free"))
        block = tag.to_bytes(8, "big") * (2**16 // 8)
        for _ in range((size - 8) // len(block)):
            out.write(block)
        out.write(b"\0" * ((size - 8) % len(block)))
    return target


def rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:"))) / 1024


def _post_file(url: str, path: Path, timeout_s: float = 3600.0) -> tuple[int, float]:
    import httpx

    started = time.perf_counter()
    with path.open("rb") as video:
        status = httpx.post(f"{url}/v1/suggest", files={"video": video}, data={"k": "10"}, timeout=timeout_s).status_code
    return status, time.perf_counter() - started


def rss_around_uploads(url: str, pid: int, clip: Path, folder: Path) -> dict[str, Any]:
    """VmRSS before, peak during and 2 s after ``UPLOADS`` concurrent ``UPLOAD_MIB`` MiB uploads."""
    files = [padded(clip, folder / f"big{i}.mp4", UPLOAD_MIB, i) for i in range(UPLOADS)]
    assert _post_file(url, clip)[0] == 200  # warm-up: first decode and forward pass
    before, peak, done = rss_mib(pid), [0.0], threading.Event()

    def sample() -> None:
        while not done.wait(0.02):
            peak[0] = max(peak[0], rss_mib(pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    with ThreadPoolExecutor(max_workers=UPLOADS) as pool:
        answers = list(pool.map(lambda f: _post_file(url, f), files))
    done.set()
    sampler.join()
    time.sleep(2.0)
    after = rss_mib(pid)
    for f in files:
        f.unlink()
    return {
        "rss_before_mib": round(before, 1),
        "rss_peak_mib": round(peak[0], 1),
        "rss_after_mib": round(after, 1),
        "rss_after_over_before": round(after / before, 3),
        "upload_statuses": sorted({s for s, _ in answers}),
    }


class Bombers:
    """``n`` threads posting the bomb (unique bytes each time) until stopped; statuses and seconds of each."""

    def __init__(self, url: str, bomb: Path, folder: Path, n: int):
        self.url, self.bomb, self.folder, self.n = url, bomb, folder, n
        self.stop, self.done = threading.Event(), list[tuple[int, float]]()
        self.threads = [threading.Thread(target=self._loop, args=(i,), daemon=True) for i in range(n)]

    def _loop(self, worker: int) -> None:
        import httpx

        data, copy = self.bomb.read_bytes(), 0
        while not self.stop.is_set():
            path = self.folder / f"bomb-{worker}-{copy}.mp4"
            path.write_bytes(data + f"copy {worker}-{copy}".encode())
            try:
                self.done.append(_post_file(self.url, path))
            except httpx.HTTPError:  # the server stopped under a bomb at the end of the run
                return
            copy += 1

    def __enter__(self) -> Bombers:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()  # bombs still in the server are cut off when it stops (daemon threads, not waited for)


def rerank_payloads(requests: int, tag: str) -> list[bytes]:
    """``requests`` bodies of 1,000 candidates, each with a query text never sent before."""
    bodies = request_bodies(64)
    return [json.dumps({**bodies[i % 64], "query": f"{tag} query {i}"}).encode() for i in range(requests)]


def _phase(url: str, requests: int, clients: int, tag: str) -> dict[str, float]:
    latencies, wall, statuses = asyncio.run(_load(url, rerank_payloads(requests, tag), requests, clients))
    ms = [x * 1000.0 for x in latencies]
    return {
        "p50_ms": _pct(ms, 50),
        "p99_ms": _pct(ms, 99),
        "requests_per_s": round(requests / wall, 1),
        "non_2xx": sum(1 for s in statuses if not 200 <= s < 300),
    }


def default_budget_refusal_ms(bomb: Path, root: Path) -> tuple[int, float]:
    """The bomb against a server with the default budget is refused at the probe: status and milliseconds."""
    port = _free_port()
    proc = _start(root, port)
    try:
        status, seconds = _post_file(f"http://127.0.0.1:{port}", bomb)
    finally:
        _stop(proc)
    return status, round(seconds * 1000.0, 1)


def run(repeats: int = 3, requests: int = 400, clients: int = 8, bombers: int = 2) -> dict[str, Any]:
    """P9 row for ``python -m bench``."""
    from bench.bench_suggest import make_video

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="reeltag-bench-lanes-") as tmp:
        root, port = Path(tmp), _free_port()
        clip, bomb = make_video(root / "clip.mp4"), make_bomb(root / "bomb.mp4")
        proc = _start(root, port, api=SERVER_API)
        try:
            url = f"http://127.0.0.1:{port}"
            memory = rss_around_uploads(url, proc.pid, clip, root)
            _phase(url, 4 * clients, clients, "warm-up")
            alone = _phase(url, requests, clients, "alone")
            with Bombers(url, bomb, root, bombers) as bombs:
                time.sleep(HEAD_START_S)
                beside = _phase(url, requests, clients, "beside")
                in_flight = len(bombs.done)
            bomb_statuses = sorted({s for s, _ in bombs.done})
            bomb_s = [s for _, s in bombs.done]
        finally:
            _stop(proc)
        refused = default_budget_refusal_ms(bomb, root)
    ratio = round(beside["p99_ms"] / alone["p99_ms"], 2)
    return {
        "figure": f"P9 /v1/rerank top-1000, {clients} clients, new query each: p99 beside {bombers} bomb uploaders ÷ alone",
        "summary": (
            f"alone p50 {alone['p50_ms']} ms p99 {alone['p99_ms']} ms; beside bombs p50 {beside['p50_ms']} ms "
            f"p99 {beside['p99_ms']} ms (× {ratio}); bombs {len(bomb_s)} done, median {np.median(bomb_s or [0]):.1f} s; "
            f"RSS {memory['rss_before_mib']} → peak {memory['rss_peak_mib']} → {memory['rss_after_mib']} MiB around "
            f"{UPLOADS} × {UPLOAD_MIB} MiB uploads; default budget refuses the bomb: {refused[0]} in {refused[1]} ms"
        ),
        "ratio": ratio,
        "ratio_means": "p99 of /v1/rerank while bombs are uploaded ÷ p99 alone (goal ≤ 2)",
        "alone": alone,
        "beside_bombs": beside,
        "bombs_done_during_phase": in_flight,
        "bomb_statuses": bomb_statuses,
        "bomb_seconds_median": round(float(np.median(bomb_s)), 1) if bomb_s else None,
        "default_budget_bomb": {"status": refused[0], "ms": refused[1]},
        **memory,
        "requests": requests,
        "clients": clients,
        "bombers": bombers,
        "cpus": os.cpu_count(),
        "load_avg_before": [round(x, 2) for x in load_before],
        "load_avg_after": [round(x, 2) for x in os.getloadavg()],
        "repeats": repeats,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_lanes", description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--bombers", type=int, default=2)
    args = parser.parse_args()
    print(json.dumps(run(args.repeats, args.requests, args.clients, args.bombers), indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
