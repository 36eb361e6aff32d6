from pathlib import Path

from reeltag.quarantine import QuarantineRecord, counts, read, record


def test_records_append_per_kind_with_reasons(tmp_path: Path) -> None:
    folder = tmp_path / "quarantine"
    assert record(folder, [QuarantineRecord("videos", "a.mp4", "zero-byte file")]) == 1
    record(folder, [QuarantineRecord("posts", "p1", "missing id"), QuarantineRecord("videos", "b.mp4", "not a video")])
    assert counts(folder) == {"posts": 1, "videos": 2}
    assert [r["reason"] for r in read(folder, "videos")] == ["zero-byte file", "not a video"]
    assert len(read(folder)) == 3
