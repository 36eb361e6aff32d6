"""Bad search files (TREC run, qrels, topics) through the real rerank/evaluate steps: malformed lines stop
with the file and line, everything else is quarantined with its reason; outputs already written stay."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from reeltag import quarantine
from reeltag.cli import app
from reeltag.errors import BadInput
from reeltag.project import Project
from reeltag.rerank.apply import prepare, rerank_prepared
from reeltag.rerank.steps import evaluate_run, load_search_inputs, rerank_run
from reeltag.rerank.tuning import Setting

pytestmark = pytest.mark.robustness

TOPICS = "q1 a red ball\nq2 a blue box\n"
QRELS = "q1 0 d1 1\nq1 0 d2 0\nq1 0 d3 1\nq2 0 d1 0\nq2 0 d2 1\n"
MANIFEST = "docid,path\nd1,d1.mp4\nd2,d2.mp4\nd3,d3.mp4\n"
RUN = [("q1", "d1", "0.9"), ("q1", "d2", "0.8"), ("q1", "d3", "0.7"), ("q2", "d1", "0.6"), ("q2", "d2", "0.5")]


def _run_text(rows: list[tuple[str, str, str]]) -> str:
    return "".join(f"{q} Q0 {d} {rank} {s} base\n" for rank, (q, d, s) in enumerate(rows, 1))


@pytest.fixture
def files(tmp_path: Path) -> Path:
    for name, text in {"topics.txt": TOPICS, "qrels.txt": QRELS, "manifest.csv": MANIFEST, "base.run": _run_text(RUN)}.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


@pytest.fixture
def quiet(tmp_root: Path) -> Project:
    return Project.open(tmp_root, tracking={"enabled": False})


@pytest.mark.parametrize(
    ("kind", "line", "message"),
    [
        ("run line with 5 fields", "q1 Q0 d9 4 0.5\n", "expected 'qid Q0 docid rank score tag', got 5 fields"),
        ("run score that is not a number", "q1 Q0 d9 4 high base\n", "score 'high' is not a number"),
        ("run rank that is not an integer", "q1 Q0 d9 four 0.5 base\n", "rank 'four' is not an integer"),
    ],
)
def test_malformed_run_line_stops_with_file_and_line_and_keeps_the_old_output(
    files: Path, quiet: Project, tried, kind: str, line: str, message: str
) -> None:
    tried.bad_input("search", f"malformed run line ({kind})")
    bad = files / "bad.run"
    bad.write_text(_run_text(RUN) + line, encoding="utf-8")
    output = files / "reranked.run"
    output.write_text("previous output\n", encoding="utf-8")
    with pytest.raises(BadInput, match=f"bad.run:6: {message}"):
        rerank_run(quiet, bad, files / "topics.txt", files / "manifest.csv", output)
    assert output.read_text(encoding="utf-8") == "previous output\n"


@pytest.mark.parametrize(
    ("kind", "text", "message"),
    [
        ("qrels line with 3 fields", QRELS + "q2 0 d3\n", "qrels.txt:6: expected 'qid 0 docid \\[stratum\\] rel'"),
        ("qrels relevance that is not an integer", QRELS + "q2 0 d3 yes\n", "qrels.txt:6: relevance 'yes' is not an integer"),
        ("qrels that are not UTF-8", QRELS + "q2 0 d\xe9 1\n", "not UTF-8"),
    ],
)
def test_malformed_qrels_line_stops_with_file_and_line(
    files: Path, quiet: Project, tried, kind: str, text: str, message: str
) -> None:
    tried.bad_input("search", f"malformed qrels ({kind})")
    (files / "qrels.txt").write_bytes(text.encode("latin-1"))
    with pytest.raises(BadInput, match=message):
        evaluate_run(quiet, files / "base.run", files / "qrels.txt")


def test_malformed_line_is_a_clear_cli_error_not_a_traceback(files: Path, tmp_root: Path) -> None:
    (files / "qrels.txt").write_text(QRELS + "q2 0 d3\n", encoding="utf-8")
    got = CliRunner().invoke(
        app, ["evaluate", str(files / "base.run"), "--qrels", str(files / "qrels.txt"), "--root", str(tmp_root)]
    )
    assert got.exit_code == 2 and "qrels.txt:6" in got.output and "Traceback" not in got.output


def _bad_run(files: Path) -> Path:
    rows = [("q1", "d1", "nan"), *RUN[1:3], ("q1", "d2", "0.1"), ("q2", "d1", "inf"), ("q2", "d2", "-inf"), ("q9", "d1", "0.4")]
    path = files / "bad.run"
    path.write_text(_run_text(rows), encoding="utf-8")
    return path


def test_unknown_topics_duplicates_and_nonfinite_scores_are_quarantined(files: Path, quiet: Project, tried) -> None:
    tried.bad_input("search", "unknown topic in a run")
    tried.bad_input("search", "duplicate docid in a topic")
    tried.bad_input("search", "NaN/inf scores")
    inputs = load_search_inputs(quiet, _bad_run(files), files / "topics.txt", files / "manifest.csv")
    reasons = {r["reason"].split(":")[0] for r in quarantine.read(quiet.paths.quarantine, "search")}
    assert reasons == {"nonfinite_score", "duplicate", "unknown_topic"}
    assert len(inputs.issues) == 5
    assert inputs.run.rankings["q1"].docids == ("d2", "d3", "d1")  # the NaN document is ranked last


def test_nonfinite_scores_never_reach_the_reranked_run_or_the_metrics(files: Path, quiet: Project) -> None:
    inputs = load_search_inputs(quiet, _bad_run(files), files / "topics.txt", files / "manifest.csv")
    rng = np.random.default_rng(0)
    queries = {q: rng.normal(size=8).astype(np.float32) for q in ("q1", "q2")}
    frames = {d: rng.normal(size=(3, 8)).astype(np.float32) for d in ("d1", "d2", "d3")}
    prepared = prepare(inputs.run, queries, frames, depth=10)
    for normalisation in ("minmax", "zscore", "none"):
        out = rerank_prepared(prepared, Setting(0.5, normalisation, "max"), top_m=2)
        assert all(math.isfinite(s) for ranking in out.rankings.values() for s in ranking.scores), normalisation
    result = evaluate_run(quiet, files / "bad.run", files / "qrels.txt")
    assert all(math.isfinite(v) for v in result.mean.values())
