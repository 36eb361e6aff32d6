"""The rerank commands end to end on the tiny demo search set, with broken inputs mixed in (random encoder)."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reeltag import quarantine
from reeltag.cli import app
from reeltag.project import Project
from reeltag.rerank.formats import read_run

pytestmark = [pytest.mark.integration, pytest.mark.robustness]


def _cli(*args: str) -> dict:
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def broken_search(demo_tiny: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The demo search set, with: one doc not in the manifest, one corrupt video, one path escaping its folder,
    a duplicate run line and an unknown topic with a NaN score."""
    src, folder = demo_tiny / "search", tmp_path_factory.mktemp("broken-search")
    (folder / "broken.mp4").write_bytes(b"\x00not a video" * 50)
    rows = (src / "manifest.csv").read_text().splitlines()[1:]
    lines = ["docid,path", rows[1].split(",")[0] + ",broken.mp4", rows[2].split(",")[0] + ",../outside.mp4"]
    lines += [f"{r.split(',')[0]},{src / r.split(',')[1]}" for r in rows[3:]]  # rows[0] left out of the manifest
    (folder / "manifest.csv").write_text("\n".join(lines) + "\n")
    base = (src / "base.run").read_text()
    (folder / "base.run").write_text(base + base.splitlines()[0] + "\nq99 Q0 s0000 1 nan base\n")
    root = tmp_path_factory.mktemp("rerank-root")
    (root / "reeltag.toml").write_text("[paths]\nallow_absolute_manifest_paths = true\n")  # the rows naming the demo's files
    return {
        "root": root,
        "run": folder / "base.run",
        "manifest": folder / "manifest.csv",
        "topics": src / "topics.txt",
        "qrels": src / "qrels.txt",
        "folder": folder,
    }


def _rerank(s: dict[str, Path], out: Path, *extra: str) -> dict:
    return _cli(
        "rerank",
        str(s["run"]),
        "--topics",
        str(s["topics"]),
        "--manifest",
        str(s["manifest"]),
        "-o",
        str(out),
        "--root",
        str(s["root"]),
        *extra,
    )


def test_alpha_zero_keeps_the_engine_order_and_broken_inputs_are_counted(broken_search: dict[str, Path]) -> None:
    s = broken_search
    out = _rerank(s, s["folder"] / "alpha0.run", "--alpha", "0.0")
    assert out["encoder_weights"] == "random" and out["topics_reranked"] == 4
    assert out["topics_passed_through"] == 1  # q99 has no topic text
    assert out["without_video"] == 3 * 4  # 3 docs without a readable video, in each of the 4 topics
    kinds = sorted(i["kind"] for i in out["input_issues"])
    assert kinds == ["duplicate", "nonfinite_score", "path_refused", "unknown_topic"]
    base, reranked = read_run(s["run"]), read_run(s["folder"] / "alpha0.run")
    assert all(reranked.rankings[q].docids == base.rankings[q].docids for q in base.qids)
    assert reranked.tag == "cliprerank-random"  # the run file says which kind of CLIP weights made it
    stored = quarantine.read(s["root"] / "data" / "quarantine")
    assert {r["kind"] for r in stored} >= {"search", "videos"}
    assert any("broken.mp4" in r["item"] for r in stored if r["kind"] == "videos")


def test_docs_without_video_keep_their_base_score_under_clip_alone(broken_search: dict[str, Path]) -> None:
    s = broken_search
    out_path = s["folder"] / "alpha1.run"
    _cli(
        "rerank",
        "apply",
        str(s["run"]),
        "--topics",
        str(s["topics"]),
        "--manifest",
        str(s["manifest"]),
        "-o",
        str(out_path),
        "--alpha",
        "1",
        "--root",
        str(s["root"]),
    )
    base, reranked = read_run(s["run"]).rankings["q01"], read_run(out_path).rankings["q01"]
    missing = next(d for d in base.docids if d not in s["manifest"].read_text())
    lo, hi = min(base.scores), max(base.scores)
    expected = (base.scores[base.docids.index(missing)] - lo) / (hi - lo)
    assert reranked.scores[reranked.docids.index(missing)] == pytest.approx(expected, abs=1e-6)


def test_evaluate_and_ab_on_the_reranked_run(broken_search: dict[str, Path]) -> None:
    s = broken_search
    out = s["folder"] / "alpha05.run"
    _rerank(s, out, "--alpha", "0.5")
    result = _cli("evaluate", str(out), "--qrels", str(s["qrels"]), "--per-topic", "--root", str(s["root"]))
    assert set(result["per_topic"]["AP"]) == {"q01", "q02", "q03", "q04"}
    ab = _cli("ab", str(s["run"]), str(out), "--qrels", str(s["qrels"]), "--measures", "AP", "--root", str(s["root"]))
    [cmp] = ab["comparisons"]
    assert cmp["metric"] == "map" and cmp["wins"] + cmp["ties"] + cmp["losses"] == 4
    assert cmp["ci_low"] <= cmp["mean_delta"] <= cmp["ci_high"]
    tracker = Project.open(s["root"]).tracker
    assert tracker.runs("ab") and all(r["tags"]["reeltag.encoder_weights"] == "random" for r in tracker.runs("rerank"))


def test_malformed_run_is_a_clear_error(broken_search: dict[str, Path], tmp_path: Path) -> None:
    bad = tmp_path / "bad.run"
    bad.write_text("q01 Q0 s0001 1 0.5 base\nq01 Q0 s0002 two 0.4 base\n")
    result = CliRunner().invoke(app, ["evaluate", str(bad), "--qrels", str(broken_search["qrels"])])
    assert result.exit_code == 2
    assert "bad.run:2" in result.output and "rank 'two'" in result.output
