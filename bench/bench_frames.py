"""P1: whole-pipeline frames/s ÷ bare model forward frames/s, same model and batch, tiny and ViT-B-32.

    python -m bench.bench_frames [--repeats N] [--videos N]

Videos: the first ``--videos`` clips of a seeded tiny demo set (generated into a temp folder). Pipeline =
``extract_features`` on an empty cache with the encoder already built (hash, probe, decode with resize on
decode, encode, cache write). Bare = ``encode_image`` on the same number of pre-decoded, pre-normalised
tensors in batches of ``clip.batch_size``. Both with random weights (speed does not depend on them). Also
reports the decode and encode shares of the pipeline, which decide whether overlapping them would pay.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

ARCHS = ("reeltag-tiny", "ViT-B-32")


def _videos(folder: Path, n: int) -> list[Path]:
    from reeltag.demo import generate_demo

    generate_demo(folder, seed=3, size="tiny")
    return sorted((folder / "videos").glob("*.mp4"))[:n]


def _pipeline_fps(arch: str, encoder: Any, videos: list[Path], scratch: Path) -> tuple[float, int]:
    from reeltag.project import Project
    from reeltag.video.steps import extract_features

    project = Project.open(Path(tempfile.mkdtemp(dir=scratch)), clip={"arch": arch})
    started = time.perf_counter()
    batch = extract_features(project, videos, encoder=encoder)
    seconds = time.perf_counter() - started
    frames = sum(len(f.frames) for f in batch.features)
    return frames / seconds, frames


def _decoded(encoder: Any, videos: list[Path]) -> Any:
    import numpy as np

    from reeltag.video.frames import read_frames
    from reeltag.video.sampling import Sampling

    return np.concatenate([read_frames(v, Sampling(), encoder.image_size, 2).frames for v in videos])


def _bare_fps(encoder: Any, tensor: Any) -> float:
    import torch

    started = time.perf_counter()
    with torch.inference_mode():
        for start in range(0, len(tensor), encoder.batch_size):
            encoder.model.encode_image(tensor[start : start + encoder.batch_size], normalize=True)
    return len(tensor) / (time.perf_counter() - started)


def _decode_seconds(encoder: Any, videos: list[Path]) -> float:
    started = time.perf_counter()
    _decoded(encoder, videos)
    return time.perf_counter() - started


def bench_arch(arch: str, videos: list[Path], repeats: int, scratch: Path) -> dict[str, Any]:
    from reeltag.project import Project
    from reeltag.video.encoder import load_encoder

    project = Project.open(scratch, clip={"arch": arch})
    encoder = load_encoder(project.settings.clip, project.paths)
    tensor = encoder.image_tensor(_decoded(encoder, videos))
    _bare_fps(encoder, tensor[: encoder.batch_size])  # warm-up
    pipe = [_pipeline_fps(arch, encoder, videos, scratch)[0] for _ in range(repeats)]
    bare = [_bare_fps(encoder, tensor) for _ in range(repeats)]
    decode_s = statistics.median(_decode_seconds(encoder, videos) for _ in range(repeats))
    p, b = statistics.median(pipe), statistics.median(bare)
    return {
        "arch": arch,
        "frames": len(tensor),
        "batch": encoder.batch_size,
        "pipeline_fps": round(p, 1),
        "bare_fps": round(b, 1),
        "ratio": round(p / b, 3),
        "decode_share": round(decode_s * p / len(tensor), 3),
    }


def run(repeats: int = 3, n_videos: int = 16) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-frames-") as tmp:
        scratch = Path(tmp)
        videos = _videos(scratch / "demo", n_videos)
        rows = [bench_arch(arch, videos, max(1, repeats), scratch) for arch in ARCHS]
    summary = ", ".join(f"{r['arch']}: {r['ratio']:.2f} ({r['pipeline_fps']:.0f}/{r['bare_fps']:.0f} fps)" for r in rows)
    return {
        "figure": "pipeline fps / bare forward fps (random weights)",
        "summary": summary,
        "ratio": rows[0]["ratio"],
        "videos": len(videos),
        "rows": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--videos", type=int, default=16)
    args = parser.parse_args()
    print(json.dumps(run(args.repeats, args.videos), indent=1))


if __name__ == "__main__":
    main()
