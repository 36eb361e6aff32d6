"""P4: tag-suggestion latency for one 10 s video, end to end, and what the mapper's file format costs.

    python -m bench.bench_suggest [--repeats N] [--tags 100000]

One repeat = what ``reeltag suggest`` does for one uncached video: decode 8 uniformly sampled frames (decord,
resized on decode), encode them with ViT-B-32 (random weights: speed only), mean-pool, map with the mapper MLP
(512 → 256 → 100), rank 100k tag vectors by cosine with plain numpy and keep the top 10. Reports the p50 over
``repeats`` of the total and of each stage, nearest tags over 1M tags (the "numpy is enough" check), and save/load
times of the mapper's ``state_dict`` in torch's legacy pickle format versus the default zip format.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from reeltag.config import ClipSection
from reeltag.mapper.model import MapperArgs, TagMapper
from reeltag.mapper.nearest import TagIndex, nearest_tags
from reeltag.mapper.train import predict
from reeltag.paths import ProjectPaths
from reeltag.video.sampling import Sampling

SECONDS, FPS, WIDTH, HEIGHT = 10, 25, 320, 240
TAG_DIM, K = 100, 10


def make_video(target: Path, seed: int = 0) -> Path:
    """A 10 s 320x240 25 fps H.264 clip of moving noise blocks (seeded)."""
    from reeltag.demo.videos import encode_video

    rng = np.random.default_rng(seed)
    base = rng.integers(0, 255, size=(HEIGHT // 8, WIDTH // 8, 3), dtype=np.uint8)
    frames = np.stack([np.roll(base, t, axis=1).repeat(8, 0).repeat(8, 1) for t in range(SECONDS * FPS)])
    return encode_video(target, frames, FPS)


def _timed(func: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    out = func()
    return out, (time.perf_counter() - started) * 1000.0


def _tag_index(n_tags: int, seed: int = 1) -> TagIndex:
    vectors = np.random.default_rng(seed).normal(size=(n_tags, TAG_DIM)).astype(np.float32)
    return TagIndex.build([f"t{i}" for i in range(n_tags)], vectors)


def one_suggestion(video: Path, encoder: Any, mapper: TagMapper, index: TagIndex) -> dict[str, float]:
    """Stage times (ms) of one video's suggestion."""
    from reeltag.video.frames import read_frames

    frames, decode_ms = _timed(lambda: read_frames(video, Sampling("uniform", 8), encoder.image_size, 2))
    vectors, encode_ms = _timed(lambda: encoder.encode_images(frames.frames))
    mapped, map_ms = _timed(lambda: predict(mapper, vectors.mean(axis=0, keepdims=True)))
    ranked, nearest_ms = _timed(lambda: nearest_tags(mapped, index, K))
    assert len(ranked[0]) == K
    return {
        "decode_ms": decode_ms,
        "encode_ms": encode_ms,
        "map_ms": map_ms,
        "nearest_ms": nearest_ms,
        "total_ms": decode_ms + encode_ms + map_ms + nearest_ms,
    }


def pickle_formats(mapper: TagMapper, rounds: int = 100) -> dict[str, float]:
    """Median save+load ms of the mapper state_dict to a file: legacy pickle (what reeltag writes) vs the zip
    default, interleaved round by round so both see the same machine load."""
    import torch

    def roundtrip(path: Path, zipped: bool) -> float:
        started = time.perf_counter()
        torch.save(mapper.state_dict(), path, _use_new_zipfile_serialization=zipped)
        torch.load(path, map_location="cpu", weights_only=True)
        return (time.perf_counter() - started) * 1000.0

    times: dict[bool, list[float]] = {False: [], True: []}
    with tempfile.TemporaryDirectory(prefix="reeltag-bench-pickle-") as tmp:
        for _ in range(rounds):
            for zipped in (False, True):
                times[zipped].append(roundtrip(Path(tmp) / "mapper.pt", zipped))
    legacy, zipped = statistics.median(times[False]), statistics.median(times[True])
    return {
        "state_dict_legacy_ms": round(legacy, 3),
        "state_dict_zip_ms": round(zipped, 3),
        "zip_over_legacy": round(zipped / legacy, 2),
    }


def run(repeats: int = 5, n_tags: int = 100_000) -> dict[str, Any]:
    """P4 row for ``python -m bench``."""
    from reeltag.video.encoder import load_encoder

    with tempfile.TemporaryDirectory(prefix="reeltag-bench-suggest-") as tmp:
        video = make_video(Path(tmp) / "ten_seconds.mp4")
        encoder = load_encoder(ClipSection(arch="ViT-B-32", weights="random", threads=2), ProjectPaths.at(tmp))
        mapper = TagMapper(MapperArgs(in_dim=512, out_dim=TAG_DIM, hidden=256, loss="ranking", temperature=0.1)).eval()
        index = _tag_index(n_tags)
        one_suggestion(video, encoder, mapper, index)  # warm-up: first forward pass, page cache
        runs = [one_suggestion(video, encoder, mapper, index) for _ in range(repeats)]
    p50 = {key: round(statistics.median(r[key] for r in runs), 2) for key in runs[0]}
    million = _tag_index(1_000_000)
    query = np.random.default_rng(2).normal(size=(1, TAG_DIM)).astype(np.float32)
    million_ms = statistics.median(_timed(lambda: nearest_tags(query, million, K))[1] for _ in range(3))
    return {
        "figure": f"P4 suggest latency, one 10 s video (8 frames, ViT-B-32 random, {n_tags // 1000}k tags)",
        "summary": f"p50 {p50['total_ms']:.0f} ms",
        "ratio": round(p50["nearest_ms"] / p50["total_ms"], 4),
        "ratio_means": "share of the total spent in nearest tags",
        "repeats": repeats,
        "p50": p50,
        "nearest_1m_tags_ms": round(million_ms, 1),
        **pickle_formats(mapper),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_suggest", description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--tags", type=int, default=100_000)
    args = parser.parse_args()
    print(json.dumps(run(args.repeats, args.tags), indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
