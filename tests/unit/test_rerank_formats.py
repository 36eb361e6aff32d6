"""TREC formats: round trips, malformed lines, duplicates, unknown topics, non-finite scores, manifest paths."""

from pathlib import Path

import pytest

from reeltag.errors import BadInput
from reeltag.rerank.formats import (
    Qrels,
    Ranking,
    Run,
    format_qrels,
    read_manifest,
    read_qrels,
    read_run,
    read_topics,
    write_qrels,
    write_run,
)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_run_round_trip_keeps_order_and_breaks_ties_by_rank(tmp_path: Path) -> None:
    path = _write(tmp_path, "a.run", "q1 Q0 b 2 1.0 eng\nq1 Q0 a 1 1.0 eng\nq1 Q0 c 3 2.5 eng\n\nq2 Q0 x 1 0.1 eng\n")
    run = read_run(path)
    assert run.rankings["q1"].docids == ("c", "a", "b")
    assert run.tag == "eng" and run.issues == ()
    again = read_run(write_run(tmp_path / "b.run", run))
    assert again.rankings == run.rankings


@pytest.mark.robustness
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("q1 Q0 a 1 0.5\n", "a.run:1: expected"),
        ("q1 Q0 a 1 0.5 t\nq1 Q0 b one 0.4 t\n", "a.run:2: rank 'one'"),
        ("q1 Q0 a 1 high t\n", "a.run:1: score 'high'"),
    ],
)
def test_malformed_run_line_names_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        read_run(_write(tmp_path, "a.run", text))


@pytest.mark.robustness
def test_duplicates_unknown_topics_and_nonfinite_scores_are_reported(tmp_path: Path) -> None:
    text = "q1 Q0 a 1 0.9 t\nq1 Q0 a 2 0.8 t\nq1 Q0 b 3 nan t\nq1 Q0 c 4 -inf t\nq1 Q0 d 5 0.1 t\nq9 Q0 a 1 1 t\n"
    run = read_run(_write(tmp_path, "a.run", text), known_topics=["q1"])
    kinds = sorted(i.kind for i in run.issues)
    assert kinds == ["duplicate", "nonfinite_score", "nonfinite_score", "unknown_topic"]
    assert run.rankings["q1"].docids == ("a", "d", "b", "c")  # non-finite last, in rank order
    assert "a.run:2" in next(i.item for i in run.issues if i.kind == "duplicate")
    assert "q9" in run.rankings  # kept, and reported


def test_sampled_and_plain_qrels(tmp_path: Path) -> None:
    sampled = read_qrels(_write(tmp_path, "s.qrels", "1661 0 shot1_1 1 1\n1661 0 shot1_2 3 -1\n"))
    assert sampled.sampled and sampled.strata == {"1661": {"shot1_1": 1, "shot1_2": 3}}
    assert sampled.judgments["1661"] == {"shot1_1": 1, "shot1_2": -1}
    assert read_qrels(write_qrels(tmp_path / "t.qrels", sampled)) == sampled
    plain = read_qrels(_write(tmp_path, "p.qrels", "q1 0 a 1\nq1 0 a 0\n"))
    assert not plain.sampled and plain.judgments == {"q1": {"a": 1}}
    assert [i.kind for i in plain.issues] == ["duplicate"]
    assert format_qrels(Qrels({"q": {"b": 0, "a": 2}})) == "q 0 a 2\nq 0 b 0\n"


@pytest.mark.robustness
def test_qrels_with_mixed_layouts_or_bad_relevance_fail_with_line(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match=r"m.qrels:2: expected"):
        read_qrels(_write(tmp_path, "m.qrels", "q1 0 a 1\nq1 0 b 2 1\n"))
    with pytest.raises(BadInput, match=r"r.qrels:1: relevance 'yes'"):
        read_qrels(_write(tmp_path, "r.qrels", "q1 0 a yes\n"))
    with pytest.raises(BadInput, match="no judgements"):
        read_qrels(_write(tmp_path, "e.qrels", "\n"))


def test_topics_keep_text_with_spaces_and_report_duplicates(tmp_path: Path) -> None:
    topics = read_topics(_write(tmp_path, "t.txt", "661  a hang glider\n661 again\n662 a woman\n"))
    assert topics.texts == {"661": "a hang glider", "662": "a woman"}
    assert [i.kind for i in topics.issues] == ["duplicate"]
    with pytest.raises(BadInput, match="t2.txt:1"):
        read_topics(_write(tmp_path, "t2.txt", "663\n"))


@pytest.mark.robustness
def test_manifest_paths_cannot_escape_their_folder(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.mp4"
    text = f"docid,path\nd1,videos/d1.mp4\nd2,../secret.mp4\nd3,{outside}\nd1,videos/other.mp4\n"
    (tmp_path / "search").mkdir()
    path = _write(tmp_path / "search", "manifest.csv", text)
    manifest = read_manifest(path, allow_absolute=True)
    assert manifest.paths == {"d1": tmp_path / "search/videos/d1.mp4", "d3": outside}
    assert sorted(i.kind for i in manifest.issues) == ["duplicate", "path_refused"]
    strict = read_manifest(path, allow_absolute=False)
    assert set(strict.paths) == {"d1"}
    with pytest.raises(BadInput, match="header"):
        read_manifest(_write(tmp_path, "bad.csv", "id,file\n"))
    with pytest.raises(BadInput, match="bad2.csv:3"):
        read_manifest(_write(tmp_path, "bad2.csv", "docid,path\nd1,a.mp4\nd2\n"))


def test_ranking_length() -> None:
    assert len(Run({"q": Ranking("q", ("a", "b"), (2.0, 1.0))}).rankings["q"]) == 2


@pytest.mark.robustness
def test_unreadable_files_are_clear_errors(tmp_path: Path) -> None:
    binary = tmp_path / "binary.run"
    binary.write_bytes(b"q1 Q0 a 1 0.5 t\n\xff\xfe\x00garbage\n")
    with pytest.raises(BadInput, match="not UTF-8"):
        read_run(binary)
    with pytest.raises(BadInput, match="not a file"):
        read_qrels(tmp_path)
    with pytest.raises(BadInput, match="file not found"):
        read_topics(tmp_path / "missing.txt")
    manifest = tmp_path / "m.csv"
    manifest.write_bytes(b"docid,path\nd1,\xff\xfe.mp4\n")
    with pytest.raises(BadInput, match="not a UTF-8 CSV"):
        read_manifest(manifest)
    bom = tmp_path / "bom.csv"
    bom.write_text("\ufeffdocid,path\nd1,a.mp4\n", encoding="utf-8")
    assert set(read_manifest(bom).paths) == {"d1"}
    assert read_run(_write(tmp_path, "empty.run", "")).rankings == {}
