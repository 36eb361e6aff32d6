"""`reeltag evaluate` on the real TRECVID 2021 AVS sampled qrels: xinfAP of perfect, random and reversed runs."""

import json
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reeltag.cli import app
from reeltag.rerank.formats import Ranking, Run, read_qrels, write_run

pytestmark = [pytest.mark.integration, pytest.mark.realdata]


def _write(path: Path, order: dict[str, list[str]]) -> Path:
    rankings = {q: Ranking(q, tuple(d), tuple(float(len(d) - i) for i in range(len(d)))) for q, d in order.items()}
    return write_run(path, Run(rankings, "test"))


def _evaluate(tmp_root: Path, run: Path, qrels: Path) -> dict:
    args = ["evaluate", str(run), "--qrels", str(qrels), "--measures", "xinfAP,AP", "--json", "--root", str(tmp_root)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_xinfap_orders_perfect_random_and_reversed_runs(real_data: Path, tmp_root: Path, tmp_path: Path) -> None:
    qrels_path = real_data / "trecvid-avs" / "qrels" / "avs.qrels.main.tv21"
    judgments = read_qrels(qrels_path).judgments
    assert sorted(judgments) == [str(1661 + i) for i in range(20)]  # tv21 topic 661..680 prefixed with 1
    best_first = {q: sorted(docs, key=lambda d: (-docs[d], d)) for q, docs in judgments.items()}
    runs = {
        "perfect": best_first,
        "random": {q: random.Random(q).sample(sorted(docs), len(docs)) for q, docs in judgments.items()},
        "reversed": {q: docs[::-1] for q, docs in best_first.items()},
    }
    scores = {name: _evaluate(tmp_root, _write(tmp_path / f"{name}.run", order), qrels_path) for name, order in runs.items()}
    xinf = {name: s["mean"]["xinfAP"] for name, s in scores.items()}
    assert all(s["sampled"] and s["topics"] == 20 for s in scores.values())
    assert xinf["perfect"] == pytest.approx(1.0, abs=1e-3)
    assert xinf["perfect"] > 3 * xinf["random"]
    assert xinf["random"] >= xinf["reversed"]
    assert 0.0 < xinf["reversed"] < 0.5
