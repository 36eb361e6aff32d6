"""Helpers for the staff review tests: small H.264 videos and a review store filled without the mapper."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
from api_helpers import free_port, stop_server  # noqa: F401 (the review tests import them from here)
from api_helpers import start_server as start_process
from review_items import review_item

from reeltag.config import CorpusSection
from reeltag.corpus.tags import TagRules
from reeltag.io import sha256_file
from reeltag.review.store import NewItem, ReviewStore

TAGS = ("cat", "dog", "beach", "sunset", "food", "travel", "music", "dance")


def write_h264(target: Path, seed: int, frames: int = 24, side: int = 64) -> Path:
    """A short H.264 (libx264, yuv420p) clip, the codec the demo renders."""
    from reeltag.demo.videos import encode_video

    rng = np.random.default_rng(seed)
    base = rng.integers(0, 255, size=(1, side, side, 3), dtype=np.uint8)
    moving = np.roll(np.repeat(base, frames, axis=0), shift=seed % 7, axis=2)
    return encode_video(target, np.ascontiguousarray(moving), fps=12)


def new_item(video: Path, rank_shift: int, control: bool = False, split: str = "") -> NewItem:
    tags = TAGS[rank_shift % len(TAGS) :] + TAGS[: rank_shift % len(TAGS)]
    scores = np.linspace(0.9, 0.3, num=len(tags)) - 0.01 * rank_shift
    return review_item(
        video,
        sha256_file(video),
        split=split,
        control=control,
        suggestions=tuple(zip(tags, map(float, scores))),
        encoder_id="reeltag-tiny@test",
        encoder_weights="demo-trained",
    )


def filled_store(root: Path, n_items: int, queue: str = "default", control: tuple[int, ...] = ()) -> ReviewStore:
    """``n_items`` distinct videos in ``queue`` (item i is a control item when i is in ``control``)."""
    store = ReviewStore(root / "data" / "review" / "review.db").create()
    videos = [write_h264(root / "videos" / f"clip_{i:03d}.mp4", seed=i) for i in range(n_items)]
    splits = ("train", "train", "val", "test")
    store.add_items(queue, [new_item(v, i, i in control, splits[i % 4]) for i, v in enumerate(videos)])
    store.set_vocabulary([(t, 100 - i) for i, t in enumerate(TAGS + ("catwalk", "category", "cathedral"))])
    return store


def corpus_rules() -> TagRules:
    corpus = CorpusSection()
    return TagRules(frozenset(corpus.stop_tags), corpus.min_tag_len, corpus.max_tag_len)


def start_server(root: Path, port: int, timeout_s: float = 60.0) -> subprocess.Popen:
    """``reeltag review --root ROOT --port PORT`` in a child process, once it answers on 127.0.0.1."""
    cmd = [sys.executable, "-c", "from reeltag.cli import app; app()", "review", "--root", str(root), "--port", str(port)]
    log = root.parent / f"review-server-{port}.log"
    return start_process(cmd, f"http://127.0.0.1:{port}/static/review.css", log, timeout_s)
