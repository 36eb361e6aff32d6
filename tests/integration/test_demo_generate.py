"""Generate the tiny demo for real: byte-reproducible files, decodable videos, a planted search signal."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from reeltag.demo import generate_demo
from reeltag.demo.generate import FORMAT, SIZES, DemoSummary, is_current, load_record
from reeltag.demo.world import COLOURS, describe_object
from reeltag.video.frames import read_frames
from reeltag.video.pairs import read_pairs
from reeltag.video.sampling import Sampling

pytestmark = pytest.mark.integration
SEED = 11


@pytest.fixture(scope="module")
def twice(tmp_path_factory: pytest.TempPathFactory) -> tuple[DemoSummary, DemoSummary]:
    first = generate_demo(tmp_path_factory.mktemp("a"), seed=SEED, size="tiny")
    second = generate_demo(tmp_path_factory.mktemp("b"), seed=SEED, size="tiny")
    return first, second


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def read_jsonl(path: Path) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_same_seed_gives_byte_identical_files(twice) -> None:  # type: ignore[no-untyped-def]
    a, b = (files(s.root) for s in twice)
    assert a.keys() == b.keys() and len(a) > 80
    assert [k for k in a if a[k] != b[k]] == []
    assert not any(Path(k).name.startswith(".") for k in a)  # no temp files left behind


def test_counts_match_the_size(twice) -> None:  # type: ignore[no-untyped-def]
    summary, spec = twice[0], SIZES["tiny"]
    assert summary.videos.n_labelled == 8 * spec.labelled_per_category
    assert summary.videos.n_shifted == 8 * spec.shifted_per_category
    assert summary.search.n_videos == spec.search_topics * (spec.search_relevant + spec.search_negatives) + spec.search_fillers
    assert summary.search.n_relevant == spec.search_topics * spec.search_relevant
    assert summary.corpus.n_lines == spec.posts == len(summary.corpus.posts.read_text().splitlines())
    assert summary.seconds < 60


def test_labels_files(twice) -> None:  # type: ignore[no-untyped-def]
    summary = twice[0]
    labels = list(csv.DictReader(summary.videos.labels_csv.open()))
    shifted = list(csv.DictReader(summary.videos.shifted_csv.open()))
    assert list(labels[0]) == ["video", "tags", "split", "text"]
    assert all(r["text"] for r in labels + shifted)
    assert {r["split"] for r in labels} == {"train", "val", "test"}
    assert not {r["video"] for r in labels} & {r["video"] for r in shifted}
    for row in labels + shifted:
        assert (summary.root / row["video"]).is_file()
        assert all(t.startswith("#") for t in row["tags"].split())


def test_videos_decode_with_the_planned_frames(twice) -> None:  # type: ignore[no-untyped-def]
    import decord

    summary = twice[0]
    rows = read_jsonl(summary.videos.segments_jsonl)
    rows += [dict(r, video="search/" + r["video"]) for r in read_jsonl(summary.search.segments_jsonl)]
    last: dict[str, int] = {}
    for row in rows:
        last[row["video"]] = max(last.get(row["video"], 0), row["end_frame"])
    for video, n_frames in last.items():
        reader = decord.VideoReader(str(summary.root / video))
        height, width = reader[0].shape[:2]
        assert len(reader) == n_frames, video
        assert (width, height) in {(96, 96), (128, 96), (160, 128)}


def test_planted_search_signal(twice) -> None:  # type: ignore[no-untyped-def]
    search = twice[0].search
    topics = dict(line.split(" ", 1) for line in search.topics_txt.read_text().splitlines())
    segments: dict[str, list[dict]] = defaultdict(list)  # type: ignore[type-arg]
    for row in read_jsonl(search.segments_jsonl):
        segments[row["docid"]].append(row)
    relevant = [line.split() for line in search.qrels.read_text().splitlines() if line.endswith(" 1")]
    assert len(relevant) == search.n_relevant
    for qid, _, docid, _ in relevant:
        hits = [s for s in segments[docid] if f"{s['colour']} {s['shape']}" in topics[qid]]
        assert len(hits) == 1 and len(segments[docid]) == 3
        window = (hits[0]["start_s"], hits[0]["end_s"])
        frames = read_frames(search.manifest_csv.parent / hits[0]["video"], Sampling("uniform", 3), window=window).frames
        near = np.abs(frames.astype(int) - np.array(COLOURS[hits[0]["colour"]])).max(axis=-1) < 40
        assert near.mean(axis=(1, 2)).min() > 0.02
    assert mean_ap(search.base_run.read_text(), {(q, d) for q, _, d, _ in relevant}) < 0.9


def mean_ap(run: str, relevant: set[tuple[str, str]]) -> float:
    ranked: dict[str, list[str]] = defaultdict(list)
    for line in run.splitlines():
        ranked[line.split()[0]].append(line.split()[2])
    aps = []
    for qid, docs in ranked.items():
        hits = [i for i, d in enumerate(docs, 1) if (qid, d) in relevant]
        aps.append(sum((k + 1) / i for k, i in enumerate(hits)) / len(hits))
    return float(np.mean(aps))


def test_manifest_and_corpus_files(twice) -> None:  # type: ignore[no-untyped-def]
    summary = twice[0]
    manifest = list(csv.DictReader(summary.search.manifest_csv.open()))
    assert len(manifest) == summary.search.n_videos
    assert all((summary.search.manifest_csv.parent / r["path"]).is_file() for r in manifest)
    assert summary.corpus.posts_new.is_file() and summary.corpus.n_new == SIZES["tiny"].new_posts


def test_rerun_is_skipped_and_a_changed_file_is_noticed(twice) -> None:  # type: ignore[no-untyped-def]
    root = twice[0].root
    again = generate_demo(root, seed=SEED, size="tiny")
    assert again.skipped and again.counts() == twice[0].counts() and again.videos == twice[0].videos
    record = load_record(root)
    assert not is_current(root, record, SEED + 1, "tiny") and not is_current(root, record, SEED, "full")
    labels = root / "labels.csv"
    original = labels.read_bytes()
    try:
        labels.write_text("tampered\n")
        assert not is_current(root, record, SEED, "tiny")
    finally:
        labels.write_bytes(original)
    assert is_current(root, record, SEED, "tiny")
    assert not is_current(root, dict(record, format=FORMAT - 1), SEED, "tiny")  # written by an older generator
    assert not is_current(root, dict(record, spec={**record["spec"], "caption_videos": 1}), SEED, "tiny")


def test_adaptation_pairs_name_the_object_of_each_segment(twice) -> None:  # type: ignore[no-untyped-def]
    videos = twice[0].videos
    segments, pairs = read_jsonl(videos.segments_jsonl), read_pairs(videos.pairs_jsonl)
    assert not pairs.rejected and len(pairs.pairs) == len(segments)
    for row, pair in zip(segments, pairs.pairs):
        assert pair.text == describe_object(row["colour"], row["shape"]) and pair.text in row["caption"]
        assert pair.video == videos.pairs_jsonl.parent / row["video"] and pair.window == (row["start_s"], row["end_s"])
