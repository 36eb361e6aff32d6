"""Bad post files through the real ingest step: bad rows are quarantined with their reason, odd but valid
rows are normalised, the batch goes on, and the posts already in the store are still there, unchanged."""

from __future__ import annotations

import json
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pytest

from reeltag import quarantine
from reeltag.corpus import store
from reeltag.corpus.steps import IngestSummary, ingest_posts
from reeltag.io import sha256_file
from reeltag.project import Project

pytestmark = pytest.mark.robustness

BASE = [{"id": f"base{i}", "created_at": f"2026-01-0{i + 1}T00:00:00Z", "text": f"day {i} #cat #dog{i}"} for i in range(5)]


@dataclass(frozen=True)
class Stored:
    project: Project
    parts: dict[str, str]  # part file → sha256 before the bad file


@dataclass(frozen=True)
class Outcome:
    summary: IngestSummary
    reasons: dict[int, str]  # line → quarantine reason
    posts: dict[str, dict]  # id → stored row


def _jsonl(path: Path, rows: list) -> Path:
    lines = [
        r if isinstance(r, bytes) else (r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)).encode() for r in rows
    ]
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    return path


@pytest.fixture
def stored(project: Project, tmp_path: Path) -> Stored:
    ingest_posts(project, [_jsonl(tmp_path / "base.jsonl", BASE)])
    return Stored(project, {str(p): sha256_file(p) for p in store.parts(project.paths.corpus)})


def _ingest(stored: Stored, path: Path) -> Outcome:
    summary = ingest_posts(stored.project, [path])
    records = quarantine.read(stored.project.paths.quarantine, "posts")
    reasons = {
        int(r["item"].rsplit(":", 1)[1]): r["reason"] for r in records if Path(r["item"].rsplit(":", 1)[0]).name == path.name
    }
    rows = store.read_table(stored.project.paths.corpus).to_pylist()
    _nothing_lost(stored, rows)
    return Outcome(summary, reasons, {r["id"]: r for r in rows})


def _nothing_lost(stored: Stored, rows: list[dict]) -> None:
    assert all(Path(p).is_file() and sha256_file(p) == digest for p, digest in stored.parts.items())
    by_id = {r["id"]: r for r in rows}
    assert all(by_id[b["id"]]["tags"] == ["cat", f"dog{i}"] for i, b in enumerate(BASE))
    assert not list(stored.project.paths.corpus.glob("*.tmp"))


def test_invalid_utf8_line_is_quarantined_and_the_next_line_kept(stored: Stored, tmp_path: Path, tried) -> None:
    tried.bad_input("corpus", "invalid UTF-8")
    got = _ingest(
        stored, _jsonl(tmp_path / "p.jsonl", [b'{"id": "u1", "text": "caf\xe9 #bad\xff"}', {"id": "u2", "text": "#fine #ok"}])
    )
    assert got.reasons == {1: "invalid UTF-8 bytes"} and got.posts["u2"]["tags"] == ["fine", "ok"]


def test_mojibake_is_repaired_or_the_tag_rejected(stored: Stored, tmp_path: Path, tried) -> None:
    tried.bad_input("corpus", "mojibake")
    got = _ingest(
        stored, _jsonl(tmp_path / "p.jsonl", [{"id": "m1", "text": "CafÃ© #cafÃ© #naÃ¯ve"}, {"id": "m2", "text": "#Ã¢â‚¬ #ok"}])
    )
    assert got.posts["m1"]["tags"] == ["café", "naïve"]
    assert got.posts["m2"]["tags"] == ["ok"]  # the broken sequence yields no tag


def test_a_10_mb_line_is_quarantined_quickly(stored: Stored, tmp_path: Path, tried) -> None:
    tried.bad_input("corpus", "10 MB single line")
    huge = {"id": "huge", "text": " ".join(f"#t{i}x" for i in range(1_100_000))}
    path = _jsonl(tmp_path / "p.jsonl", [huge, {"id": "after", "text": "#still #here"}])
    assert path.stat().st_size > 10_000_000
    started = time.perf_counter()
    got = _ingest(stored, path)
    assert time.perf_counter() - started < 10.0
    assert got.reasons[1].startswith("line of ") and "huge" not in got.posts and "after" in got.posts


def test_empty_file_reads_nothing_and_changes_nothing(stored: Stored, tmp_path: Path, tried) -> None:
    tried.bad_input("corpus", "empty file")
    (tmp_path / "empty.jsonl").write_bytes(b"")
    got = _ingest(stored, tmp_path / "empty.jsonl")
    assert (got.summary.lines_read, got.summary.added, got.summary.parts_written) == (0, 0, ())
    assert len(got.posts) == len(BASE)


def test_only_hashtag_posts_are_kept_and_no_hashtag_posts_counted(stored: Stored, tmp_path: Path, tried) -> None:
    tried.bad_input("corpus", "only-hashtag post")
    tried.bad_input("corpus", "no-hashtag post")
    got = _ingest(
        stored, _jsonl(tmp_path / "p.jsonl", [{"id": "o1", "text": "#only #tags"}, {"id": "n1", "text": "no tags at all"}])
    )
    assert got.posts["o1"]["tags"] == ["only", "tags"]
    assert "n1" not in got.posts and got.summary.without_hashtags == 1


def test_html_and_script_never_become_tags(stored: Stored, tmp_path: Path, tried) -> None:
    tried.bad_input("corpus", "HTML/script in tags")
    rows = [
        {"id": "h1", "text": "#<script>alert(1)</script> #ok<b>x</b>"},
        {"id": "h2", "hashtags": "<script>alert(1)</script> <img src=x onerror=alert(1)> #fine"},
    ]
    got = _ingest(stored, _jsonl(tmp_path / "p.jsonl", rows))
    tags = [t for pid in ("h1", "h2") for t in got.posts[pid]["tags"]]
    assert tags == ["ok", "fine"]
    assert got.summary.rejected_tags.get("not a word", 0) >= 3


def test_right_to_left_and_zero_width_characters(stored: Stored, tmp_path: Path, tried) -> None:
    tried.bad_input("corpus", "right-to-left and zero-width characters")
    rows = [{"id": "r1", "text": "#שלום #مرحبا #ca\u200bt"}, {"id": "r2", "hashtags": ["do\u200dg", "\u202ebird", "fi\ufeffsh"]}]
    got = _ingest(stored, _jsonl(tmp_path / "p.jsonl", rows))
    assert got.posts["r1"]["tags"] == ["שלום", "مرحبا", "cat"]
    assert got.posts["r2"]["tags"] == ["dog", "bird", "fish"]
    assert not any(unicodedata.category(ch) == "Cf" for row in got.posts.values() for t in row["tags"] for ch in t)


def test_duplicate_ids_with_different_text_keep_the_first(stored: Stored, tmp_path: Path, tried) -> None:
    tried.bad_input("corpus", "duplicate ids with different text")
    rows = [
        {"id": "base1", "text": "rewritten #other"},
        {"id": "d1", "text": "#first #one"},
        {"id": "d1", "text": "#second #two"},
    ]
    got = _ingest(stored, _jsonl(tmp_path / "p.jsonl", rows))
    assert got.summary.duplicates_by_id == 2
    assert got.posts["d1"]["tags"] == ["first", "one"] and got.posts["base1"]["tags"] == ["cat", "dog1"]


def test_csv_with_a_missing_column_or_short_rows(stored: Stored, tmp_path: Path, tried) -> None:
    tried.bad_input("corpus", "CSV with a missing column")
    (tmp_path / "noid.csv").write_text("created_at,text\n2026-02-01,#a1 #bb\n", encoding="utf-8")
    assert _ingest(stored, tmp_path / "noid.csv").reasons == {2: "missing id"}
    (tmp_path / "short.csv").write_text("id,created_at,text\nc1,2026-02-01\nc2,2026-02-02,#kept #row\n", encoding="utf-8")
    got = _ingest(stored, tmp_path / "short.csv")
    assert got.reasons == {2: "CSV row has 2 fields, header has 3"} and got.posts["c2"]["tags"] == ["kept", "row"]


def test_wrong_types_in_jsonl(stored: Stored, tmp_path: Path, tried) -> None:
    tried.bad_input("corpus", "wrong types in JSONL")
    rows = [
        {"id": "w1", "text": 123},
        {"id": "w2", "text": "#a1 #bb", "created_at": [1]},
        {"id": {"x": 1}, "text": "#bb"},
        {"id": "w4", "text": "#bb", "hashtags": {"a": "#evil"}},
        [1, 2],
        '{"id": "broken", ',
        {"id": "w7", "text": "#good #row"},
    ]
    got = _ingest(stored, _jsonl(tmp_path / "p.jsonl", rows))
    assert got.reasons == {
        1: "text is a int, not a string",
        2: "unparseable created_at '[1]'",
        3: "id is a dict, not a string or integer",
        4: "hashtags is a dict, not a string or list",
        5: "not a JSON object",
        6: "invalid JSON: Expecting property name enclosed in double quotes",
    }
    assert got.posts["w7"]["tags"] == ["good", "row"] and got.summary.quarantined == 6


def test_a_damaged_watermark_file_is_a_clear_error_and_its_remedy_loses_nothing(stored: Stored, tmp_path: Path, tried) -> None:
    from reeltag.errors import ReeltagError

    tried.bad_input("corpus", "damaged watermark file in the store")
    marks = stored.project.paths.corpus / store.WATERMARKS
    marks.write_text('{"base": {"/x": {"offset": 1', encoding="utf-8")
    with pytest.raises(ReeltagError, match="watermarks.json is damaged"):
        ingest_posts(stored.project, [tmp_path / "base.jsonl"])
    marks.unlink()  # what the message says to do
    got = _ingest(stored, tmp_path / "base.jsonl")
    assert (got.summary.added, got.summary.duplicates_by_id) == (0, len(BASE))
