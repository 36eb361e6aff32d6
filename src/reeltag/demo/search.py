"""Demo search set for reranking, with a planted frame-local signal and a holistic, noisy base engine.

Files written under ``<out>/search/`` (paths in files are relative to this folder):

* ``topics.txt`` -- ``qid text`` per line, e.g. ``q01 an orange circle`` (phrased like captions).
* ``categories.txt`` -- ``qid category`` per line, e.g. ``q01 sunset``: the demo category whose scene the topic asks
  for (the ``topic_category`` slice of search evaluations, :mod:`reeltag.rerank.topic_slices`).
* ``manifest.csv`` -- ``docid,path``, e.g. ``s0007,videos/s0007.mp4``.
* ``videos/sNNNN.mp4`` -- the collection.
* ``base.run`` -- TREC run ``qid Q0 docid rank score base``: every topic ranks EVERY collection doc.
* ``qrels.txt`` -- ``qid 0 docid rel``, fully judged (every topic x doc, rel 0 or 1).
* ``segments.jsonl`` -- ground truth per segment (as in the labelled ``segments.jsonl`` plus ``docid``).
  It is how tests check the planted signal; a reranker must not read it.

How the signal is planted
-------------------------
Topics are the (colour, shape) pairs of ``n_topics`` categories (each category owns one colour and one
shape, so topic combos never share a colour or a shape). Every search video has exactly 3 segments of
roughly equal length (each about 1/3 of the clip, lengths jittered by up to +-25 %). Scenes are:

* **filler**: a random colour x shape that is no category's combo, random background and motion;
* **topic scene** of topic (c, s): colour c, shape s, random background and motion.

Per topic, ``n_pos`` RELEVANT videos = [topic scene, filler, filler] in random order, so the topic is visible
in exactly one segment. Per topic, ``n_neg`` HARD NEGATIVES cycle through three kinds:
``split`` = [(c, other shape), (other colour, s), filler] -- the same bag of colour and shape as a relevant
video, never together in one frame; ``colour`` = [(c, other shape), filler, filler];
``shape`` = [(other colour, s), filler, filler]. Finally ``n_filler`` videos of 3 fillers. Fillers may
show a topic's colour or shape by chance (incidental negatives), never its combo. A video is relevant
(rel 1) to topic (c, s) iff one of its segments shows colour c AND shape s; no video shows a topic combo in
more than one segment or is relevant to two topics.

The base engine is HOLISTIC and NOISY: for topic (c, s) and video d,
``base(d) = 1.0 * colour_share(d, c) + 0.6 * shape_share(d, s) + N(0, 0.1)`` where ``colour_share`` is the
fraction of the clip's frames whose segment shows colour c, ``shape_share`` the same for shape s, and the
noise is drawn once per (topic, video) from the set's ``Generator``. A relevant video and a ``split``
negative both score about 1/3 + 0.6/3 = 0.53, a filler video with colour c in two segments about 0.67, so
the base run is far from perfect (AP well below 1), while a frame-local scorer that asks "is there a frame
showing c AND s?" ranks every relevant video first (AP 1).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from reeltag.demo.plans import SegmentPlan, VideoPlan, plan_video, random_scene, segment_rows, with_random_setting
from reeltag.demo.videos import jsonl_text, write_videos
from reeltag.demo.world import CATEGORIES, COLOURS, SHAPES, Scene, category_for_combo, topic_text
from reeltag.io import write_text_atomic

COLOUR_WEIGHT, SHAPE_WEIGHT, NOISE_SD = 1.0, 0.6, 0.1
NEGATIVE_KINDS: tuple[str, ...] = ("split", "colour", "shape")
CATEGORY_COMBOS = frozenset(c.scene.combo for c in CATEGORIES)


@dataclass(frozen=True)
class Topic:
    qid: str
    colour: str
    shape: str

    @property
    def text(self) -> str:
        return topic_text(self.colour, self.shape)

    @property
    def category(self) -> str:
        """The category owning this (colour, shape): every topic is one category's combo."""
        found = category_for_combo(self.colour, self.shape)
        if found is None:
            raise ValueError(f"{self.qid}: {self.text} is no category's combo")
        return found.name


@dataclass(frozen=True)
class SearchDoc:
    docid: str
    plan: VideoPlan
    qid: str | None  # the topic this doc is relevant to, if any


@dataclass(frozen=True, kw_only=True)
class SearchSummary:
    """What :func:`write_search_set` wrote (paths absolute)."""

    n_topics: int
    n_videos: int
    n_relevant: int
    topics_txt: Path
    manifest_csv: Path
    base_run: Path
    qrels: Path
    segments_jsonl: Path
    videos_dir: Path


def pick_topics(rng: np.random.Generator, n_topics: int) -> list[Topic]:
    order = rng.permutation(len(CATEGORIES))[:n_topics]
    return [Topic(f"q{i + 1:02d}", *CATEGORIES[int(k)].scene.combo) for i, k in enumerate(order)]


def _other(rng: np.random.Generator, values: Sequence[str], not_this: str) -> str:
    choices = [v for v in values if v != not_this]
    return choices[int(rng.integers(len(choices)))]


def doc_scenes(rng: np.random.Generator, topic: Topic | None, kind: str) -> list[Scene]:
    """The 3 scenes of a doc of ``kind`` (relevant, split, colour, shape, filler), in random order."""
    planted: list[Scene] = []
    if topic is not None and kind == "relevant":
        planted = [with_random_setting(rng, topic.colour, topic.shape)]
    if topic is not None and kind in ("split", "colour"):
        planted.append(with_random_setting(rng, topic.colour, _other(rng, SHAPES, topic.shape)))
    if topic is not None and kind in ("split", "shape"):
        planted.append(with_random_setting(rng, _other(rng, list(COLOURS), topic.colour), topic.shape))
    scenes = planted + [random_scene(rng, CATEGORY_COMBOS) for _ in range(3 - len(planted))]
    return [scenes[int(i)] for i in rng.permutation(3)]


def doc_kinds(topics: Sequence[Topic], n_pos: int, n_neg: int, n_filler: int) -> list[tuple[Topic | None, str]]:
    kinds: list[tuple[Topic | None, str]] = []
    for topic in topics:
        kinds += [(topic, "relevant")] * n_pos
        kinds += [(topic, NEGATIVE_KINDS[i % len(NEGATIVE_KINDS)]) for i in range(n_neg)]
    return kinds + [(None, "filler")] * n_filler


def plan_search_docs(
    rng: np.random.Generator, topics: Sequence[Topic], n_pos: int, n_neg: int, n_filler: int, duration_s: tuple[float, float]
) -> list[SearchDoc]:
    """Plan the collection, shuffled and numbered ``s0000``..."""
    drafts = [(t, doc_scenes(rng, t, k), k) for t, k in doc_kinds(topics, n_pos, n_neg, n_filler)]
    docs = []
    for number, i in enumerate(rng.permutation(len(drafts))):
        topic, scenes, kind = drafts[i]
        docid = f"s{number:04d}"
        plan = plan_video(rng, f"videos/{docid}.mp4", scenes, duration_s)
        docs.append(SearchDoc(docid, plan, topic.qid if topic and kind == "relevant" else None))
    return docs


def shares(segments: Sequence[SegmentPlan], colour: str, shape: str) -> tuple[float, float]:
    """Fractions of the clip's frames showing ``colour`` and showing ``shape``."""
    total = sum(s.n_frames for s in segments)
    c = sum(s.n_frames for s in segments if s.scene.colour == colour)
    k = sum(s.n_frames for s in segments if s.scene.shape == shape)
    return c / total, k / total


def holistic_score(segments: Sequence[SegmentPlan], colour: str, shape: str, noise: float) -> float:
    """The base engine: whole-clip colour and shape overlap plus ``noise`` (see module docstring)."""
    colour_share, shape_share = shares(segments, colour, shape)
    return COLOUR_WEIGHT * colour_share + SHAPE_WEIGHT * shape_share + noise


def topic_segments(segments: Sequence[SegmentPlan], colour: str, shape: str) -> int:
    """How many segments show ``colour`` ``shape`` together (1 for a relevant doc, else 0)."""
    return sum(1 for s in segments if s.scene.combo == (colour, shape))


def run_text(rng: np.random.Generator, topics: Sequence[Topic], docs: Sequence[SearchDoc]) -> str:
    lines = []
    for topic in topics:
        noise = rng.normal(0.0, NOISE_SD, size=len(docs))
        scored = [
            (round(holistic_score(d.plan.segments, topic.colour, topic.shape, float(n)), 6), d.docid) for d, n in zip(docs, noise)
        ]
        scored.sort(key=lambda pair: (-pair[0], pair[1]))
        lines += [f"{topic.qid} Q0 {docid} {rank} {score:.6f} base" for rank, (score, docid) in enumerate(scored, 1)]
    return "\n".join(lines) + "\n"


def qrels_text(topics: Sequence[Topic], docs: Sequence[SearchDoc]) -> str:
    rows = [f"{t.qid} 0 {d.docid} {int(d.qid == t.qid)}" for t in topics for d in docs]
    return "\n".join(rows) + "\n"


def manifest_text(docs: Sequence[SearchDoc]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["docid", "path"])
    writer.writerows([d.docid, d.plan.path] for d in docs)
    return buf.getvalue()


def write_search_set(
    root: Path,
    rng: np.random.Generator,
    *,
    n_topics: int,
    n_pos: int,
    n_neg: int,
    n_filler: int,
    duration_s: tuple[float, float],
    workers: int = 2,
) -> SearchSummary:
    """Plan, render and write the search set under ``root / 'search'``."""
    folder = root / "search"
    topics = pick_topics(rng, n_topics)
    docs = plan_search_docs(rng, topics, n_pos, n_neg, n_filler, duration_s)
    write_videos(folder, [d.plan for d in docs], workers)
    write_text_atomic(folder / "topics.txt", "".join(f"{t.qid} {t.text}\n" for t in topics))
    write_text_atomic(folder / "categories.txt", "".join(f"{t.qid} {t.category}\n" for t in topics))
    write_text_atomic(folder / "manifest.csv", manifest_text(docs))
    write_text_atomic(folder / "base.run", run_text(rng, topics, docs))
    write_text_atomic(folder / "qrels.txt", qrels_text(topics, docs))
    write_text_atomic(folder / "segments.jsonl", jsonl_text(r for d in docs for r in segment_rows(d.plan, "search", d.docid)))
    return SearchSummary(
        n_topics=len(topics),
        n_videos=len(docs),
        n_relevant=sum(d.qid is not None for d in docs),
        topics_txt=folder / "topics.txt",
        manifest_csv=folder / "manifest.csv",
        base_run=folder / "base.run",
        qrels=folder / "qrels.txt",
        segments_jsonl=folder / "segments.jsonl",
        videos_dir=folder / "videos",
    )
