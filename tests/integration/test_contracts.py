"""Contracts both ways: for every suite a good fixture passes and each bad fixture fails the expectation it should."""

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from reeltag.contracts.runner import validate_frame
from reeltag.contracts.suites import SHIPPED_CONTRACTS, load_suite, suite_path
from reeltag.errors import BadInput, NotFound

pytestmark = pytest.mark.integration


def good_posts() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [f"p{i}" for i in range(4)],
            "created_at": ["2024-01-01T00:00:00Z", None, "2024-12-31T23:59:59Z", "2024-06-01T12:00:00Z"],
            "source": ["demo"] * 4,
            "tags": ["sunset beach", "café", "", "dog_life"],
            "n_tags": [2, 1, 0, 1],
        }
    )


def good_sentences() -> pd.DataFrame:
    rows = [(f"p{i}", j, f"tag{(i + j) % 12:02d}", 3) for i in range(10) for j in range(3)]
    return pd.DataFrame(rows, columns=["post_id", "position", "tag", "n_tags"])


def _broken_posts(kind: str) -> pd.DataFrame:
    frame = good_posts()
    if kind == "empty":
        return frame.iloc[0:0]
    if kind == "no_source":
        return frame.drop(columns="source")
    if kind == "null_id":
        frame.loc[1, "id"] = None
    elif kind == "duplicate_id":
        frame.loc[1, "id"] = "p0"
    elif kind == "bad_time":
        frame.loc[2, "created_at"] = "2024-13-45T99:61:00Z"
    elif kind == "bad_tag":
        frame.loc[3, "tags"] = "ok #bad"
    elif kind == "too_many_tags":
        frame.loc[0, "n_tags"] = 31
    return frame


def _broken_sentences(kind: str) -> pd.DataFrame:
    frame = good_sentences()
    if kind == "no_tag_column":
        return frame.drop(columns="tag")
    if kind == "small_vocabulary":
        frame["tag"] = [f"t{i % 3}" for i in range(len(frame))]
    elif kind == "too_long":
        frame.loc[frame.post_id == "p1", "n_tags"] = 31
    elif kind == "many_empty":
        empty = pd.DataFrame([(f"e{i}", 0, None, 0) for i in range(5)], columns=frame.columns)
        frame = pd.concat([frame, empty], ignore_index=True)
    elif kind == "short_tag":
        frame.loc[4, "tag"] = "x"
    return frame


def _failed(summary) -> set[tuple[str, str | None]]:  # noqa: ANN001
    return {(r.type, r.column) for r in summary.results if not r.success}


def test_suites_carry_a_contract_version() -> None:
    for name in ("posts", "hashtag_sentences"):
        assert load_suite(name)["meta"]["contract_version"]


def test_good_fixtures_pass() -> None:
    for name, frame in (("posts", good_posts()), ("hashtag_sentences", good_sentences())):
        summary = validate_frame(name, frame)
        assert summary.success, summary.failures()
        assert not summary.critical_failed and summary.row_reasons() == {}


POSTS_CASES = [
    ("empty", ("expect_table_row_count_to_be_between", None), True, []),
    ("no_source", ("expect_column_to_exist", "source"), True, []),
    ("null_id", ("expect_column_values_to_not_be_null", "id"), True, []),
    ("duplicate_id", ("expect_column_values_to_be_unique", "id"), True, []),
    ("bad_time", ("expect_column_values_to_match_regex", "created_at"), False, [2]),
    ("bad_tag", ("expect_column_values_to_match_regex", "tags"), False, [3]),
    ("too_many_tags", ("expect_column_values_to_be_between", "n_tags"), False, [0]),
]
SENTENCE_CASES = [
    ("no_tag_column", ("expect_column_to_exist", "tag"), True, []),
    ("small_vocabulary", ("expect_column_unique_value_count_to_be_between", "tag"), True, []),
    ("too_long", ("expect_column_values_to_be_between", "n_tags"), False, [3]),
    ("many_empty", ("expect_column_values_to_be_between", "n_tags"), True, []),
    ("short_tag", ("expect_column_value_lengths_to_be_between", "tag"), False, [4]),
]


@pytest.mark.parametrize(("kind", "expected", "critical", "rows"), POSTS_CASES)
def test_bad_posts_fail_the_right_expectation(kind: str, expected: tuple, critical: bool, rows: list[int]) -> None:
    summary = validate_frame("posts", _broken_posts(kind))
    assert expected in _failed(summary)
    assert summary.critical_failed is critical
    assert sorted(summary.row_reasons()) == rows


@pytest.mark.parametrize(("kind", "expected", "critical", "rows"), SENTENCE_CASES)
def test_bad_sentences_fail_the_right_expectation(kind: str, expected: tuple, critical: bool, rows: list[int]) -> None:
    summary = validate_frame("hashtag_sentences", _broken_sentences(kind))
    assert expected in _failed(summary)
    assert summary.critical_failed is critical
    assert sorted(summary.row_reasons()) == rows


def test_project_copy_of_a_suite_wins_and_missing_ones_fall_back(tmp_path: Path) -> None:
    (tmp_path / "posts.json").write_text('{"name": "posts", "expectations": [], "meta": {"contract_version": "9"}}')
    assert suite_path("posts", tmp_path) == tmp_path / "posts.json"
    assert suite_path("hashtag_sentences", tmp_path) == SHIPPED_CONTRACTS / "hashtag_sentences.json"
    with pytest.raises(NotFound):
        suite_path("nothing", tmp_path)
    (tmp_path / "broken.json").write_text('{"name": "broken", "expectations": []}')
    with pytest.raises(BadInput):
        load_suite("broken", tmp_path)


def test_a_wheel_ships_the_contract_suites_and_an_install_from_it_finds_them(tmp_path: Path) -> None:
    """Built from a copy of this checkout's sources (setuptools writes build/ beside them; no build isolation:
    offline) and unpacked as site-packages would hold it; the installed reeltag then reads its suites from the
    wheel's data_contracts/, not from a checkout."""
    repo, source, site = Path(__file__).resolve().parents[2], tmp_path / "source", tmp_path / "site"
    for name in ("src", "flows", "data_contracts"):
        shutil.copytree(repo / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(repo / name, source / name)
    build = [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path)]
    subprocess.run(build, check=True, capture_output=True, timeout=300)
    (wheel,) = tmp_path.glob("reeltag-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        shipped = sorted(n for n in archive.namelist() if n.startswith("data_contracts/"))
        archive.extractall(site)
    assert shipped == sorted(f"data_contracts/{p.name}" for p in (repo / "data_contracts").glob("*.json"))
    probe = "from reeltag.contracts.suites import load_suite, suite_path; load_suite('posts'); print(suite_path('posts'))"
    env = {**os.environ, "PYTHONPATH": str(site)}
    found = subprocess.run([sys.executable, "-c", probe], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert found.returncode == 0, found.stderr[-2000:]
    assert Path(found.stdout.strip()) == site / "data_contracts" / "posts.json"
