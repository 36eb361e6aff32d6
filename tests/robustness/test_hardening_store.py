"""Hardening (issue 13, findings 1, 2, 11 and 14): the corpus store under hostile lines, overlapping ingests and
validations, a regenerated export, and ``reeltag corpus repair`` on a store already damaged."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import reeltag
from reeltag import quarantine
from reeltag.cli import app
from reeltag.corpus import steps as corpus
from reeltag.corpus import store
from reeltag.corpus.steps import ingest_posts, validate_corpus
from reeltag.project import Project

pytestmark = pytest.mark.robustness

# A child process: say it is ready, wait for the go file (so both ingests start together), ingest, print the summary.
INGEST_CHILD = """
import json, sys, time
from dataclasses import asdict
from pathlib import Path
from reeltag.corpus.steps import ingest_posts
from reeltag.project import Project
root, posts, go = sys.argv[1:4]
project = Project.open(root, corpus={"part_rows": 150}, tracking={"enabled": False})
Path(posts + ".ready").touch()
while not Path(go).exists():
    time.sleep(0.005)
print(json.dumps(asdict(ingest_posts(project, [Path(posts)]))))
"""


def _posts(path: Path, ids: range, filler: str = "") -> Path:
    rows = ({"id": f"p{i}", "created_at": "2026-01-01T00:00:00Z", "text": f"post {i} {filler}#cat #dog{i % 40}"} for i in ids)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _rows(project: Project) -> list[dict]:
    return store.read_table(project.paths.corpus, ["id", "seq"]).to_pylist()


def _mark(project: Project, path: Path) -> store.Watermark:
    return store.load_watermarks(project.paths.corpus)[path.stem][str(path.resolve())]


def _child_env() -> dict[str, str]:
    src = str(Path(reeltag.__file__).resolve().parents[1])
    return {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}


def test_a_deeply_nested_post_line_is_quarantined_and_ingestion_goes_on(project: Project, tmp_path: Path, tried) -> None:
    tried.bad_input("corpus", "deeply nested or over-long-integer JSON line")
    good = [json.dumps({"id": f"g{i}", "text": f"#cat #dog{i}"}) for i in range(3)]
    path = tmp_path / "posts.jsonl"
    path.write_text("\n".join([good[0], "[" * 90_000, good[1], "1" * 5_000, good[2]]) + "\n", encoding="utf-8")
    summary = ingest_posts(project, [path])
    reasons = [r["reason"] for r in quarantine.read(project.paths.quarantine, "posts")]
    assert summary.added == 3 and summary.quarantined == 2 and reasons[0] == "invalid JSON: nested too deeply"
    assert _mark(project, path).offset == path.stat().st_size  # the watermark moved past both lines
    assert ingest_posts(project, [path]).lines_read == 0


def test_two_ingests_at_once_store_each_post_once_with_unique_seqs(project: Project, tmp_path: Path, tried) -> None:
    """Two real processes ingest overlapping files (1,500 shared ids) at the same moment."""
    tried.fault("two ingests of overlapping files at once")
    first, second = _posts(tmp_path / "first.jsonl", range(3000)), _posts(tmp_path / "second.jsonl", range(1500, 4500))
    go = tmp_path / "go"
    children = [
        subprocess.Popen(
            [sys.executable, "-c", INGEST_CHILD, str(project.paths.root), str(f), str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_child_env(),
        )
        for f in (first, second)
    ]
    deadline = time.monotonic() + 120
    while not all(Path(f"{f}.ready").exists() for f in (first, second)) and time.monotonic() < deadline:
        time.sleep(0.05)
    go.touch()
    outputs = [child.communicate(timeout=300) for child in children]
    assert all(child.returncode == 0 for child in children), [err[-2000:] for _, err in outputs]
    added = [json.loads(out.splitlines()[-1])["added"] for out, _ in outputs]
    rows = _rows(project)
    assert sorted(added) == [1500, 3000] and len(rows) == 4500
    assert len({r["id"] for r in rows}) == 4500 and sorted(r["seq"] for r in rows) == list(range(4500))
    assert _mark(project, first).offset == first.stat().st_size and _mark(project, second).offset == second.stat().st_size


def _damage(project: Project, lost: Path) -> None:
    """What overlapping ingests left before the lock: a part repeating stored rows and seqs, a watermark gone."""
    folder = project.paths.corpus
    pq.write_table(store.read_table(folder).slice(100, 400), folder / "posts-0000000100-damaged0.parquet")
    marks = store.load_watermarks(folder)
    del marks[lost.stem]
    store.save_watermarks(folder, marks)


def test_corpus_repair_mends_a_damaged_store(tmp_root: Path, tmp_path: Path, tried) -> None:
    tried.fault("corpus store with duplicate ids and seqs and a lost watermark")
    project = Project.open(tmp_root, corpus={"part_rows": 300}, tracking={"enabled": False})
    first, second = _posts(tmp_path / "first.jsonl", range(600)), _posts(tmp_path / "second.jsonl", range(600, 900))
    ingest_posts(project, [first, second])
    _damage(project, second)
    with open(second, "a", encoding="utf-8") as fh:  # the export grew since: the rebuilt mark must stop before it
        fh.write(json.dumps({"id": "late", "text": "#late #cat"}) + "\n")
    outcome = CliRunner().invoke(
        app,
        ["corpus", "repair", str(second), "--root", str(tmp_root), "--json"],
        env={"REELTAG_TRACKING__ENABLED": "false", "REELTAG_CORPUS__PART_ROWS": "300"},
    )
    assert outcome.exit_code == 0, outcome.output
    result = json.loads(outcome.stdout)
    assert result["duplicates_by_id"] == 400 and result["total_posts"] == 900 and result["renumbered"]
    rows = _rows(project)
    assert len({r["id"] for r in rows}) == 900 and [r["seq"] for r in rows] == list(range(900))
    assert ingest_posts(project, [first]).lines_read == 0  # the kept watermark still holds
    again = ingest_posts(project, [second])
    assert (again.lines_read, again.added, again.duplicates_by_id) == (1, 1, 0)  # only the late line is read
    validate_corpus(project)  # a store with duplicate ids fails the critical uniqueness contract (exit 3)


def test_resume_notices_a_post_inserted_after_the_first_mib(project: Project, tmp_path: Path, tried) -> None:
    tried.bad_input("corpus", "regenerated export changed after its first MiB")
    filler = "lorem ipsum " * 200  # ~2.4 kB a line: 600 posts pass the first MiB
    path = _posts(tmp_path / "export.jsonl", range(600), filler)
    assert path.stat().st_size > 1.2 * (1 << 20)
    ingest_posts(project, [path])
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    inserted = json.dumps({"id": "inserted", "text": "#inserted #cat"}) + "\n"
    path.write_text("".join(lines[:500] + [inserted] + lines[500:]) + json.dumps({"id": "new", "text": "#new #x"}) + "\n")
    again = ingest_posts(project, [path])
    ids = {r["id"] for r in _rows(project)}
    assert {"inserted", "new"} <= ids and again.quarantined == 0 and len(ids) == 602


def _spammy_posts(path: Path) -> Path:
    """Posts over the posts contract's 30-tag bound (ingested with max_tags_per_post = 40): row-level failures."""
    tags = " ".join(f"#tag{chr(97 + i // 26)}{chr(97 + i % 26)}" for i in range(35))
    rows = [{"id": f"ok{i}", "text": f"#cat #dog{i} #bird{i}"} for i in range(20)] + [
        {"id": f"spam{i}", "text": f"{i} {tags}"} for i in range(3)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_two_validations_at_once_quarantine_each_failing_row_once(tmp_root: Path, tmp_path: Path, monkeypatch, tried) -> None:
    """Both runs are held at the point where they look up what is already quarantined, as long as the other
    run can reach it too (5 s): without the store lock both find nothing and both record the rows."""
    tried.fault("two validations at once")
    project = Project.open(tmp_root, corpus={"max_tags_per_post": 40}, tracking={"enabled": False})
    ingest_posts(project, [_spammy_posts(tmp_path / "posts.jsonl")])
    meet, read = threading.Barrier(2, timeout=5), quarantine.read

    def read_together(folder: Path, kind: str | None = None) -> list[dict]:
        try:
            meet.wait()
        except threading.BrokenBarrierError:
            pass
        return read(folder, kind)

    monkeypatch.setattr(corpus.quarantine, "read", read_together)
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: validate_corpus(project), range(2)))
    items = [r["item"] for r in read(project.paths.quarantine, "contract-posts")]
    assert sorted(items) == ["spam0", "spam1", "spam2"] and results[0].ok and results[1].ok
