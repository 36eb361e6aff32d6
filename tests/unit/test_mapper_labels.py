"""Company labels: CSV/JSONL parsing, tag normalisation, bad rows with reasons."""

from pathlib import Path

import pytest

from reeltag.errors import BadInput
from reeltag.mapper.labels import assign_splits, read_labels, split_tags


def _norm(tag: str) -> str | None:
    key = tag.strip().lstrip("#").lower()
    return key or None


def test_csv_rows_normalise_tags_and_resolve_paths(tmp_path: Path) -> None:
    (tmp_path / "labels.csv").write_text('video,tags,split\nv/a.mp4,#Cat cat #cat #Dog,train\nb.mp4,"#x,#y",\n')
    labels = read_labels(tmp_path / "labels.csv", _norm)
    assert [r.tags for r in labels.rows] == [("cat", "dog"), ("x", "y")]
    assert labels.rows[0].surface == ("Cat", "Dog")
    assert labels.rows[0].video == (tmp_path / "v" / "a.mp4").resolve()
    assert labels.rows[1].split is None and labels.bad == ()


def test_bad_rows_carry_reasons_and_the_rest_loads(tmp_path: Path) -> None:
    text = "video,tags,split\nok.mp4,#a,test\n,#a,train\nx.mp4,# ##,train\ny.mp4,#b,holdout\n../up.mp4,#c,train\n"
    (tmp_path / "l.csv").write_text(text)
    labels = read_labels(tmp_path / "l.csv", _norm)
    assert [r.video.name for r in labels.rows] == ["ok.mp4"]
    reasons = [b.reason for b in labels.bad]
    assert "missing 'video'" in reasons[0]
    assert "no usable tags" in reasons[1]
    assert "unknown split" in reasons[2]
    assert "leaves the label folder" in reasons[3]
    assert labels.bad[0].item.endswith(":3")


def test_jsonl_accepts_tag_lists_and_reports_broken_lines(tmp_path: Path) -> None:
    lines = ['{"video": "a.mp4", "tags": ["#Sun", "sky"], "split": "VAL"}', "{broken", '["not", "a", "record"]']
    (tmp_path / "l.jsonl").write_text("\n".join(lines) + "\n")
    labels = read_labels(tmp_path / "l.jsonl", _norm)
    assert labels.rows[0].tags == ("sun", "sky") and labels.rows[0].split == "val"
    assert len(labels.bad) == 2 and "not a record" in labels.bad[1].reason


def test_missing_columns_and_missing_file_are_clear_errors(tmp_path: Path) -> None:
    (tmp_path / "l.csv").write_text("path,labels\na.mp4,#a\n")
    with pytest.raises(BadInput, match="video,tags"):
        read_labels(tmp_path / "l.csv", _norm)
    with pytest.raises(FileNotFoundError):
        read_labels(tmp_path / "nope.csv", _norm)


def test_absolute_paths_can_be_refused(tmp_path: Path) -> None:
    (tmp_path / "l.csv").write_text(f"video,tags\n{tmp_path / 'a.mp4'},#a\n")
    assert read_labels(tmp_path / "l.csv", _norm, allow_absolute=True).rows
    assert "absolute" in read_labels(tmp_path / "l.csv", _norm, allow_absolute=False).bad[0].reason


def test_assigned_splits_are_stable_and_keep_given_ones(tmp_path: Path) -> None:
    (tmp_path / "l.csv").write_text("video,tags,split\n" + "".join(f"v{i}.mp4,#a,\n" for i in range(200)) + "w.mp4,#a,test\n")
    rows = read_labels(tmp_path / "l.csv", _norm).rows
    first, second = assign_splits(rows, seed=3), assign_splits(rows, seed=3)
    assert first == second and first[-1].split == "test"
    counts = {s: sum(r.split == s for r in first[:-1]) for s in ("train", "val", "test")}
    assert counts["train"] > counts["val"] > 0 and counts["test"] > 0


def test_split_tags_forms() -> None:
    assert split_tags("#a  #b,#c;#d") == ["#a", "#b", "#c", "#d"]
    assert split_tags(["#a #b", 3, "#c"]) == ["#a", "#b", "#c"]
    assert split_tags(None) == []
