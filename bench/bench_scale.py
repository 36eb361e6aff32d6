"""P8: feature extraction with 2 Dask workers (1 torch thread each) ÷ the local path with 2 torch threads, and
the prefetch thread's gain (decode overlapping encode) on the local path; same videos, same model, random weights.

    python -m bench.bench_scale [--repeats N] [--videos N] [--arch reeltag-tiny]

Videos: the first ``--videos`` clips of a seeded tiny demo set. Every timed run starts from an empty feature
cache. The Dask arm uses one LocalCluster (2 processes × 1 thread, 127.0.0.1) started and warmed up (encoder
loaded in each worker) before timing, as a running cluster would be; the local arms get the encoder built before
timing. Frames/s = sampled frames ÷ wall seconds of ``extract_features``.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

DASK_WORKERS = 2


def _videos(folder: Path, n: int) -> list[Path]:
    from reeltag.demo import generate_demo

    generate_demo(folder, seed=3, size="tiny")
    return sorted((folder / "videos").glob("*.mp4"))[:n]


def _fps(scratch: Path, videos: list[Path], encoder: Any = None, **sections: Any) -> float:
    from reeltag.project import Project
    from reeltag.video.steps import extract_features

    project = Project.open(Path(tempfile.mkdtemp(dir=scratch)), **sections)
    started = time.perf_counter()
    batch = extract_features(project, videos, encoder=encoder)
    seconds = time.perf_counter() - started
    assert batch.encoded == len(videos), batch.summary()
    return sum(len(f.frames) for f in batch.features) / seconds


def _local_arms(scratch: Path, videos: list[Path], arch: str, repeats: int) -> dict[str, list[float]]:
    from reeltag.project import Project
    from reeltag.video.encoder import load_encoder

    clip = {"arch": arch, "threads": 2}
    encoder = load_encoder(Project.open(scratch, clip=clip).settings.clip, Project.open(scratch).paths)
    arms: dict[str, list[float]] = {"prefetch": [], "no_prefetch": []}
    for _ in range(repeats):  # alternating, so load changes hit both arms alike
        arms["no_prefetch"].append(_fps(scratch, videos, encoder, clip=clip, video={"prefetch_videos": 0}))
        arms["prefetch"].append(_fps(scratch, videos, encoder, clip=clip))
    return arms


def _dask_arm(scratch: Path, videos: list[Path], arch: str, repeats: int) -> list[float]:
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=DASK_WORKERS,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=":0",
        silence_logs=logging.ERROR,
    ) as cluster:
        video = {"executor": "dask", "dask_address": cluster.scheduler_address, "dask_chunk_videos": max(1, len(videos) // 8)}
        _fps(scratch, videos, clip={"arch": arch}, video=video)  # warm-up: each worker loads its encoder
        return [_fps(scratch, videos, clip={"arch": arch}, video=video) for _ in range(repeats)]


def cache_entry_bytes(frames: int, dims: int) -> int:
    """Size on disk of one feature-cache entry of ``frames`` × ``dims`` vectors (the real writer, synthetic values)."""
    import numpy as np

    from reeltag.video.cache import CachedFeatures, FeatureCache, pool

    vectors = np.random.default_rng(0).standard_normal((frames, dims)).astype(np.float32)
    entry = CachedFeatures(
        key="0" * 40,
        frames=vectors,
        pooled=pool(vectors),
        indices=tuple(range(frames)),
        timestamps_s=tuple(float(i) for i in range(frames)),
        model_id="ViT-B-32@" + "0" * 16,
        weights_kind="real",
        sampling=f"uniform{frames}",
        video_sha256="0" * 64,
        source="/archive/videos/000000/0000000.mp4",
    )
    with tempfile.TemporaryDirectory() as tmp:
        return FeatureCache(Path(tmp)).put(entry).stat().st_size


def run(repeats: int = 3, n_videos: int = 32, arch: str = "reeltag-tiny") -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        scratch = Path(tmp)
        videos = _videos(scratch / "demo", n_videos)
        local = _local_arms(scratch, videos, arch, max(1, repeats))
        dask = _dask_arm(scratch, videos, arch, max(1, repeats))
    pre, nopre, dk = (statistics.median(x) for x in (local["prefetch"], local["no_prefetch"], dask))
    return {
        "figure": f"extraction fps: {DASK_WORKERS} Dask workers × 1 thread ÷ local 2 threads; prefetch gain ({arch})",
        "ratio": round(dk / pre, 3),
        "prefetch_gain": round(pre / nopre, 3),
        "dask_fps": round(dk, 1),
        "local_fps": round(pre, 1),
        "cache_entry_bytes_vit_b32_8_frames": cache_entry_bytes(8, 512),
        "local_no_prefetch_fps": round(nopre, 1),
        "videos": len(videos),
        "arch": arch,
        "summary": f"Dask ÷ local {dk / pre:.2f} ({dk:.0f} / {pre:.0f} fps); prefetch on ÷ off {pre / nopre:.2f} "
        f"({pre:.0f} / {nopre:.0f} fps)",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--videos", type=int, default=32)
    parser.add_argument("--arch", default="reeltag-tiny")
    args = parser.parse_args()
    print(json.dumps(run(args.repeats, args.videos, args.arch), indent=1))


if __name__ == "__main__":
    main()
