"""Helpers for the staff review tests: small H.264 videos and a review store filled without the mapper."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

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
    return NewItem(
        video=str(video),
        video_sha256=sha256_file(video),
        split=split,
        control=control,
        suggestions=tuple(zip(tags, map(float, scores))),
        codec="h264",
        playable=True,
        strip=None,
        mapper_version="1",
        tag2vec_version="1",
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


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(root: Path, port: int, timeout_s: float = 60.0) -> subprocess.Popen[bytes]:
    """``reeltag review --root ROOT --port PORT`` in a child process, once it answers on 127.0.0.1."""
    import os
    import sys
    import time

    import httpx

    cmd = [sys.executable, "-c", "from reeltag.cli import app; app()", "review", "--root", str(root), "--port", str(port)]
    proc = subprocess.Popen(cmd, env={**os.environ}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"review server exited: {proc.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
        try:
            if httpx.get(f"http://127.0.0.1:{port}/static/review.css", timeout=1.0).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.1)
    stop_server(proc)
    raise RuntimeError(f"review server did not answer on port {port} within {timeout_s:.0f} s")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server by its own pid."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
