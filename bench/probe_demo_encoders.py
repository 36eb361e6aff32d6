"""Which tiny encoder, trained from scratch on which demo texts, can rerank the demo search set?

The measurement behind the demo's encoder choice (README "Encoders"). For each architecture × text kind it
trains a random-init encoder on all the demo's pairs the way ``reeltag clip adapt`` does (same frame sampling,
contrastive loop, settings and seed; no held-out videos), then measures on the demo search set:

* ``colour_acc`` / ``shape_acc``: zero-shot accuracy of the colour and of the shape of the best of the 64
  ``a <colour> <shape>`` texts, on 2 frames inside every search segment (chance 0.125 each);
* ``map_clip`` (CLIP alone, α = 1, max over frames) and ``map_engine`` (the base run, α = 0).

Text kinds: ``caption`` = the full caption (``a red circle moving left on a grey background``, the
``segments.jsonl`` pairs), ``object`` = the object alone (``a red circle``, the demo's ``pairs.jsonl``).
Prints one JSON object (and one line per trained model on stderr)::

    python bench/probe_demo_encoders.py --size small --steps 400           # ~8 min on 2 cores
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

TEXT_FILES = {"caption": "segments.jsonl", "object": "pairs.jsonl"}
ARCHS = ("reeltag-tiny", "reeltag-tiny-rn")


def train(arch: str, pairs_file: Path, steps: int, seed: int) -> tuple[Any, float]:
    """A random-init ``arch`` trained like ``reeltag clip adapt`` on every pair of ``pairs_file``."""
    from reeltag.config import ClipSection
    from reeltag.paths import ProjectPaths
    from reeltag.video.adapt import TrainConfig, sample_pair_frames, train_contrastive
    from reeltag.video.encoder import load_encoder
    from reeltag.video.pairs import read_pairs

    clip = ClipSection(arch=arch, weights="random", seed=seed)
    encoder = load_encoder(clip, ProjectPaths.at(pairs_file.parent))
    data, _ = sample_pair_frames(read_pairs(pairs_file).pairs, encoder.image_size, clip.adapt_frames_per_pair)
    started = time.perf_counter()
    train_contrastive(encoder, data, TrainConfig(steps=steps, batch_size=clip.adapt_batch_size, lr=1e-3, seed=seed))
    return encoder, time.perf_counter() - started


def colour_shape_accuracy(encoder: Any, search: Path) -> tuple[float, float]:
    from reeltag.demo.world import COLOURS, SHAPES, describe_object
    from reeltag.video.frames import read_frames
    from reeltag.video.sampling import Sampling

    objects = [(c, s) for c in COLOURS for s in SHAPES]
    texts = encoder.encode_texts([describe_object(c, s) for c, s in objects])
    colour_hits, shape_hits = [], []
    for row in map(json.loads, (search / "segments.jsonl").read_text(encoding="utf-8").splitlines()):
        window = (row["start_s"], row["end_s"])
        frames = read_frames(search / row["video"], Sampling("uniform", 2), encoder.image_size, window=window).frames
        for best in (encoder.encode_images(frames) @ texts.T).argmax(axis=1):
            colour_hits.append(objects[best][0] == row["colour"])
            shape_hits.append(objects[best][1] == row["shape"])
    return float(np.mean(colour_hits)), float(np.mean(shape_hits))


def search_map(encoder: Any, search: Path, frames_per_video: int = 8) -> tuple[float, float]:
    """(MAP of CLIP alone, MAP of the engine) on the demo search set, all candidates reranked."""
    from reeltag.rerank.apply import prepare, rerank_prepared
    from reeltag.rerank.formats import read_manifest, read_qrels, read_run, read_topics
    from reeltag.rerank.metrics import evaluate
    from reeltag.rerank.tuning import Setting
    from reeltag.video.frames import read_frames
    from reeltag.video.sampling import Sampling

    run, qrels = read_run(search / "base.run"), read_qrels(search / "qrels.txt")
    topics, manifest = read_topics(search / "topics.txt"), read_manifest(search / "manifest.csv")
    frames = {
        d: encoder.encode_images(read_frames(p, Sampling("uniform", frames_per_video), encoder.image_size).frames)
        for d, p in manifest.paths.items()
    }
    queries = dict(zip(topics.texts, encoder.encode_texts(list(topics.texts.values()))))
    depth = max(len(r) for r in run.rankings.values())
    clip_alone = rerank_prepared(prepare(run, queries, frames, depth), Setting(1.0, "minmax", "max"), top_m=3)
    return evaluate(clip_alone, qrels, ["AP"]).mean["AP"], evaluate(run, qrels, ["AP"]).mean["AP"]


def probe(demo: Path, arch: str, text: str, steps: int, seed: int) -> dict[str, Any]:
    encoder, seconds = train(arch, demo / TEXT_FILES[text], steps, seed)
    colour, shape = colour_shape_accuracy(encoder, demo / "search")
    map_clip, map_engine = search_map(encoder, demo / "search")
    row = {
        "arch": arch,
        "text": text,
        "steps": steps,
        "train_s": round(seconds, 1),
        "colour_acc": round(colour, 3),
        "shape_acc": round(shape, 3),
        "map_clip": round(map_clip, 3),
        "map_engine": round(map_engine, 3),
    }
    print(json.dumps(row), file=sys.stderr, flush=True)
    return row


def main() -> None:
    from reeltag.demo import generate_demo

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="small", choices=("tiny", "small", "full"))
    parser.add_argument("--seed", type=int, default=1, help="Seed of the demo data.")
    parser.add_argument("--steps", type=int, default=400)
    parser.add_argument("--arch", action="append", choices=ARCHS, help="Repeatable; default: both.")
    parser.add_argument("--text", action="append", choices=tuple(TEXT_FILES), help="Repeatable; default: both.")
    parser.add_argument("--demo", type=Path, help="Existing demo-data folder (default: generate into a temp folder).")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        demo = args.demo or generate_demo(Path(tmp) / "demo", seed=args.seed, size=args.size).root
        rows = [probe(demo, arch, text, args.steps, seed=0) for arch in args.arch or ARCHS for text in args.text or TEXT_FILES]
    print(json.dumps({"size": args.size, "seed": args.seed, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
