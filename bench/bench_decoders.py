"""decord 0.6 vs decord2 on the real clips: sampled-frame decode speed through reeltag's own frame reader.

Runs with whichever ``decord`` the interpreter has, so the same file measures both builds::

    python bench/bench_decoders.py --videos ../shared/data/videos                       # decord2 (project venv)
    PYTHONPATH=src /tmp/decord06-venv/bin/python bench/bench_decoders.py --videos ...    # decord 0.6 (temp venv)

Per clip: median seconds over ``repeats`` to read 8 uniform frames at 224 px (probe + resize-on-decode +
centre crop), and whether it failed. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

VIDEO_SUFFIXES = {".mp4", ".webm", ".avi", ".mkv", ".mov"}


def time_clip(path: Path, repeats: int, side: int, threads: int) -> dict[str, object]:
    from reeltag.errors import UnreadableVideo
    from reeltag.video.frames import read_frames
    from reeltag.video.sampling import Sampling

    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        try:
            read_frames(path, Sampling("uniform", 8), side=side, threads=threads)
        except UnreadableVideo as exc:
            return {"clip": path.name, "error": str(exc)}
        times.append(time.perf_counter() - started)
    return {"clip": path.name, "median_s": round(statistics.median(times), 4)}


def run(videos: Path, repeats: int = 5, side: int = 224, threads: int = 2) -> dict[str, object]:
    import decord

    clips = sorted(p for p in videos.rglob("*") if p.suffix.lower() in VIDEO_SUFFIXES)
    rows = [time_clip(p, repeats, side, threads) for p in clips]
    total = sum(float(r.get("median_s", 0.0)) for r in rows)
    ok = [r for r in rows if "median_s" in r]
    return {
        "decord": decord.__version__,
        "python": sys.version.split()[0],
        "clips": len(rows),
        "decoded": len(ok),
        "total_s": round(total, 3),
        "frames_per_s": round(8 * len(ok) / total, 1) if total else 0.0,
        "rows": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=Path, default=Path("../shared/data/videos"))
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    print(json.dumps(run(args.videos, args.repeats, threads=args.threads), indent=1))


if __name__ == "__main__":
    main()
