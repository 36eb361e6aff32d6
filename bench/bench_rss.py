"""P5: peak RSS of `extract_features` over 1,000 videos vs 100 videos (tiny encoder, random weights).

    python -m bench.bench_rss [--repeats N] [--small 100] [--large 1000]

Distinct videos are made cheaply from the seeded tiny demo clips: each copy gets its own MP4 ``free`` box
appended (a valid, ignored box), so every file has a different content hash and is decoded and encoded.
Each size runs in a fresh interpreter that reports its own peak RSS (``VmHWM`` from ``/proc/self/status``; not
``ru_maxrss``, which Linux carries over from the parent across fork+exec, so a big parent would mask the child); the figure is
peak(large) / peak(small): near 1 means memory does not grow with the batch. At most 2 passes per size.
"""

from __future__ import annotations

import argparse
import json
import statistics
import struct
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

MAX_PASSES = 2  # peak RSS barely varies between passes; a 1,000-video pass takes minutes

CHILD = """
import json, sys, time
from pathlib import Path
from reeltag.video.steps import extract_features
from reeltag.project import Project
started = time.perf_counter()
batch = extract_features(Project.open(sys.argv[1]), [sys.argv[2]])
print(json.dumps({"encoded": batch.encoded, "quarantined": batch.quarantined, "seconds": time.perf_counter() - started,
                  "peak_rss_mb": int(next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1]) / 1024}))
"""


def make_videos(folder: Path, n: int, sources: list[Path]) -> Path:
    """``n`` distinct MP4 files in ``folder`` (copies of ``sources`` with a numbered ``free`` box)."""
    folder.mkdir(parents=True, exist_ok=True)
    blobs = [s.read_bytes() for s in sources]
    for i in range(n):
        box = struct.pack(">I4sQ", 16, b"free", i)
        (folder / f"v{i:05d}.mp4").write_bytes(blobs[i % len(blobs)] + box)
    return folder


def peak_rss(root: Path, videos: Path) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-c", CHILD, str(root), str(videos)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(repeats: int = 1, small: int = 100, large: int = 1000) -> dict[str, Any]:
    from reeltag.demo import generate_demo

    with tempfile.TemporaryDirectory(prefix="bench-rss-") as tmp:
        scratch = Path(tmp)
        generate_demo(scratch / "demo", seed=5, size="tiny")
        sources = sorted((scratch / "demo" / "videos").glob("*.mp4"))
        sizes = {n: make_videos(scratch / f"videos-{n}", n, sources) for n in (small, large)}
        passes = range(min(max(1, repeats), MAX_PASSES))
        runs = {n: [peak_rss(scratch / f"root-{n}-{r}", sizes[n]) for r in passes] for n in (small, large)}
    peaks = {n: statistics.median(r["peak_rss_mb"] for r in rs) for n, rs in runs.items()}
    ratio = peaks[large] / peaks[small]
    return {
        "figure": f"peak RSS {large} videos / {small} videos",
        "summary": f"{ratio:.2f} ({peaks[large]:.0f} / {peaks[small]:.0f} MB)",
        "ratio": round(ratio, 3),
        "peak_rss_mb": {str(n): round(v, 1) for n, v in peaks.items()},
        "seconds": {str(n): round(statistics.median(r["seconds"] for r in rs), 1) for n, rs in runs.items()},
        "encoded": {str(n): rs[0]["encoded"] for n, rs in runs.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--large", type=int, default=1000)
    args = parser.parse_args()
    print(json.dumps(run(args.repeats, args.small, args.large), indent=1))


if __name__ == "__main__":
    main()
