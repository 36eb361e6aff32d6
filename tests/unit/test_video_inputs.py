"""Inputs of `features extract`: files, folders and manifests (pure)."""

import json
from pathlib import Path

from reeltag.video.inputs import resolve_inputs
from reeltag.video.pairs import read_pairs, split_by_video


def _touch(path: Path, data: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_folder_gives_video_files_and_lists_the_rest_as_skipped(tmp_path: Path) -> None:
    a = _touch(tmp_path / "v" / "a.mp4")
    b = _touch(tmp_path / "v" / "sub" / "b.WEBM")
    _touch(tmp_path / "v" / "LICENSE.txt")
    found = resolve_inputs([tmp_path / "v"])
    assert [v.path for v in found.videos] == [a.resolve(), b.resolve()]
    assert found.skipped == (str(tmp_path / "v" / "LICENSE.txt"),)


def test_manifest_paths_resolve_against_its_folder_and_keep_docids(tmp_path: Path) -> None:
    _touch(tmp_path / "videos" / "s1.mp4")
    (tmp_path / "manifest.csv").write_text("docid,path\ns1,videos/s1.mp4\ns2,../outside.mp4\ns3,\n")
    found = resolve_inputs([tmp_path / "manifest.csv"])
    assert [(v.docid, v.path.name) for v in found.videos] == [("s1", "s1.mp4")]
    reasons = {r.item.rsplit(":", 1)[1]: r.reason for r in found.rejected}
    assert "escapes" in reasons["3"] and "no video path" in reasons["4"]


def test_absolute_manifest_paths_are_refused_unless_allowed(tmp_path: Path) -> None:
    video = _touch(tmp_path / "abs.mp4")
    (tmp_path / "m.jsonl").write_text(json.dumps({"video": str(video)}) + "\n")
    assert len(resolve_inputs([tmp_path / "m.jsonl"], allow_absolute=True).videos) == 1
    refused = resolve_inputs([tmp_path / "m.jsonl"])
    assert not refused.videos and "absolute" in refused.rejected[0].reason


def test_the_same_video_named_twice_is_processed_once(tmp_path: Path) -> None:
    video = _touch(tmp_path / "a.mp4")
    assert len(resolve_inputs([video, tmp_path, video]).videos) == 1


def test_pairs_read_segments_captions_and_tags(tmp_path: Path) -> None:
    rows = [
        {"video": "videos/a.mp4", "start_s": 0.0, "end_s": 1.5, "caption": "a red circle"},
        {"video": "videos/b.mp4", "tags": "#sunset #sky"},
        {"video": "videos/c.mp4", "caption": ""},
        {"video": "videos/d.mp4", "caption": "x", "start_s": 2, "end_s": 1},
    ]
    (tmp_path / "pairs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    found = read_pairs(tmp_path / "pairs.jsonl")
    assert [(p.video.name, p.text, p.window) for p in found.pairs] == [
        ("a.mp4", "a red circle", (0.0, 1.5)),
        ("b.mp4", "sunset sky", None),
    ]
    assert [r.item.rsplit(":", 1)[1] for r in found.rejected] == ["3", "4"]


def test_split_by_video_keeps_each_video_on_one_side_and_is_stable(tmp_path: Path) -> None:
    (tmp_path / "p.csv").write_text("video,text\n" + "".join(f"v{i % 10}.mp4,t{i}\n" for i in range(40)))
    pairs = read_pairs(tmp_path / "p.csv").pairs
    train, held = split_by_video(pairs, 0.2)
    assert len({p.video for p in held}) == 2
    assert not {p.video for p in train} & {p.video for p in held}
    assert split_by_video(pairs, 0.2) == (train, held)
