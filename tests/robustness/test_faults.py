"""Faults: SIGKILL of a training and of a registration in progress, two writers on one MLflow store, a full
disk. After each: the champion is unchanged (or validly moved), the store is intact, and a re-run completes.

The commands run as real ``reeltag`` processes (killed with ``kill -9``) on one project that already holds a
Tag2Vec champion trained on the tiny demo corpus.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from robust_helpers import cli_env as _env  # noqa: I001 (tests/robustness helper)
from robust_helpers import reeltag_cmd, train_first_tag2vec

from reeltag.corpus import store
from reeltag.io import sha256_file
from reeltag.project import Project

pytestmark = [pytest.mark.robustness, pytest.mark.integration]

TOML = '[tag2vec]\nepochs = 3\nworkers = 1\n\n[tracking]\ntrigger = "test"\n'


@dataclass(frozen=True)
class Registry:
    champion: str | None
    versions: tuple[str, ...]


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory, demo_tiny: Path) -> Path:
    """A project root with ingested, validated posts and a Tag2Vec champion (v1)."""
    return train_first_tag2vec(tmp_path_factory.mktemp("faults"), TOML, demo_tiny / "corpus" / "posts.jsonl")


def _registry(root: Path) -> Registry:
    tracker = Project.open(root).tracker
    champion = tracker.by_alias("tag2vec", "champion")
    return Registry(champion.version if champion else None, tuple(v.version for v in tracker.versions("tag2vec")))


def _store_intact(root: Path) -> None:
    with sqlite3.connect(root / "mlruns" / "mlflow.db") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def _wait_for(condition: Callable[[], object], proc: subprocess.Popen, timeout_s: float = 180.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert proc.poll() is None, f"the process ended (rc {proc.returncode}) before the point where it should be killed"
        assert time.monotonic() < deadline, "timed out waiting for the process"
        time.sleep(0.05)


def _kill(proc: subprocess.Popen) -> None:
    assert proc.poll() is None
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(30) == -signal.SIGKILL


def _rerun_completes(root: Path, before: Registry) -> None:
    """The same step again, in-process: it registers the next version and leaves a loadable champion."""
    from reeltag.tag2vec.steps import fetch_space, train_tag2vec

    project = Project.open(root)
    result = train_tag2vec(project)
    assert int(result.version) == int(max(before.versions, key=int)) + 1
    assert fetch_space(project).version == result.champion_after


@pytest.mark.slow
def test_sigkill_during_training_leaves_the_champion_and_a_rerun_completes(trained: Path, tmp_path: Path, tried) -> None:
    """Killed once gensim is training: with ``corpus_file`` on, the sentences file appears in the job's temp
    folder just before training starts, and 1000 epochs then take seconds more."""
    tried.fault("SIGKILL of a training process")
    before = _registry(trained)
    env = _env(REELTAG_TAG2VEC__EPOCHS="1000", REELTAG_TAG2VEC__CORPUS_FILE="true", TMPDIR=str(tmp_path))
    proc = subprocess.Popen(
        reeltag_cmd("tag2vec", "train", "--root", str(trained)), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _wait_for(lambda: list(tmp_path.glob("reeltag-tag2vec-*/sentences.txt")), proc)
    time.sleep(0.3)
    _kill(proc)
    assert _registry(trained) == before
    _store_intact(trained)
    _rerun_completes(trained, before)


KILL_AT_CHAMPION = """
import pathlib, sys, time
from mlflow.tracking import MlflowClient

real, marker = MlflowClient.set_registered_model_alias, pathlib.Path(sys.argv[2])

def stalled(self, name, alias, version):
    if alias == "champion":  # promote() has moved 'rollback' already; hold here until killed
        marker.write_text(str(version))
        time.sleep(600)
    return real(self, name, alias, version)

MlflowClient.set_registered_model_alias = stalled
from reeltag.cli import app
sys.argv = ["reeltag", "tag2vec", "train", "--root", sys.argv[1]]
app()
"""


@pytest.mark.slow
def test_sigkill_during_registration_leaves_the_champion_and_a_rerun_completes(trained: Path, tmp_path: Path, tried) -> None:
    """The gate is forced to GO (tolerance 1.0); the process is killed inside ``promote`` after the new
    version is registered and ``rollback`` moved, just before ``champion`` moves."""
    tried.fault("SIGKILL of a registration in progress")
    before = _registry(trained)
    marker = tmp_path / "at-champion"
    proc = subprocess.Popen(
        [sys.executable, "-c", KILL_AT_CHAMPION, str(trained), str(marker)],
        env=_env(REELTAG_GATES__TOLERANCE="1.0"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _wait_for(marker.is_file, proc)
    _kill(proc)
    after = _registry(trained)
    assert after.champion == before.champion
    assert after.versions == (*before.versions, marker.read_text())  # registered, never made champion
    _store_intact(trained)
    _rerun_completes(trained, after)


LOG_ONE_RUN = """
import sys
from reeltag.project import Project

project = Project.open(sys.argv[1], tracking={"trigger": "test"})
with project.tracker.run("ab", project.settings, tags={"writer": sys.argv[2]}) as run:
    project.tracker.log_metrics(run.run_id, {"all/ap": 0.5})
print(run.run_id)
"""


def test_two_processes_creating_one_mlflow_store_both_record_their_runs(tmp_root: Path, tried) -> None:
    """Two processes log a run at once to a project without a store yet: both create the sqlite schema, the
    experiment and a run (before the fix, one crashed in MLflow's schema migration)."""
    tried.fault("two processes writing one new MLflow store at once")
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", LOG_ONE_RUN, str(tmp_root), str(n)],
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(2)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err[-2000:] for _, err in outs]
    ids = {out.strip().splitlines()[-1] for out, _ in outs}
    runs = Project.open(tmp_root).tracker.runs("ab")
    assert len(ids) == 2 and {r["run_id"] for r in runs} == ids and all(r["status"] == "FINISHED" for r in runs)
    _store_intact(tmp_root)


@pytest.mark.slow
def test_two_trainings_at_once_both_register_and_the_store_stays_intact(trained: Path, tried) -> None:
    tried.fault("two trainings registering in one MLflow store at once")
    before = _registry(trained)
    cmd = reeltag_cmd("tag2vec", "train", "--root", str(trained), "--json")
    procs = [subprocess.Popen(cmd, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err[-2000:] for _, err in outs]
    versions = sorted(json.loads(out)["version"] for out, _ in outs)
    after = _registry(trained)
    newest = int(max(before.versions, key=int))
    assert versions == [str(newest + 1), str(newest + 2)] and after.versions == (*before.versions, *versions)
    assert after.champion in after.versions
    _store_intact(trained)


def test_sigkill_during_ingest_loses_and_doubles_no_post(tmp_root: Path, tmp_path: Path, tried) -> None:
    """Killed after a few of 25 Parquet parts are written: the re-run stores every post exactly once."""
    from reeltag.corpus.steps import ingest_posts

    tried.fault("SIGKILL of an ingest between parts")
    posts = tmp_path / "many.jsonl"
    posts.write_text(
        "".join(json.dumps({"id": f"p{i}", "text": f"post {i} #tag{i % 97} #tag{i % 89}x"}) + "\n" for i in range(50_000)),
        encoding="utf-8",
    )
    proc = subprocess.Popen(
        reeltag_cmd("ingest", str(posts), "--root", str(tmp_root)),
        env=_env(REELTAG_CORPUS__PART_ROWS="2000"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _wait_for(lambda: len(store.parts(tmp_root / "data" / "corpus")) >= 3, proc)
    _kill(proc)
    project = Project.open(tmp_root, corpus={"part_rows": 2000}, tracking={"enabled": False})
    again = ingest_posts(project, [posts])
    ids = store.read_table(project.paths.corpus, ["id"]).column("id").to_pylist()
    assert len(ids) == len(set(ids)) == 50_000 == again.total_posts  # a temp file cut by the kill is never read


FULL_DISK = """
import os, resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead of killing us
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
os.execv(sys.argv[2], sys.argv[2:])
"""


def _ingest_on_a_full_disk(root: Path, posts: Path, limit_bytes: int) -> None:
    """``reeltag ingest`` in a process whose files cannot grow past ``limit_bytes``: a clear error, exit 2."""
    cmd = [sys.executable, "-c", FULL_DISK, str(limit_bytes), *reeltag_cmd("ingest", str(posts), "--root", str(root))]
    got = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=300)
    assert got.returncode == 2 and "File too large" in got.stderr + got.stdout and "Traceback" not in got.stderr


def _files(folder: Path) -> dict[str, str]:
    return {p.name: sha256_file(p) for p in sorted(folder.iterdir())}


def test_full_disk_is_a_clear_error_and_leaves_no_partial_file(demo_tiny: Path, tmp_root: Path, tmp_path: Path, tried) -> None:
    """Disk full, simulated honestly for root too (root ignores chmod 0o555): the ingest process gets a
    file-size limit (RLIMIT_FSIZE, SIGXFSZ ignored), so the kernel fails its writes part-way with EFBIG, as a
    full disk fails them with ENOSPC. First the Parquet part cannot be written, then (all rows bad, no part)
    the quarantine append: the store and the quarantine must be as before, with no temp file or torn line."""
    tried.fault("disk full while writing the corpus store")
    tried.fault("disk full while appending to the quarantine")
    from reeltag import quarantine
    from reeltag.corpus.steps import ingest_posts

    project = Project.open(tmp_root, tracking={"enabled": False})
    ingest_posts(project, [demo_tiny / "corpus" / "posts.jsonl"])
    before = _files(project.paths.corpus), _files(project.paths.quarantine)
    new_posts = demo_tiny / "corpus" / "posts_new.jsonl"
    _ingest_on_a_full_disk(tmp_root, new_posts, 4096)
    bad_rows = tmp_path / "bad.jsonl"
    bad_rows.write_text("".join(json.dumps({"id": f"b{i}", "text": i}) + "\n" for i in range(50)), encoding="utf-8")
    size = (project.paths.quarantine / "posts.jsonl").stat().st_size
    _ingest_on_a_full_disk(tmp_root, bad_rows, size + 500)
    assert (_files(project.paths.corpus), _files(project.paths.quarantine)) == before
    again = ingest_posts(project, [new_posts, bad_rows])
    assert again.added > 0 and len(store.read_table(project.paths.corpus)) == again.total_posts
    assert sum(r["item"].startswith(str(tmp_path)) for r in quarantine.read(project.paths.quarantine, "posts")) == 50
