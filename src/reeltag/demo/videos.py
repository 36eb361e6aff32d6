"""Write demo videos (imageio-ffmpeg, libx264, yuv420p) and the labelled video sets.

Files written under the output folder by :func:`write_video_sets`:

* ``videos/label_NNNN.mp4``, ``videos/shift_NNNN.mp4``, ``videos/caption_NNNN.mp4``
* ``labels.csv`` -- ``video,tags,split,text``: company A's labels, tags space-separated with '#';
  ``text``: a seeded title (:mod:`reeltag.demo.titles`)
* ``labels_shifted.csv`` -- same columns, other videos, company B's shifted vocabulary
* ``segments.jsonl`` -- one row per segment of every video above (``set`` is ``labels``, ``shifted`` or
  ``captions``): ``video, set, segment, start_s, end_s, start_frame, end_frame, category`` (null for a
  scene that is no category's), ``caption, colour, shape, background, motion, seed``. The (frame, caption)
  pairs for encoder adaptation; ``frames_for_segment(scene, n, w, h, fps, seed)`` re-renders any segment.
* ``pairs.jsonl`` -- the (video, text) pairs the demo adapts its encoder on: ``video, start_s, end_s, text``
  per segment, the text naming only the object (``a red circle``). With the full caption, the other texts of
  a contrastive batch nearly always differ in colour, background or motion, so a model trained from scratch
  never needs shape; with the object alone, a batch holds the same colour with other shapes.

Encoding is single-threaded and bit-exact, so the same frames always give the same bytes.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from reeltag.demo.plans import LabelledVideo, VideoPlan, plan_caption_videos, plan_labelled, segment_rows
from reeltag.demo.render import frames_for_segment
from reeltag.demo.titles import video_titles
from reeltag.demo.world import describe_object
from reeltag.io import atomic_path, write_text_atomic

X264_PARAMS: tuple[str, ...] = (
    "-crf",
    "23",
    "-preset",
    "fast",
    "-threads",
    "1",
    "-fflags",
    "+bitexact",
    "-flags:v",
    "+bitexact",
    "-map_metadata",
    "-1",
    "-f",
    "mp4",
)


@dataclass(frozen=True, kw_only=True)
class VideoSetSummary:
    """What :func:`write_video_sets` wrote (paths absolute)."""

    n_labelled: int
    n_shifted: int
    n_caption: int
    n_segments: int
    labels_csv: Path
    shifted_csv: Path
    segments_jsonl: Path
    pairs_jsonl: Path
    videos_dir: Path


def render_video(plan: VideoPlan) -> np.ndarray:
    """All frames of ``plan`` as uint8 (n_frames, height, width, 3)."""
    parts = [frames_for_segment(s.scene, s.n_frames, plan.width, plan.height, plan.fps, s.seed) for s in plan.segments]
    return np.concatenate(parts, axis=0)


def encode_video(target: Path, frames: np.ndarray, fps: int) -> Path:
    """Encode uint8 RGB ``frames`` to an H.264 mp4 at ``target``, atomically and byte-reproducibly."""
    import imageio_ffmpeg

    height, width = frames.shape[1:3]
    with atomic_path(target) as tmp:
        writer = imageio_ffmpeg.write_frames(
            str(tmp),
            (width, height),
            fps=fps,
            codec="libx264",
            pix_fmt_out="yuv420p",
            quality=None,
            macro_block_size=1,
            ffmpeg_log_level="error",
            output_params=list(X264_PARAMS),
        )
        writer.send(None)
        for frame in frames:
            writer.send(np.ascontiguousarray(frame))
        writer.close()
    return target


def write_videos(root: Path, plans: Sequence[VideoPlan], workers: int = 2) -> None:
    """Render and encode every plan under ``root`` (ffmpeg runs in parallel subprocesses)."""

    def one(plan: VideoPlan) -> Path:
        return encode_video(root / plan.path, render_video(plan), plan.fps)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        list(pool.map(one, plans))


def labels_csv_text(videos: Iterable[LabelledVideo], titles: Iterable[str]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["video", "tags", "split", "text"])
    for video, title in zip(videos, titles, strict=True):
        writer.writerow([video.plan.path, " ".join(video.tags), video.split, title])
    return buf.getvalue()


def jsonl_text(rows: Iterable[dict[str, object]]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def adaptation_pairs(rows: Iterable[dict[str, object]]) -> list[dict[str, object]]:
    """One (video, segment window, object name) pair per segment row."""
    return [
        {
            "video": r["video"],
            "start_s": r["start_s"],
            "end_s": r["end_s"],
            "text": describe_object(str(r["colour"]), str(r["shape"])),
        }
        for r in rows
    ]


def write_video_sets(
    root: Path,
    rng: np.random.Generator,
    *,
    n_per_category: int,
    n_shifted_per_category: int,
    n_caption: int,
    duration_s: tuple[float, float],
    workers: int = 2,
) -> VideoSetSummary:
    """Plan, render and write the labelled, shifted and caption videos plus their CSV/JSONL files."""
    labelled = plan_labelled(rng, "label", n_per_category, duration_s)
    shifted = plan_labelled(rng, "shift", n_shifted_per_category, duration_s, shifted=True)
    captions = plan_caption_videos(rng, n_caption, duration_s)
    write_videos(root, [v.plan for v in labelled] + [v.plan for v in shifted] + captions, workers)
    rows = [r for v in labelled for r in segment_rows(v.plan, "labels")]
    rows += [r for v in shifted for r in segment_rows(v.plan, "shifted")]
    rows += [r for p in captions for r in segment_rows(p, "captions")]
    write_text_atomic(root / "labels.csv", labels_csv_text(labelled, video_titles(rng, labelled)))
    write_text_atomic(root / "labels_shifted.csv", labels_csv_text(shifted, video_titles(rng, shifted)))
    write_text_atomic(root / "segments.jsonl", jsonl_text(rows))
    write_text_atomic(root / "pairs.jsonl", jsonl_text(adaptation_pairs(rows)))
    return VideoSetSummary(
        n_labelled=len(labelled),
        n_shifted=len(shifted),
        n_caption=len(captions),
        n_segments=len(rows),
        labels_csv=root / "labels.csv",
        shifted_csv=root / "labels_shifted.csv",
        segments_jsonl=root / "segments.jsonl",
        pairs_jsonl=root / "pairs.jsonl",
        videos_dir=root / "videos",
    )
