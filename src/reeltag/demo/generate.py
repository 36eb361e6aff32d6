"""Generate the whole demo data set: labelled videos, hashtag corpus and search set, from one seed.

Layout under ``out`` (see the modules for the formats): ``videos/``, ``labels.csv``, ``labels_shifted.csv``,
``segments.jsonl``, ``pairs.jsonl`` (:mod:`reeltag.demo.videos`); ``corpus/posts.jsonl``, ``corpus/posts_new.jsonl``
(:mod:`reeltag.demo.hashtag_corpus`); ``search/...`` (:mod:`reeltag.demo.search`); and ``demo.json``: seed, size,
counts and the sha256 of every file written. Same seed and size give byte-identical files; a re-run whose
``demo.json`` and files still match does nothing (``DemoSummary.skipped``).
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from reeltag.demo.hashtag_corpus import CorpusSummary, write_corpus
from reeltag.demo.search import SearchSummary, write_search_set
from reeltag.demo.videos import VideoSetSummary, write_video_sets
from reeltag.errors import BadInput
from reeltag.io import sha256_file, write_json_atomic

DemoSizeName = Literal["tiny", "small", "full"]
RECORD = "demo.json"
FORMAT = 3  # bump when the files written change (2: pairs.jsonl, 3: labels text column); an older demo folder is then regenerated
_STREAMS = {"videos": 1, "search": 2, "corpus": 3}  # one independent random stream per set
OWNED = (
    "videos",
    "labels.csv",
    "labels_shifted.csv",
    "segments.jsonl",
    "pairs.jsonl",
    "corpus/posts.jsonl",
    "corpus/posts_new.jsonl",
    "search",
)  # what generate_demo writes under ``out``


@dataclass(frozen=True, kw_only=True)
class DemoSize:
    """How much to generate (video counts are per category or per topic; durations in seconds)."""

    labelled_per_category: int
    shifted_per_category: int
    caption_videos: int
    duration_s: tuple[float, float]
    search_topics: int
    search_relevant: int
    search_negatives: int
    search_fillers: int
    search_duration_s: tuple[float, float]
    posts: int
    new_posts: int


SIZES: dict[str, DemoSize] = {
    "tiny": DemoSize(
        labelled_per_category=3,
        shifted_per_category=3,
        caption_videos=8,
        duration_s=(2.0, 3.0),
        search_topics=4,
        search_relevant=3,
        search_negatives=2,
        search_fillers=4,
        search_duration_s=(3.0, 3.6),
        posts=600,
        new_posts=100,
    ),
    "small": DemoSize(
        labelled_per_category=6,
        shifted_per_category=3,
        caption_videos=512,
        duration_s=(2.0, 5.0),
        search_topics=6,
        search_relevant=4,
        search_negatives=2,
        search_fillers=4,
        search_duration_s=(3.0, 5.0),
        posts=1500,
        new_posts=150,
    ),
    "full": DemoSize(
        labelled_per_category=12,
        shifted_per_category=6,
        caption_videos=1024,
        duration_s=(2.0, 6.0),
        search_topics=8,
        search_relevant=5,
        search_negatives=2,
        search_fillers=4,
        search_duration_s=(3.0, 6.0),
        posts=3000,
        new_posts=300,
    ),
}


@dataclass(frozen=True, kw_only=True)
class DemoSummary:
    """What :func:`generate_demo` wrote (paths absolute) and how long it took."""

    root: Path
    seed: int
    size: str
    videos: VideoSetSummary
    corpus: CorpusSummary
    search: SearchSummary
    record: Path
    seconds: float
    skipped: bool = False

    def counts(self) -> dict[str, int]:
        """Every count of the three sets, flat: ``videos.n_labelled``, ``corpus.n_lines``, ..."""
        out: dict[str, int] = {}
        for name in ("videos", "corpus", "search"):
            part = getattr(self, name)
            out.update(
                {
                    f"{name}.{f.name}": getattr(part, f.name)
                    for f in dataclasses.fields(part)
                    if isinstance(getattr(part, f.name), int)
                }
            )
        return out


def stream(seed: int, name: str) -> np.random.Generator:
    return np.random.default_rng([seed, _STREAMS[name]])


def _to_record(part: Any, root: Path) -> dict[str, Any]:
    return {k: str(v.relative_to(root)) if isinstance(v, Path) else v for k, v in dataclasses.asdict(part).items()}


def _from_record(cls: type, data: dict[str, Any], root: Path) -> Any:
    kinds = {f.name: f.type for f in dataclasses.fields(cls)}
    return cls(**{k: root / v if kinds[k] in ("Path", Path) else v for k, v in data.items()})


def file_hashes(root: Path) -> dict[str, str]:
    """sha256 of every demo file under ``root`` (the ``OWNED`` paths), by relative POSIX path."""
    found = [p for o in OWNED for p in ([root / o] if (root / o).is_file() else (root / o).rglob("*"))]
    files = sorted(p for p in found if p.is_file() and not p.name.startswith("."))
    return {p.relative_to(root).as_posix(): sha256_file(p) for p in files}


def load_record(root: Path) -> dict[str, Any] | None:
    try:
        return json.loads((root / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def is_current(root: Path, record: dict[str, Any] | None, seed: int, size: str) -> bool:
    """True when ``record`` is for this format, seed and size spec and every file it lists is unchanged."""
    wanted = {"format": FORMAT, "seed": seed, "size": size, "spec": _spec_record(size)}
    if not record or any(record.get(key) != value for key, value in wanted.items()):
        return False
    files: dict[str, str] = record.get("files", {})
    return all((root / rel).is_file() and sha256_file(root / rel) == digest for rel, digest in files.items())


def _spec_record(size: str) -> dict[str, Any]:
    """The size spec as ``demo.json`` stores it (tuples become lists)."""
    return json.loads(json.dumps(dataclasses.asdict(SIZES[size])))


def summary_from_record(root: Path, record: dict[str, Any], seconds: float) -> DemoSummary:
    return DemoSummary(
        root=root,
        seed=record["seed"],
        size=record["size"],
        videos=_from_record(VideoSetSummary, record["videos"], root),
        corpus=_from_record(CorpusSummary, record["corpus"], root),
        search=_from_record(SearchSummary, record["search"], root),
        record=root / RECORD,
        seconds=seconds,
        skipped=True,
    )


def _refuse_foreign_files(root: Path) -> None:
    """A folder without ``demo.json`` is not a demo folder: its ``labels.csv``, ``videos/``… are someone's data."""
    taken = [name for name in OWNED if (root / name).exists()]
    if taken:
        raise BadInput(
            f"{root} holds {', '.join(taken)} and no {RECORD}: not written by demo-data, so not "
            "overwritten; give --out an empty or new folder"
        )


def write_sets(root: Path, seed: int, spec: DemoSize, workers: int) -> tuple[VideoSetSummary, CorpusSummary, SearchSummary]:
    videos = write_video_sets(
        root,
        stream(seed, "videos"),
        n_per_category=spec.labelled_per_category,
        n_shifted_per_category=spec.shifted_per_category,
        n_caption=spec.caption_videos,
        duration_s=spec.duration_s,
        workers=workers,
    )
    corpus = write_corpus(root, stream(seed, "corpus"), spec.posts, spec.new_posts)
    search = write_search_set(
        root,
        stream(seed, "search"),
        n_topics=spec.search_topics,
        n_pos=spec.search_relevant,
        n_neg=spec.search_negatives,
        n_filler=spec.search_fillers,
        duration_s=spec.search_duration_s,
        workers=workers,
    )
    return videos, corpus, search


def generate_demo(
    out: str | Path, seed: int = 0, size: DemoSizeName = "full", workers: int = 2, force: bool = False
) -> DemoSummary:
    """Write the demo data under ``out``; skip (``skipped=True``) when ``demo.json`` says it is already there."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {sorted(SIZES)}, not {size!r}")
    root, started = Path(out).expanduser().resolve(), time.perf_counter()
    record = load_record(root)
    if not force and record and is_current(root, record, seed, size):
        return summary_from_record(root, record, time.perf_counter() - started)
    if record is None:
        _refuse_foreign_files(root)
        write_json_atomic(root / RECORD, {"format": FORMAT, "partial": True})  # a crash below leaves a demo folder
    videos, corpus, search = write_sets(root, seed, SIZES[size], workers)
    record = {
        "format": FORMAT,
        "seed": seed,
        "size": size,
        "spec": _spec_record(size),
        "videos": _to_record(videos, root),
        "corpus": _to_record(corpus, root),
        "search": _to_record(search, root),
        "files": file_hashes(root),
    }
    write_json_atomic(root / RECORD, record)
    return DemoSummary(
        root=root,
        seed=seed,
        size=size,
        videos=videos,
        corpus=corpus,
        search=search,
        record=root / RECORD,
        seconds=time.perf_counter() - started,
    )
