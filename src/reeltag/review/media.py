"""What the review page needs of a video file: its codec (can Chromium play it?) and, when not, a frame strip.

The codec is read by imageio-ffmpeg's probe; frames come from the decord adapter (``reeltag.video.frames``);
the strip is a PNG written atomically.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from reeltag.io import atomic_path

# Video codecs Chromium decodes out of the box (HEVC/H.265 is not among them).
BROWSER_CODECS = ("h264", "vp8", "vp9", "av1", "theora")
STRIP_FRAMES, STRIP_SIDE = 6, 128


def probe_codec(path: str | Path) -> str:
    """The video stream's codec name as ffmpeg reports it (``h264``, ``hevc``…); ``unknown`` when unreadable."""
    import imageio_ffmpeg

    try:
        reader = imageio_ffmpeg.read_frames(str(path))
        meta = next(reader)
        reader.close()
    except (OSError, RuntimeError, StopIteration):
        return "unknown"
    return re.split(r"[^a-z0-9]", str(meta.get("codec", "unknown")).lower(), maxsplit=1)[0] or "unknown"


def browser_plays(codec: str) -> bool:
    return codec in BROWSER_CODECS


def write_strip(video: str | Path, target: Path) -> Path:
    """A horizontal strip of ``STRIP_FRAMES`` uniformly sampled frames, ``STRIP_SIDE`` px high, as PNG."""
    from PIL import Image

    from reeltag.video.frames import read_frames
    from reeltag.video.sampling import Sampling

    frames = read_frames(video, Sampling("uniform", STRIP_FRAMES), side=STRIP_SIDE).frames
    with atomic_path(target) as tmp:
        Image.fromarray(np.concatenate(list(frames), axis=1)).save(tmp, format="PNG")
    return target
