"""A video Chromium cannot play (HEVC) gets a strip of sampled frames and a note instead of a <video>."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from review_helpers import corpus_rules, write_h264
from review_items import review_item
from review_session import next_panel, sign_in

from reeltag.io import sha256_file
from reeltag.review.app import ReviewConfig, create_review_app
from reeltag.review.media import browser_plays, probe_codec, write_strip
from reeltag.review.store import ReviewStore

pytestmark = pytest.mark.integration


def write_hevc(target: Path) -> Path:
    import imageio_ffmpeg

    frames = np.random.default_rng(0).integers(0, 255, size=(12, 64, 64, 3), dtype=np.uint8)
    writer = imageio_ffmpeg.write_frames(
        str(target),
        (64, 64),
        fps=12,
        codec="libx265",
        pix_fmt_out="yuv420p",
        macro_block_size=1,
        ffmpeg_log_level="error",
        output_params=["-x265-params", "log-level=none"],
    )
    writer.send(None)
    for frame in frames:
        writer.send(np.ascontiguousarray(frame))
    writer.close()
    return target


def test_codec_probe_and_frame_strip(tmp_path: Path) -> None:
    h264, hevc = write_h264(tmp_path / "a.mp4", seed=1), write_hevc(tmp_path / "b.mp4")
    assert probe_codec(h264) == "h264" and browser_plays("h264")
    assert probe_codec(hevc) == "hevc" and not browser_plays("hevc")
    assert probe_codec(tmp_path / "missing.mp4") == "unknown"
    strip = write_strip(hevc, tmp_path / "strip.png")
    from PIL import Image

    assert Image.open(strip).size[1] == 128 and Image.open(strip).size[0] >= 128 * 2


def test_unplayable_item_shows_the_strip_and_a_note(tmp_path: Path) -> None:
    hevc = write_hevc(tmp_path / "b.mp4")
    strip = write_strip(hevc, tmp_path / "strip.png")
    store = ReviewStore(tmp_path / "review.db").create()
    store.add_items(
        "default",
        [review_item(hevc, sha256_file(hevc), suggestions=(("cat", 0.5),), codec="hevc", playable=False, strip=str(strip))],
    )
    config = ReviewConfig(store=store, queue="default", reviewer="ann", lease_s=60.0, order="uncertain", rules=corpus_rules())
    client = TestClient(create_review_app(config))
    html = next_panel(client, sign_in(client, "ann"))
    assert "<video" not in html and 'id="strip"' in html and "hevc, which this browser cannot play" in html
    shown = client.get("/items/1/strip")
    assert shown.status_code == 200 and shown.headers["content-type"] == "image/png"
