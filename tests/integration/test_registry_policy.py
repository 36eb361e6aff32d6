"""The alias policy of the one registration-and-gate step, the same for all five models (table-driven).

champion = in use; challenger = newest version that passed its gate; rollback = previous champion; a version
that did not pass gets no alias and carries its decision as tags; a manual promote moves champion (old → rollback)
and leaves challenger.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reeltag.cli import app
from reeltag.project import Project
from reeltag.registry import history
from reeltag.registry.gates import GO, NO_GO, NOT_ENOUGH, Decision
from reeltag.registry.policy import Candidate, GateOutcome, register_and_gate, roll_back
from reeltag.registry.serving_set import promote_set

pytestmark = pytest.mark.integration

MODELS = ("tag2vec", "mapper", "reranker", "encoder", "fusion")
MANUAL = "manual promote of v2"
# step → (champion, challenger, rollback) after it; every step but the manual one registers the next version
POLICY = (
    (GO, ("1", "1", None)),
    (NO_GO, ("1", "1", None)),
    (NOT_ENOUGH, ("1", "1", None)),
    (GO, ("4", "4", "1")),
    (MANUAL, ("2", "4", "4")),
)


def _register(project: Project, model: str, tmp_path: Path, n: int, verdict: str, hold: str | None = None, tags=None):  # noqa: ANN001
    native = tmp_path / f"{model}-{n}.txt"
    native.write_text(f"{model} {n}\n")
    with project.tracker.run("demo", project.settings) as run:
        logged = project.tracker.log_model(run.run_id, {"native": native}, loader="reeltag.none:load")
    outcome = GateOutcome(decision=Decision(verdict == GO, (f"planted {verdict}",), verdict))
    champion = project.tracker.by_alias(model, "champion")
    if tags is None:
        tags = {"reeltag.model_id": f"reeltag-tiny@{n:064x}"} if model == "encoder" else {}  # what clip adapt records
    candidate = Candidate(model=model, run=run, logged=logged, tags=tags)
    return register_and_gate(project, candidate, lambda info: outcome, champion, hold)


def test_a_held_go_is_registered_with_its_decision_and_no_alias(tmp_path: Path) -> None:
    """A fusion fitted for a candidate encoder's mapper: GO at its gate, but it waits for its encoder's set."""
    project = Project.open(tmp_path / "root", tracking={"trigger": "test"})
    first = _register(project, "fusion", tmp_path, 1, GO)
    held = _register(project, "fusion", tmp_path, 2, GO, hold="fitted for mapper v2, not the champion")
    assert first.promoted and not held.promoted and held.refusal == "fitted for mapper v2, not the champion"
    assert _aliases(project, "fusion") == ("1", "1", None)
    assert project.tracker.version("fusion", "2").tags["reeltag.decision"] == GO
    refused = _register(project, "fusion", tmp_path, 3, NO_GO, hold="held")
    assert not refused.promoted and refused.refusal is None  # nothing to hold back: the gate said no


def _planted_set(project: Project, tmp_path: Path, encoder: str, verdicts: tuple[str, ...]) -> dict[str, list]:
    """A reranker, a mapper and fusions (one per verdict) made with encoder ``encoder`` (its model id is ``e<encoder>``)
    on Tag2Vec v1: what the upgrade-encoder flow registers, planted."""
    made_with = {"depends_on.encoder": f"e{encoder}", "depends_on.encoder_version": encoder}
    reranker = _register(project, "reranker", tmp_path, 10, GO, tags={"depends_on.clip": f"e{encoder}", **made_with})
    mapper = _register(project, "mapper", tmp_path, 11, GO, tags={"depends_on.tag2vec": "1", **made_with})
    fused = [{"depends_on.mapper": mapper.version, **made_with}] * len(verdicts)
    return {
        "reranker": [reranker],
        "mapper": [mapper],
        "fusion": [_register(project, "fusion", tmp_path, 12, v, tags=t) for v, t in zip(verdicts, fused)],
    }


def test_a_candidate_encoders_models_wait_and_move_with_its_set_both_ways(tmp_path: Path) -> None:
    project = Project.open(tmp_path / "root", tracking={"trigger": "test"})
    for n in (1, 2):
        _register(project, "encoder", tmp_path, n, NOT_ENOUGH, tags={"reeltag.model_id": f"e{n}"})
    _register(project, "tag2vec", tmp_path, 1, GO)
    first = _planted_set(project, tmp_path, "1", (GO,))  # no champion encoder yet: GO promotes as before
    assert all(r.promoted for found in first.values() for r in found)
    promote_set(project, "1", reason="test: the set in use", by="test")
    second = _planted_set(project, tmp_path, "2", (GO, NO_GO))  # the newest fusion lost to the mapper alone
    held = [r for found in second.values() for r in found if r.decision.go]
    assert held and all(not r.promoted and "moves with its set" in (r.refusal or "") for r in held)
    assert {m: _aliases(project, m)[0] for m in second} == {m: first[m][0].version for m in second}  # nothing moved alone
    up = promote_set(project, "2", reason="test: upgrade", by="test")
    want = {m: second[m][0].version for m in second}  # the fusion that passed its gate, not the newer NO-GO one
    assert up.moved == {m: (first[m][0].version, want[m]) for m in want} | {"encoder": ("1", "2")}
    back = promote_set(project, "1", reason="test: rollback", by="test")  # `reeltag promote encoder --version 1`
    assert back.moved == {m: (want[m], first[m][0].version) for m in want} | {"encoder": ("2", "1")}


def _aliases(project: Project, model: str) -> tuple[str | None, ...]:
    found = (project.tracker.by_alias(model, a) for a in ("champion", "challenger", "rollback"))
    return tuple(v.version if v else None for v in found)


@pytest.mark.parametrize("model", MODELS)
def test_alias_policy(model: str, tmp_path: Path) -> None:
    project = Project.open(tmp_path / "root", tracking={"trigger": "test"})
    registered = 0
    for step, expected in POLICY:
        if step == MANUAL:
            got = CliRunner().invoke(app, ["promote", model, "--version", "2", "--root", str(project.paths.root), "--json"])
            assert got.exit_code == 0, got.output
            moved = json.loads(got.stdout.strip().splitlines()[-1])
            assert (moved["encoder"] if model == "encoder" else moved["champion"]) == "2", moved  # encoder: its set
        else:
            registered += 1
            found = _register(project, model, tmp_path, registered, step)
            assert found.version == str(registered) and found.promoted == (step == GO)
            info = project.tracker.version(model, found.version)
            assert info.tags["reeltag.decision"] == step and info.tags["reeltag.decision_reasons"] == f"planted {step}"
            assert (info.aliases == ()) == (step != GO), (step, info.aliases)
        assert _aliases(project, model) == expected, (model, step)
    manual = project.tracker.version(model, "2")
    assert manual.tags["reeltag.manual_promotion"] == "true" and manual.tags["reeltag.decision"] == NO_GO


# (action, alias, previous, version) of every alias change, in order: GO v1, NO-GO v2 (none), GO v3, manual v2, rollback
HISTORY = (
    ("gate", "champion", None, "1"),
    ("gate", "challenger", None, "1"),
    ("gate", "rollback", None, "1"),
    ("gate", "champion", "1", "3"),
    ("gate", "challenger", "1", "3"),
    ("manual", "rollback", "1", "3"),
    ("manual", "champion", "3", "2"),
    ("rollback", "champion", "2", "3"),
    ("rollback", "rollback", "3", None),
)


def test_every_alias_move_is_in_the_history_in_order(tmp_path: Path) -> None:
    project = Project.open(tmp_path / "root", tracking={"trigger": "test"})
    for n, verdict in enumerate((GO, NO_GO, GO), 1):
        _register(project, "reranker", tmp_path, n, verdict)
    root = ["--root", str(project.paths.root), "--json"]
    promoted = CliRunner().invoke(app, ["promote", "reranker", "--version", "2", "--reason", "hotfix 42", *root])
    assert promoted.exit_code == 0, promoted.output
    why = history.Why(action="rollback", by="ab-online", reason="guardrail: success fell", run_id="r1")
    roll_back(project, "reranker", champion="2", why=why)
    assert _aliases(project, "reranker") == ("3", "3", None)

    listed = CliRunner().invoke(app, ["history", "reranker", *root])
    assert listed.exit_code == 0, listed.output
    moves = json.loads(listed.stdout.strip().splitlines()[-1])["moves"]
    assert [(m["action"], m["alias"], m["previous"], m["version"]) for m in moves] == list(HISTORY)
    assert [m["seq"] for m in moves] == sorted(m["seq"] for m in moves)
    assert moves[0]["by"].startswith("test: ") and moves[0]["run_id"] and moves[0]["reason"].startswith(GO)
    assert moves[5]["reason"] == "hotfix 42" and moves[-1]["reason"] == "guardrail: success fell"
    assert history.read_history(project, "mapper") == ()
    everything = CliRunner().invoke(app, ["history", *root])  # no MODEL: every model's moves, in order
    assert everything.exit_code == 0 and json.loads(everything.stdout.strip().splitlines()[-1])["moves"] == moves
    _check_the_serving_timeline(project, moves)


def _check_the_serving_timeline(project: Project, moves: list[dict]) -> None:
    """The report's serving timeline: each champion / challenger stretch, until the alias's next move (None: now)."""
    from reeltag.report.timeline import serving_timeline

    at = {m["seq"]: m["at"] for m in moves}
    timeline = serving_timeline(project, ("reranker", "mapper"))
    expected = [
        ("champion", "1", at[1], at[4], "gate"),
        ("challenger", "1", at[2], at[5], "gate"),
        ("champion", "3", at[4], at[7], "gate"),
        ("challenger", "3", at[5], None, "gate"),
        ("champion", "2", at[7], at[8], "manual"),
        ("champion", "3", at[8], None, "rollback"),
    ]
    assert [(t.alias, t.version, t.since, t.until, t.action) for t in timeline] == expected
    assert {t.model for t in timeline} == {"reranker"} and timeline[4].reason == "hotfix 42"


def test_the_history_refuses_updates_and_deletes(tmp_path: Path) -> None:
    project = Project.open(tmp_path / "root", tracking={"trigger": "test"})
    _register(project, "reranker", tmp_path, 1, GO)
    with sqlite3.connect(project.paths.alias_history) as con:
        for sql in ("UPDATE moves SET version = '9'", "DELETE FROM moves"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                con.execute(sql)
    assert len(history.read_history(project, "reranker")) == 2
