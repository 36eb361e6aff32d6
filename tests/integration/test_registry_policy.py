"""The alias policy of the one registration-and-gate step, the same for all five models (table-driven).

champion = in use; challenger = newest version that passed its gate; rollback = previous champion; a version
that did not pass gets no alias and carries its decision as tags; a manual promote moves champion (old → rollback)
and leaves challenger.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reeltag.cli import app
from reeltag.project import Project
from reeltag.registry.gates import GO, NO_GO, NOT_ENOUGH, Decision
from reeltag.registry.policy import Candidate, GateOutcome, register_and_gate

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


def _register(project: Project, model: str, tmp_path: Path, n: int, verdict: str):
    native = tmp_path / f"{model}-{n}.txt"
    native.write_text(f"{model} {n}\n")
    with project.tracker.run("demo", project.settings) as run:
        logged = project.tracker.log_model(run.run_id, {"native": native}, loader="reeltag.none:load")
    outcome = GateOutcome(decision=Decision(verdict == GO, (f"planted {verdict}",), verdict))
    champion = project.tracker.by_alias(model, "champion")
    return register_and_gate(project, Candidate(model=model, run=run, logged=logged, tags={}), lambda info: outcome, champion)


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
            assert json.loads(got.stdout.strip().splitlines()[-1])["champion"] == "2"
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
