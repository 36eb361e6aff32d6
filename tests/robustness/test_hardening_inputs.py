"""Hardening (issue 13, findings 1 and 14): hostile JSON lines in labels and manifests, a missing video named
on the command line, a mistyped ``--root``, and pickles dropped into the inbox."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from robust_helpers import invoke_cli

from reeltag.mapper.labels import read_labels
from reeltag.paths import ProjectPaths
from reeltag.security import is_trusted
from reeltag.video.inputs import resolve_inputs

pytestmark = pytest.mark.robustness

DEEP_LINE = "[" * 90_000  # 90 kB: under the post line limit, far past the JSON parser's recursion limit
HUGE_INT_LINE = "1" * 5_000  # past Python's 4,300-digit int conversion limit: json.loads raises a bare ValueError


def _lines(path: Path, *lines: str) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_deeply_nested_label_lines_are_bad_rows_and_the_good_ones_load(tmp_path: Path, tried) -> None:
    tried.bad_input("labels", "deeply nested or over-long-integer JSON line")
    (tmp_path / "a.mp4").write_bytes(b"x")
    good = json.dumps({"video": "a.mp4", "tags": "#cat"})
    labels = read_labels(_lines(tmp_path / "labels.jsonl", good, DEEP_LINE, HUGE_INT_LINE, good), lambda t: t.lstrip("#"))
    assert [r.tags for r in labels.rows] == [("cat",), ("cat",)]
    assert [b.item.rsplit(":", 1)[1] for b in labels.bad] == ["2", "3"]
    assert labels.bad[0].reason == "invalid JSON: nested too deeply"
    assert labels.bad[1].reason.startswith("invalid JSON: Exceeds the limit")


def test_deeply_nested_manifest_lines_are_rejected_and_the_good_ones_kept(tmp_path: Path, tried) -> None:
    tried.bad_input("video", "deeply nested JSON line in a manifest")
    (tmp_path / "a.mp4").write_bytes(b"x")
    found = resolve_inputs([_lines(tmp_path / "m.jsonl", DEEP_LINE, json.dumps({"path": "a.mp4"}), HUGE_INT_LINE)])
    assert [v.path.name for v in found.videos] == ["a.mp4"]
    assert [r.item.rsplit(":", 1)[1] for r in found.rejected] == ["1", "3"]


def test_features_extract_of_a_missing_file_is_an_error(tmp_root: Path, tmp_path: Path, tried) -> None:
    tried.bad_input("video", "features extract of a path that does not exist")
    missing = tmp_path / "nonexistent.mp4"
    outcome = invoke_cli("features", "extract", str(missing), "--root", str(tmp_root))
    assert outcome.exit_code == 2 and str(missing) in outcome.output
    assert not (tmp_root / "data").exists()  # nothing was started


def test_a_mistyped_root_is_named_not_silently_made_a_new_project(tmp_path: Path, tried) -> None:
    tried.bad_input("cli", "mistyped --root")
    typo = tmp_path / "projetc"
    looked = invoke_cli("info", "--root", str(typo), "--json")
    assert looked.exit_code == 0 and json.loads(looked.stdout)["root"] == str(typo)  # stdout stays one JSON object
    assert f"project root {typo} does not exist yet" in looked.stderr and not typo.exists()
    (tmp_path / "file").write_text("x", encoding="utf-8")
    refused = invoke_cli("info", "--root", str(tmp_path / "file"))
    assert refused.exit_code == 2 and "is a file, not a folder" in refused.output


def test_a_pickle_dropped_into_the_inbox_is_not_trusted(tmp_path: Path, tried) -> None:
    tried.bad_input("security", "pickle-format model placed in data/inbox")
    paths = ProjectPaths.at(tmp_path / "project")
    assert not is_trusted(paths.data / "inbox" / "tag2vec" / "word2vec.model", paths)
    assert is_trusted(paths.models / "tag2vec" / "v1" / "tag2vec" / "word2vec.model", paths)
