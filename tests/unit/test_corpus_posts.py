"""Streaming post readers: formats, bad rows with reasons, resuming from a byte offset, content hashes."""

from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from reeltag.config import CorpusSection
from reeltag.corpus.posts import Post, Rejected, content_hash, detect_format, iter_lines, iter_raw, read_header, to_post
from reeltag.corpus.sentences import heldout_mask, posts_frame, sentences_frame
from reeltag.corpus.tags import TagRules

RULES = TagRules(stop_tags=frozenset({"repost"}))


def _read(path: Path, fmt: str = "auto", start: int = 0, first: int = 1) -> list:
    fmt = detect_format(path, fmt)
    header = read_header(path) if fmt == "csv" else None
    out = []
    for _, item in iter_raw(path, fmt, iter_lines(path, start, first), header):
        out.append(item if not hasattr(item, "hashtags") else to_post(item, "s", RULES, 30, Counter()))
    return out


def test_jsonl_rows_and_bad_rows(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text(
        '{"id": 1, "created_at": "2024-01-02T03:04:05+01:00", "text": "hi #Cat #dog"}\n'
        '{"id": 2, "hashtags": ["a1", "#b2"]}\n'
        '{"id": 3, "text": "no tags here"}\n'
        '{"id": 4, "text": 5}\n'
        '{"text": "#x"}\n'
        '{"id": 6, "text": "#ok", "created_at": "yesterday"}\n'
        '{"id": 7, "text": "#ok"\n'
        "[1, 2]\n"
        '{"id": 9, "text": ""}\n',
        encoding="utf-8",
    )
    first, second, none, *bad = _read(path)
    assert isinstance(first, Post) and first.tags == ("cat", "dog") and first.created_at == "2024-01-02T02:04:05Z"
    assert second.tags == ("a1", "b2") and second.created_at is None
    assert none is None
    assert [b.reason.split(":")[0] for b in bad] == [
        "text is a int, not a string",
        "missing id",
        "unparseable created_at 'yesterday'",
        "invalid JSON",
        "not a JSON object",
        "empty post",
    ]
    assert all(isinstance(b, Rejected) for b in bad)


def test_csv_uses_tweet_column_and_rejects_invalid_utf8(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_bytes(b'id,label,tweet\n1,0,"#Summer fun, #beach"\n2,0,bad \xc3\x28 bytes #x\n3,1\n')
    posts = _read(path)
    assert posts[0] is None  # the header
    assert posts[1].id == "1" and posts[1].tags == ("summer", "beach")
    assert posts[2].reason == "invalid UTF-8 bytes"
    assert posts[3].reason.startswith("CSV row has 2 fields")


def test_plain_text_ids_name_source_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_text("#a #b\n\nplain words\n#c\n", encoding="utf-8")
    posts = _read(path)
    assert posts[0].id == "s:t.txt:1"
    assert posts[1] is None and posts[2] is None
    assert posts[3].id == "s:t.txt:4"


def test_reading_resumes_at_a_byte_offset(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_text("#a #b\n#c #d\n", encoding="utf-8")
    lines = list(iter_lines(path))
    assert [line.number for line in lines] == [1, 2]
    resumed = list(iter_lines(path, lines[0].end, 2))
    assert [(line.number, line.text) for line in resumed] == [(2, "#c #d")]


def test_near_duplicates_share_a_content_hash() -> None:
    base = content_hash("Best day #beach", ["beach"], RULES)
    assert content_hash("Best day #beach!! (repost) 🔁", ["beach"], RULES) == base
    assert content_hash("Worst day #beach", ["beach"], RULES) != base


def test_format_detection() -> None:
    assert [detect_format(Path(n)) for n in ("a.jsonl", "a.csv", "a.txt", "a")] == ["jsonl", "csv", "txt", "txt"]
    with pytest.raises(ValueError):
        detect_format(Path("a"), "xml")


def _posts() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": ["a", "b", "c", "d"],
            "created_at": ["2024-01-03T00:00:00Z", None, "2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z"],
            "source": ["x", "x", "y", "x"],
            "tags": [["p", "q"], [], ["r"], ["p"]],
            "seq": [0, 1, 2, 3],
        }
    )


def test_contract_frames() -> None:
    assert posts_frame(_posts())["tags"].tolist() == ["p q", "", "r", "p"]
    frame = sentences_frame(_posts())
    assert frame["post_id"].tolist() == ["a", "a", "b", "c", "d"]
    assert frame["tag"].isna().tolist() == [False, False, True, False, False]
    assert frame["position"].tolist() == [0, 1, 0, 0, 0]


def test_time_split_holds_out_the_latest_posts_and_sources_win() -> None:
    posts = _posts()
    assert heldout_mask(posts, CorpusSection(test_fraction=0.25)).tolist() == [True, False, False, False]
    assert heldout_mask(posts, CorpusSection(heldout_sources=("y",))).tolist() == [False, False, True, False]
    seeded = heldout_mask(posts, CorpusSection(split="seeded", test_fraction=0.5, seed=3))
    assert (
        seeded.sum() == 2
        and seeded.tolist() == heldout_mask(posts, CorpusSection(split="seeded", test_fraction=0.5, seed=3)).tolist()
    )


def test_wrong_id_or_hashtags_types_and_huge_lines_are_rejected(tmp_path: Path) -> None:
    """Bugs fixed: a dict id was stored as its repr; a 10 MB line of tags took ~20 s to normalise."""
    path = tmp_path / "p.jsonl"
    path.write_text(
        '{"id": {"x": 1}, "text": "#ok #fine"}\n{"id": true, "text": "#ok"}\n{"id": 3, "text": "#ok", "hashtags": {"a": 1}}\n'
        + '{"id": 4, "text": "'
        + "#t " * 50_000
        + '"}\n',
        encoding="utf-8",
    )
    reasons = [item.reason for item in _read(path)]
    assert reasons[:3] == [
        "id is a dict, not a string or integer",
        "id is a bool, not a string or integer",
        "hashtags is a dict, not a string or list",
    ]
    assert reasons[3].startswith("line of 150,0")
