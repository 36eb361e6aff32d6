"""``tag2vec train`` offering the learned ranker: chosen on validation posts, saved beside the Tag2Vec files, served
by the pyfunc, named by ``tag2vec evaluate`` with the same held-out figures as the training run's."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from reeltag.cli import app
from reeltag.project import Project
from reeltag.tag2vec.pyfunc import load_recommender
from reeltag.tag2vec.steps import fetch_folder

pytestmark = pytest.mark.integration
TOPICS = [[f"t{k}x{j}" for j in range(6)] for k in range(8)]


def _posts(path: Path, n: int = 600) -> Path:
    rng = np.random.default_rng(3)
    rows = []
    for i in range(n):
        topic = TOPICS[i % len(TOPICS)]
        tags = [topic[j] for j in sorted(rng.choice(len(topic), size=3, replace=False))]
        rows.append({"id": str(i), "created_at": f"2026-02-{1 + i % 28:02d}T00:00:00Z", "hashtags": tags})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _cli(root: Path, *args: str) -> dict:
    result = CliRunner().invoke(app, [*args, "--root", str(root), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_offered_ranker_is_served_and_named_by_evaluate(tmp_root: Path) -> None:
    toml = (
        '[tag2vec]\nvector_size = 8\nepochs = 5\nmin_count = 2\noffered = ["ranker_tags"]\n'
        '[tag_ranker]\nfolds = 2\nmax_iter = 20\n[tracking]\ntrigger = "test"\n'
    )
    (tmp_root / "reeltag.toml").write_text(toml, encoding="utf-8")
    _cli(tmp_root, "ingest", str(_posts(tmp_root / "posts.jsonl")))
    _cli(tmp_root, "validate")
    trained = _cli(tmp_root, "tag2vec", "train")["evaluation"]
    assert trained["recommender"] == "ranker_tags" and set(trained["val"]) == {"ranker_tags"}, trained
    evaluated = _cli(tmp_root, "tag2vec", "evaluate")
    assert evaluated["recommender"] == "ranker_tags" and evaluated["val"] == trained["val"]
    assert evaluated["methods"]["ranker_tags"] == trained["methods"]["ranker_tags"]
    folder, info = fetch_folder(Project.open(tmp_root))
    assert (folder / "ranker.pkl").is_file()
    served = load_recommender(folder, info.version)
    suggested = served.suggest(["#t0x0", "t0x1"])
    assert served.method == "ranker_tags" and suggested[:4] and set(suggested[:4]) <= set(TOPICS[0]), suggested
