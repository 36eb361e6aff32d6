"""The inferred measures on the real TRECVID 2021 AVS sampled qrels: `reeltag evaluate` on perfect, random and
reversed runs, and reeltag against NIST's own ``sample_eval.pl`` per topic on six deterministic runs.

The script may not be redistributed, so it is not in the repository: set ``REELTAG_SAMPLE_EVAL`` to its path
(the TRECVID AVS version, ``$maxResultSize = 1000``); the comparison skips with the reason when it is unset or
absent, or when perl is missing.
"""

import json
import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from reeltag.cli import app
from reeltag.rerank.formats import Qrels, Ranking, Run, read_qrels, write_run
from reeltag.rerank.inferred import PRECISION_RANKS
from reeltag.rerank.metrics import Evaluation, evaluate

pytestmark = [pytest.mark.integration, pytest.mark.realdata]

INFERRED = ("xinfAP", "infNDCG", *(f"iP@{k}" for k in PRECISION_RANKS))
SCRIPT_NAMES = {"xinfAP": "infAP", "infNDCG": "infNDCG", **{f"iP@{k}": f"iP{k}" for k in PRECISION_RANKS}}


@pytest.fixture(scope="module")
def qrels_path(real_data: Path) -> Path:
    return real_data / "trecvid-avs" / "qrels" / "avs.qrels.main.tv21"


@pytest.fixture(scope="module")
def qrels(qrels_path: Path) -> Qrels:
    return read_qrels(qrels_path)


@pytest.fixture
def sample_eval() -> Path:
    """NIST's script from ``REELTAG_SAMPLE_EVAL``; skip with the reason when it cannot be run."""
    path = os.environ.get("REELTAG_SAMPLE_EVAL")
    if not path or not Path(path).is_file():
        pytest.skip(f"NIST sample_eval.pl not found (REELTAG_SAMPLE_EVAL={path!r}); set it to the script's path")
    if shutil.which("perl") is None:
        pytest.skip("perl is not installed")
    return Path(path)


def _judged(docs: dict[str, int], keep) -> list[str]:
    return sorted(d for d, r in docs.items() if keep(r))


def _mix(docs: dict[str, int], others: list[str], p: float, seed: str, length: int = 1000) -> list[str]:
    """``length`` shots, each a judged relevant one with probability ``p``, else any other shot (judged
    non-relevant, unjudged or outside this topic's pool), drawn without repetition."""
    rng = random.Random(f"{seed}-{p}")
    relevant = _judged(docs, lambda r: r > 0)
    rest = sorted(set(_judged(docs, lambda r: r <= 0) + others))
    out = []
    while len(out) < length:
        pick = relevant if relevant and rng.random() < p else rest
        out.append(pick.pop(rng.randrange(len(pick))))
    return out


def _runs(qrels: Qrels) -> dict[str, dict[str, list[str]]]:
    """Deterministic runs on every topic; the perfect and reversed ones are longer than 1,000 shots."""
    judgments = qrels.judgments
    pooled = sorted({d for docs in judgments.values() for d in docs})
    others = {q: random.Random(q).sample([d for d in pooled if d not in docs], 500) for q, docs in judgments.items()}
    perfect = {q: _judged(docs, lambda r: r > 0) + _judged(docs, lambda r: r == 0) for q, docs in judgments.items()}
    half = {q: _mix(docs, others[q], 0.5, q) for q, docs in judgments.items()}
    return {
        "perfect": perfect,
        "mix_p0.5": half,
        "mix_p0.2": {q: _mix(docs, others[q], 0.2, q) for q, docs in judgments.items()},
        "random": {q: random.Random(q).sample(pooled, 1000) for q in judgments},
        "reversed": {q: docs[::-1] for q, docs in perfect.items()},
        "short_250": {q: docs[:250] for q, docs in half.items()},
    }


def _as_run(order: dict[str, list[str]]) -> Run:
    """Strictly decreasing scores, so sample_eval's score sort gives reeltag's order (no ties to break)."""
    return Run({q: Ranking(q, tuple(d), tuple(float(len(d) - i) for i in range(len(d)))) for q, d in order.items()}, "test")


def _script_values(script: Path, qrels_path: Path, run_path: Path) -> dict[tuple[str, str], float]:
    out = subprocess.run(
        ["perl", str(script), "-q", str(qrels_path), str(run_path)], capture_output=True, text=True, check=True, timeout=300
    ).stdout
    return {(m, t): float(v) for m, t, v in (line.split() for line in out.splitlines())}


def _differences(ours: Evaluation, nist: dict[tuple[str, str], float], measure: str) -> dict[str, float]:
    """|reeltag − sample_eval| of every topic and of the mean ("all")."""
    script_name = SCRIPT_NAMES[measure]
    diffs = {q: abs(v - nist[(script_name, q)]) for q, v in ours.per_topic[measure].items()}
    return diffs | {"all": abs(ours.mean[measure] - nist[(script_name, "all")])}


def _table_row(name: str, ours: Evaluation, nist: dict[tuple[str, str], float]) -> str:
    pairs = [(ours.mean[m], nist[(SCRIPT_NAMES[m], "all")]) for m in ("xinfAP", "infNDCG", "iP@10", "iP@1000")]
    return f"| {name} | " + " | ".join(f"{a:.4f} / {b:.4f}" for a, b in pairs) + " |"


def test_every_inferred_measure_equals_sample_eval_per_topic_and_in_the_mean(
    sample_eval: Path, qrels_path: Path, qrels: Qrels, tmp_path: Path
) -> None:
    worst, rows = 0.0, []
    for name, order in _runs(qrels).items():
        run = _as_run(order)
        nist = _script_values(sample_eval, qrels_path, write_run(tmp_path / f"{name}.run", run))
        ours = evaluate(run, qrels, INFERRED)
        assert len(ours.topics) == 20 and not ours.missing_in_run
        for measure in INFERRED:
            diffs = _differences(ours, nist, measure)
            assert max(diffs.values()) <= 1e-4, (name, measure, {q: d for q, d in diffs.items() if d > 1e-4})
            worst = max(worst, *diffs.values())
        rows.append(_table_row(name, ours, nist))
    print("\n| run (20 topics) | mean infAP reeltag / NIST | infNDCG | iP@10 | iP@1000 |", *rows, sep="\n")
    print(f"largest |reeltag - sample_eval| over 6 runs x 20 topics (and means) x {len(INFERRED)} measures: {worst:.2e}")


def _evaluate_cli(tmp_root: Path, run: Path, qrels: Path, *extra: str) -> Result:
    args = ["evaluate", str(run), "--qrels", str(qrels), "--measures", "xinfAP,infNDCG,AP", "--root", str(tmp_root)]
    result = CliRunner().invoke(app, [*args, *extra])
    assert result.exit_code == 0, result.output
    return result


def test_evaluate_orders_perfect_random_and_reversed_runs(qrels_path: Path, qrels: Qrels, tmp_root: Path, tmp_path: Path) -> None:
    assert sorted(qrels.judgments) == [str(1661 + i) for i in range(20)]  # tv21 topic 661..680 prefixed with 1
    runs = {
        name: write_run(tmp_path / f"{name}.run", _as_run(order))
        for name, order in _runs(qrels).items()
        if name in ("perfect", "random", "reversed")
    }
    scores = {name: json.loads(_evaluate_cli(tmp_root, path, qrels_path, "--json").stdout) for name, path in runs.items()}
    assert all(s["sampled"] and s["topics"] == 20 for s in scores.values())
    xinf = {name: s["mean"]["xinfAP"] for name, s in scores.items()}
    ndcg = {name: s["mean"]["infNDCG"] for name, s in scores.items()}
    assert xinf["perfect"] > 1.0 and ndcg["perfect"] > 0.5  # infAP of the perfect run exceeds 1 (R > 1,000 scaling)
    assert xinf["perfect"] > 3 * xinf["random"] and xinf["random"] >= xinf["reversed"]
    assert ndcg["perfect"] > 3 * ndcg["random"] and ndcg["random"] >= ndcg["reversed"]
    printed = _evaluate_cli(tmp_root, runs["perfect"], qrels_path).stdout
    assert "xinfAP" in printed and "infNDCG" in printed
