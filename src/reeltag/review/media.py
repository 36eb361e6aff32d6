"""What the review page needs of a video file: its media type, its codec (can Chromium play it?) and, when not,
a frame strip.

The media type comes from an allow-list of suffixes, and the file's first bytes must be that container (a file
named ``x.html`` or a page named ``x.mp4`` is refused, never served as HTML). The codec is read by imageio-ffmpeg's
probe; frames come from the decord adapter (``reeltag.video.frames``); the strip is a PNG written atomically.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from reeltag.errors import BadInput
from reeltag.io import atomic_path
from reeltag.video.inputs import sniff_container

# Suffix → (media type served, the container its first bytes must announce per ``sniff_container``).
MEDIA_TYPES = {
    ".mp4": ("video/mp4", ".mp4"),
    ".m4v": ("video/mp4", ".mp4"),
    ".mov": ("video/quicktime", ".mp4"),
    ".webm": ("video/webm", ".mkv"),
    ".mkv": ("video/x-matroska", ".mkv"),
    ".avi": ("video/x-msvideo", ".avi"),
    ".mpg": ("video/mpeg", ".mpg"),
    ".mpeg": ("video/mpeg", ".mpg"),
    ".ts": ("video/mp2t", ".ts"),
    ".flv": ("video/x-flv", ".flv"),
}
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


class UnsupportedMedia(BadInput):
    """A video whose name or bytes are not an allowed container (HTTP 415)."""


def video_media_type(path: str | Path) -> str:
    """The media type ``path`` is served with: its suffix's, when its first bytes are that container."""
    path = Path(path)
    known = MEDIA_TYPES.get(path.suffix.lower())
    if known is None:
        allowed = " ".join(MEDIA_TYPES)
        raise UnsupportedMedia(f"{path.name[:200]}: {path.suffix[:20]!r} is not an allowed video container ({allowed})")
    with path.open("rb") as fh:
        head = fh.read(512)
    if sniff_container(head) != known[1]:
        raise UnsupportedMedia(f"{path.name[:200]}: its bytes are not a {path.suffix.lower()} container")
    return known[0]


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
