from pathlib import Path

from reeltag.quarantine import QuarantineRecord, counts, read, record


def test_records_append_per_kind_with_reasons(tmp_path: Path) -> None:
    folder = tmp_path / "quarantine"
    assert record(folder, [QuarantineRecord(kind="videos", item="a.mp4", reason="zero-byte file")]) == 1
    record(
        folder,
        [
            QuarantineRecord(kind="posts", item="p1", reason="missing id"),
            QuarantineRecord(kind="videos", item="b.mp4", reason="not a video"),
        ],
    )
    assert counts(folder) == {"posts": 1, "videos": 2}
    assert [r["reason"] for r in read(folder, "videos")] == ["zero-byte file", "not a video"]
    assert len(read(folder)) == 3


def test_a_failed_append_leaves_no_torn_line(tmp_path: Path, monkeypatch) -> None:
    """Bug fixed: a full disk mid-append left half a JSON line, and every later read() raised."""
    import errno
    import os

    import pytest

    folder = tmp_path / "quarantine"
    record(folder, [QuarantineRecord(kind="posts", item="p1", reason="missing id")])
    real_write = os.write

    def full_disk(fd: int, data) -> int:  # noqa: ANN001
        real_write(fd, bytes(data[:10]))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", full_disk)
    with pytest.raises(OSError):
        record(folder, [QuarantineRecord(kind="posts", item="p2", reason="missing id")])
    monkeypatch.undo()
    assert [r["item"] for r in read(folder, "posts")] == ["p1"]
