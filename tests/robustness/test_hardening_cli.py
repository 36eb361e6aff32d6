"""Issue 13, findings 6 and 7: user strings are printed as they are (never read as rich markup), and common
mistakes (a TOML typo, an invalid setting, an unknown version, an oversized CSV field, a non-UTF-8 file, a torn
quarantine line, TeX in a topic id) give one clear line, not a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reeltag import quarantine
from reeltag.cli import app
from reeltag.corpus.posts import read_header
from reeltag.errors import BadInput
from reeltag.mapper.labels import read_labels
from reeltag.report.figures import quality_chart, topic_chart
from reeltag.report.judgement import Component, SearchDetail
from reeltag.video.inputs import resolve_inputs

pytestmark = pytest.mark.robustness

WIDE = {"COLUMNS": "400", "REELTAG_TRACKING__TRIGGER": "test"}  # rich would otherwise wrap names at 80 columns


def _cli(*args: str) -> tuple[int, str]:
    got = CliRunner().invoke(app, list(args), env=WIDE)
    return got.exit_code, got.output


def _one_line_error(code: int, output: str, *needles: str) -> None:
    assert code == 2, output
    assert "Traceback" not in output and output.count("error:") == 1, output
    assert all(n in output for n in needles), output


@pytest.mark.parametrize("name", ["posts[/].jsonl", "[bold]gone.jsonl", "a:smile:b.jsonl"])
def test_a_missing_file_whose_name_looks_like_markup_is_named_exactly(tmp_root: Path, tried, name: str) -> None:
    tried.bad_input("cli", "file name that is rich markup or an emoji code")
    code, output = _cli("ingest", str(tmp_root / name), "--root", str(tmp_root))
    _one_line_error(code, output, name)


def test_a_file_named_like_markup_is_reported_under_its_own_name(tmp_root: Path, tmp_path: Path) -> None:
    posts = tmp_path / "[red]posts.jsonl"
    posts.write_text(json.dumps({"id": "1", "text": "hi #cat #dog"}) + "\n", encoding="utf-8")
    code, output = _cli("ingest", str(posts), "--root", str(tmp_root))
    assert code == 0 and "[red]posts.jsonl" in output, output


def test_the_qrels_format_message_keeps_its_brackets(tmp_root: Path, tmp_path: Path, tried) -> None:
    tried.bad_input("cli", "error message with [brackets] (qrels format)")
    (tmp_path / "base.run").write_text("q1 Q0 d1 1 0.9 eng\n", encoding="utf-8")
    (tmp_path / "qrels.txt").write_text("q1 0 d1\n", encoding="utf-8")
    code, output = _cli("evaluate", str(tmp_path / "base.run"), "--qrels", str(tmp_path / "qrels.txt"), "--root", str(tmp_root))
    _one_line_error(code, output, "qid 0 docid [stratum] rel")


def test_a_toml_syntax_error_is_one_line_naming_the_file(tmp_root: Path, tried) -> None:
    tried.bad_input("config", "TOML syntax error in reeltag.toml")
    (tmp_root / "reeltag.toml").write_text("[tag2vec\nepochs = 3\n", encoding="utf-8")
    code, output = _cli("info", "--root", str(tmp_root))
    _one_line_error(code, output, "reeltag.toml", "not valid TOML")


def test_info_with_an_invalid_setting_is_one_line_naming_the_field(tmp_root: Path, tried) -> None:
    tried.bad_input("config", "invalid setting value (info)")
    (tmp_root / "reeltag.toml").write_text("[tag2vec]\nepochs = -1\n", encoding="utf-8")
    code, output = _cli("info", "--root", str(tmp_root))
    _one_line_error(code, output, "tag2vec.epochs", "(got -1)")
    assert len([line for line in output.splitlines() if line.strip()]) == 1, output


def test_compare_with_an_unknown_version_says_not_found(tmp_root: Path, tried) -> None:
    tried.bad_input("cli", "compare --version that is not registered")
    code, output = _cli("compare", "tag2vec", "--version", "99", "--root", str(tmp_root))
    _one_line_error(code, output, "reeltag.tag2vec version 99 not found")


def test_a_csv_field_over_128_kib_names_the_file_and_line(tmp_path: Path, tried) -> None:
    tried.bad_input("labels", "CSV field over csv's 128 KiB limit")
    tried.bad_input("video", "manifest CSV field over csv's 128 KiB limit")
    tried.bad_input("corpus", "CSV header over csv's 128 KiB limit")
    huge = '"' + "x" * 140_000 + '"'
    (tmp_path / "labels.csv").write_text(f"video,tags\na.mp4,#cat\nb.mp4,{huge}\n", encoding="utf-8")
    (tmp_path / "manifest.csv").write_text(f"path,docid\na.mp4,d1\n{huge},d2\n", encoding="utf-8")
    (tmp_path / "posts.csv").write_text(f"id,{huge}\n1,#cat\n", encoding="utf-8")
    with pytest.raises(BadInput, match=r"labels\.csv:3: unreadable CSV row"):
        read_labels(tmp_path / "labels.csv", lambda t: t)
    with pytest.raises(BadInput, match=r"manifest\.csv:3: unreadable CSV row"):
        resolve_inputs([tmp_path / "manifest.csv"])
    with pytest.raises(BadInput, match=r"posts\.csv:1: unreadable CSV header"):
        read_header(tmp_path / "posts.csv")


@pytest.mark.parametrize("name", ["labels.csv", "labels.jsonl", "manifest.csv", "manifest.jsonl"])
def test_a_non_utf8_labels_file_or_manifest_is_one_clear_error(tmp_path: Path, tried, name: str) -> None:
    tried.bad_input("labels" if name.startswith("labels") else "video", f"non-UTF-8 {name.split('.')[0]} file")
    path = tmp_path / name
    path.write_bytes("video,tags\ncaf\xe9.mp4,#caf\xe9\n".encode("latin-1"))
    with pytest.raises(BadInput, match=f"{name}: not UTF-8 text"):
        read_labels(path, lambda t: t) if name.startswith("labels") else resolve_inputs([path])


def test_a_torn_quarantine_line_is_counted_not_fatal(tmp_path: Path, tried) -> None:
    tried.fault("torn line in data/quarantine/posts.jsonl")
    quarantine.record(tmp_path, [quarantine.QuarantineRecord(kind="posts", item="a.jsonl:1", reason="invalid JSON")])
    with open(tmp_path / "posts.jsonl", "ab") as fh:
        fh.write(b'{"kind": "posts", "item": "a.jsonl:2", "rea')
    quarantine.record(tmp_path, [quarantine.QuarantineRecord(kind="posts", item="a.jsonl:3", reason="missing id")])
    rows = quarantine.read(tmp_path, "posts")
    assert quarantine.counts(tmp_path) == {"posts": 2}
    assert [r["item"] for r in rows] == ["a.jsonl:1", "posts.jsonl:2"]
    assert "unreadable quarantine line" in rows[1]["reason"]


def test_tex_in_topic_ids_and_titles_is_drawn_literally(tried) -> None:
    """Bug fixed: matplotlib read ``$\\nosuchcmd$`` as mathtext and the whole report failed."""
    tried.bad_input("report", "TeX/mathtext in a topic id or title")
    evil = r"$\nosuchcmd$"
    assert topic_chart(SearchDetail(label=evil, metric="AP", per_topic={evil: (0.1, 0.2), "q2": (0.3, 0.3)}))
    assert quality_chart(
        Component(
            name="tag2vec",
            title=evil,
            methods={evil: {"m": 0.5}},
            model=evil,
            reference=evil,
            thresholds=(),
            chart_metrics=("m",),
        )
    )


def test_history_of_a_name_that_cannot_be_a_model_is_one_line(tmp_root: Path, tried) -> None:
    tried.bad_input("cli", "reeltag history of a model name that cannot be one")
    code, output = _cli("history", "Bad Name", "--root", str(tmp_root))
    _one_line_error(code, output, "'Bad Name'", "tag2vec")
