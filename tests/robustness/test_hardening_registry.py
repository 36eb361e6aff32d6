"""Issue 13, findings 3-5: model files trusted by provenance, local copies that cannot go stale, and promotion as
compare-and-swap. Each test reproduces the finding (it failed before the fix) and checks what must happen instead.

The Tag2Vec cases run the real ``reeltag`` CLI on a copy of one project that holds a champion trained on the
tiny demo corpus; the registry cases use :func:`reeltag.registry.policy.register_and_gate` on dummy models.
"""

from __future__ import annotations

import json
import pickle
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from robust_helpers import cli_env as _env  # noqa: I001 (tests/robustness helper)
from robust_helpers import reeltag_cmd, train_first_tag2vec

from reeltag.io import place_dir
from reeltag.project import Project
from reeltag.registry.gates import GO, NO_GO, Decision
from reeltag.registry.policy import (
    Candidate,
    GateOutcome,
    native_copy,
    register_and_gate,
)
from reeltag.tracking.integrity import IntegrityError

pytestmark = [pytest.mark.robustness, pytest.mark.integration]

TOML = '[tag2vec]\nvector_size = 2\nepochs = 1\nsample = 0.0\nworkers = 1\nmin_count = 2\n\n[tracking]\ntrigger = "test"\n'
MEDIOCRE_ENV = {"REELTAG_TAG2VEC__VECTOR_SIZE": "4", "REELTAG_TAG2VEC__EPOCHS": "3"}
BETTER_ENV = {"REELTAG_TAG2VEC__VECTOR_SIZE": "16", "REELTAG_TAG2VEC__EPOCHS": "50"}


@pytest.fixture(scope="module")
def trained_once(tmp_path_factory: pytest.TempPathFactory, demo_tiny: Path) -> Path:
    """Ingested, validated demo posts and a weak Tag2Vec champion (v1); tests work on copies."""
    return train_first_tag2vec(tmp_path_factory.mktemp("hardening"), TOML, demo_tiny / "corpus" / "posts.jsonl")


@pytest.fixture
def trained(trained_once: Path, tmp_path: Path) -> Path:
    """A copy of the trained project, its store's artifact locations moved along (as a relocation would)."""
    root = Path(shutil.copytree(trained_once, tmp_path / "root"))
    old, new = (trained_once / "mlruns").as_uri(), (root / "mlruns").as_uri()
    with sqlite3.connect(root / "mlruns" / "mlflow.db") as db:
        db.execute("UPDATE runs SET artifact_uri = replace(artifact_uri, ?, ?)", (old, new))
        db.execute("UPDATE experiments SET artifact_location = replace(artifact_location, ?, ?)", (old, new))
    return root


def _reeltag(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(reeltag_cmd(*args), env=env or _env(), capture_output=True, text=True, timeout=300)


def _champion_run_artifacts(root: Path) -> Path:
    project = Project.open(root)
    info = project.tracker.by_alias("tag2vec", "champion")
    uri = project.tracker.client.get_run(info.run_id).info.artifact_uri
    return Path(uri.removeprefix("file://"))


class _Touch:
    """A pickle that creates a file when it is loaded: what a planted model file could do instead."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):  # noqa: ANN204
        return (Path.touch, (self.marker,))


# --- finding 3: sha256 of every native file, verified before loading -----------------------------------------


def test_swapped_model_bytes_in_the_artifact_store_are_refused_before_unpickling(
    trained: Path, tmp_path: Path, demo_tiny: Path, tried
) -> None:
    """Before: the incremental training downloaded the replaced ``word2vec.model`` and unpickled it."""
    tried.bad_input("registry", "model file in the artifact store replaced after registration")
    from reeltag.corpus.steps import ingest_posts, validate_corpus

    project = Project.open(trained)
    ingest_posts(project, [demo_tiny / "corpus" / "posts_new.jsonl"])  # newer posts: the incremental run loads the model
    validate_corpus(project)
    marker = tmp_path / "pwned"
    model_file = _champion_run_artifacts(trained) / "native" / "tag2vec" / "word2vec.model"
    model_file.write_bytes(pickle.dumps(_Touch(marker)))
    shutil.rmtree(trained / "data" / "models", ignore_errors=True)  # no local copy: it must come from the (tampered) store
    got = _reeltag("tag2vec", "train", "--incremental", "--root", str(trained))
    assert got.returncode == 2 and "sha256" in got.stdout + got.stderr and "Traceback" not in got.stderr
    assert not marker.exists()


def test_a_changed_local_copy_is_fetched_again_from_the_store(trained: Path, tried) -> None:
    tried.bad_input("registry", "local model copy changed on disk")
    from reeltag.tag2vec.steps import fetch_space

    project = Project.open(trained)
    space = fetch_space(project)
    copy = next((trained / "data" / "models" / "tag2vec").iterdir()) / "tag2vec" / "surface_forms.json"
    copy.write_text("{}", encoding="utf-8")
    again = fetch_space(project)
    assert again.tags == space.tags and json.loads(copy.read_text(encoding="utf-8")) != {}


def test_artifacts_outside_the_project_stores_are_refused_unless_configured(trained: Path, tmp_path: Path, tried) -> None:
    """The run's artifact location in ``mlflow.db`` is pointed at a foreign folder (a copied project whose
    source folder now holds other bytes): refused; trusted once listed in ``tracking.artifact_roots``."""
    tried.bad_input("registry", "artifact location outside the project's stores")
    from reeltag.tag2vec.steps import fetch_space

    tag = fetch_space(Project.open(trained)).tags[0]
    foreign = tmp_path / "foreign"
    shutil.copytree(_champion_run_artifacts(trained), foreign / "run")
    with sqlite3.connect(trained / "mlruns" / "mlflow.db") as db:
        db.execute("UPDATE runs SET artifact_uri = ?", ((foreign / "run").as_uri(),))
    shutil.rmtree(trained / "data" / "models", ignore_errors=True)
    got = _reeltag("tag2vec", "neighbors", tag, "--root", str(trained))
    assert got.returncode == 2 and "outside this project's stores" in got.stdout + got.stderr
    allowed = _reeltag(
        "tag2vec",
        "neighbors",
        tag,
        "--root",
        str(trained),
        "--json",
        env=_env(REELTAG_TRACKING__ARTIFACT_ROOTS=json.dumps([str(foreign)])),
    )
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr[-2000:]
    assert json.loads(allowed.stdout)["tag"] == tag


# --- finding 4: local copies keyed by run id; place_dir does not swallow a failed rename ----------------------


SPACE_DIMS = """
import sys
from reeltag.tag2vec.steps import fetch_space
from reeltag.project import Project
print(fetch_space(Project.open(sys.argv[1])).vectors.shape[1])
"""


def test_after_a_store_reset_the_new_v1_is_not_served_from_the_old_copy(trained: Path, tried) -> None:
    """Before: copies were ``data/models/tag2vec/v1``, so the new v1 (16 dimensions) was read from the old copy
    (2 dimensions)."""
    tried.bad_input("registry", "store reset: a new v1 beside an old local copy")
    from reeltag.tag2vec.steps import fetch_space

    assert fetch_space(Project.open(trained)).vectors.shape[1] == 2  # the old copy is in place
    shutil.rmtree(trained / "mlruns")  # (new processes below: mlflow caches an open store per URI)
    again = _reeltag("tag2vec", "train", "--root", str(trained), "--json", env=_env(REELTAG_TAG2VEC__VECTOR_SIZE="16"))
    assert again.returncode == 0 and json.loads(again.stdout)["version"] == "1", again.stderr[-2000:]
    dims = subprocess.run(
        [sys.executable, "-c", SPACE_DIMS, str(trained)], env=_env(), capture_output=True, text=True, timeout=300
    )
    assert dims.stdout.split() == ["16"], dims.stderr[-2000:]


def test_place_dir_raises_when_the_rename_fails_and_the_existing_copy_is_not_good(tmp_path: Path, tried) -> None:
    tried.fault("rename of a fetched model copy onto an existing folder fails")
    target = tmp_path / "copy"
    (target / "old").mkdir(parents=True)

    def fill(tmp: Path) -> Path:
        (tmp / "new").mkdir()
        (tmp / "new" / "f").write_text("x")
        return tmp / "new"

    with pytest.raises(OSError):
        place_dir(target, fill)
    with pytest.raises(OSError):
        place_dir(target, fill, keep_existing=lambda found: False)
    assert place_dir(target, fill, keep_existing=lambda found: (found / "old").is_dir()) == target


# --- finding 5: promotion as compare-and-swap -------------------------------------------------------------


def _candidate(project: Project, tmp_path: Path, n: int) -> Candidate:
    weights = tmp_path / f"w{n}.txt"
    weights.write_text(f"dummy {n}\n")
    with project.tracker.run("demo", project.settings) as run:
        logged = project.tracker.log_model(run.run_id, {"w": weights}, loader="reeltag.none:load")
    return Candidate(model="dummy", run=run, logged=logged, tags={})


def _decision(verdict: str) -> GateOutcome:
    return GateOutcome(decision=Decision(verdict == GO, (f"test says {verdict}",), verdict))


def test_a_manual_promotion_during_the_gate_is_not_undone(project: Project, tmp_path: Path, tried) -> None:
    """Staff promote v1 by hand while v2 is being gated against 'no champion': v2 is gated again against v1
    (NO-GO) and not promoted; before, v2's promotion silently replaced the manual choice."""
    tried.fault("manual promote between a training's gate and its promotion")
    first = register_and_gate(project, _candidate(project, tmp_path, 1), lambda info: _decision(NO_GO), None)
    assert first.champion is None and not first.promoted
    seen = []

    def gate(info):  # noqa: ANN001, ANN202
        seen.append(info.version if info else None)
        if len(seen) == 1:
            project.tracker.promote("dummy", "1")  # the manual `reeltag promote` lands now
            return _decision(GO)
        return _decision(NO_GO)

    found = register_and_gate(project, _candidate(project, tmp_path, 2), gate, None)
    assert seen == [None, "1"]
    assert (found.promoted, found.champion, found.compared_with, found.regates) == (False, "1", "1", 1)
    assert "champion moved to v1" in found.refusal
    assert project.tracker.by_alias("dummy", "champion").version == "1"
    run = project.tracker.run_data(found.run_id)
    assert run["tags"]["reeltag.compared_with"] == "1" and run["tags"]["reeltag.promotion_refused"]


def test_a_champion_that_moved_is_replaced_only_when_the_regate_says_go(project: Project, tmp_path: Path, tried) -> None:
    tried.fault("another training promoted between this one's gate and its promotion")
    register_and_gate(project, _candidate(project, tmp_path, 1), lambda info: _decision(GO), None)
    calls = []

    def gate(info):  # noqa: ANN001, ANN202
        calls.append(info.version if info else None)
        if len(calls) == 1:
            register_and_gate(project, _candidate(project, tmp_path, 3), lambda i: _decision(GO), info)  # v2 lands
        return _decision(GO)

    found = register_and_gate(project, _candidate(project, tmp_path, 2), gate, project.tracker.by_alias("dummy", "champion"))
    assert calls == ["1", "2"] and found.version == "3"
    assert (found.promoted, found.champion, found.rollback) == (True, "3", "2")


def test_changed_artifacts_of_a_dummy_version_are_refused(project: Project, tmp_path: Path, tried) -> None:
    tried.bad_input("registry", "native file changed in the store (any model)")
    found = register_and_gate(project, _candidate(project, tmp_path, 1), lambda info: _decision(GO), None)
    info = project.tracker.version("dummy", found.version)
    assert (native_copy(project, info) / "w1.txt").read_text() == "dummy 1\n"
    shutil.rmtree(project.paths.models)
    uri = project.tracker.client.get_run(info.run_id).info.artifact_uri
    (Path(uri.removeprefix("file://")) / "native" / "w1.txt").write_text("evil\n")
    with pytest.raises(IntegrityError, match="sha256"):
        native_copy(project, info)


PAUSE_AT_PROMOTE = """
import pathlib, sys, time
from reeltag.tracking.store import Tracker

real, gated, go_on = Tracker.promote, pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])

def paused(self, *args, **kwargs):
    if not gated.exists():  # the gate has decided against the champion it read; wait for the other training
        gated.write_text("1")
        deadline = time.monotonic() + 240
        while not go_on.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    return real(self, *args, **kwargs)

Tracker.promote = paused
from reeltag.cli import app
sys.argv = ["reeltag", "tag2vec", "train", "--root", sys.argv[1], "--json"]
app()
"""


def _version_run(root: Path, version: str) -> dict:
    tracker = Project.open(root).tracker
    return tracker.run_data(tracker.version("tag2vec", version).run_id)


@pytest.mark.slow
def test_two_trainings_with_promotion_at_once_leave_the_better_champion(trained: Path, tmp_path: Path, tried) -> None:
    """A mediocre training gates against v1 and is held just before promoting while a better one trains, gates
    and promotes; then the mediocre one goes on. Before: it promoted anyway (the last to finish won). Now its
    compare-and-swap fails, it is gated again against the better one, and the champion is the better of the two
    (or unchanged)."""
    tried.fault("two trainings with promotion at once")
    gated, go_on = tmp_path / "gated", tmp_path / "go-on"
    slow = subprocess.Popen(
        [sys.executable, "-c", PAUSE_AT_PROMOTE, str(trained), str(gated), str(go_on)],
        env=_env(**MEDIOCRE_ENV),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 240
        while not gated.exists():
            assert slow.poll() is None and time.monotonic() < deadline, slow.stderr.read()[-2000:] if slow.poll() else "timeout"
            time.sleep(0.05)
        fast = _reeltag("tag2vec", "train", "--root", str(trained), "--json", env=_env(**BETTER_ENV))
        assert fast.returncode == 0, fast.stderr[-2000:]
    finally:
        go_on.write_text("1")
    out, err = slow.communicate(timeout=300)
    assert slow.returncode == 0, err[-2000:]
    mediocre, better = json.loads(out), json.loads(fast.stdout)
    champion = Project.open(trained).tracker.by_alias("tag2vec", "champion").version
    assert champion in ("1", mediocre["version"], better["version"])
    if champion == "1":
        return  # unchanged: allowed
    winner, loser = (better, mediocre) if champion == better["version"] else (mediocre, better)
    won, lost = _version_run(trained, winner["version"])["tags"], _version_run(trained, loser["version"])["tags"]
    beaten_by_winner = lost["reeltag.compared_with"] == winner["version"] and lost["reeltag.decision"] != GO
    beat_loser = won["reeltag.compared_with"] == loser["version"] and won["reeltag.decision"] == GO
    assert beaten_by_winner or beat_loser
    assert mediocre["champion_before"] == better["version"]  # the held training was gated again
