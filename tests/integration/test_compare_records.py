"""``reeltag compare`` reads the versions' ``result.json`` records (as the report does), not their metric names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reeltag.cli import app
from reeltag.project import Project
from reeltag.registry.gates import GO, NO_GO, Decision
from reeltag.registry.policy import Candidate, GateOutcome, register_and_gate
from reeltag.tracking.results import RESULT_FILE, SCHEMA

pytestmark = pytest.mark.integration


def _mapper_version(project: Project, tmp_path: Path, p_at_5: float, verdict: str) -> str:
    """A registered mapper version whose record says P@5 = ``p_at_5``; its run's MLflow metric says 0.99."""
    native = tmp_path / f"mapper-{p_at_5}.txt"
    native.write_text("weights\n")
    with project.tracker.run("mapper", project.settings) as run:
        logged = project.tracker.log_model(run.run_id, {"native": native}, loader="reeltag.none:load")
        project.tracker.log_metrics(run.run_id, {"test/mapper/p_at_5": 0.99})  # the UI's number, not the record's
    result = {"test": {"mapper": {"p_at_5": p_at_5}, "popularity": {"p_at_5": 0.1}}, "loss_scores": {"ranking": p_at_5}}
    record = {**result, "decision": verdict, "reasons": [f"planted {verdict}", "second reason"]}
    project.tracker.log_dict(run.run_id, {"schema": SCHEMA, "type": "MapperTrained", "result": record}, RESULT_FILE)
    outcome = GateOutcome(decision=Decision(verdict == GO, (f"planted {verdict}",), verdict))
    champion = project.tracker.by_alias("mapper", "champion")
    candidate = Candidate(model="mapper", run=run, logged=logged, tags={})
    return register_and_gate(project, candidate, lambda info: outcome, champion).version


def _compare(root: Path, *args: str) -> tuple[int, str]:
    """Exit code and stdout (stderr holds MLflow's download bars) of ``reeltag compare``."""
    got = CliRunner().invoke(app, ["compare", *args, "--root", str(root)])
    return got.exit_code, got.stdout if got.exit_code == 0 else got.output


def test_compare_shows_the_records_numbers_and_the_gates_decision(tmp_path: Path) -> None:
    project = Project.open(tmp_path / "root", tracking={"trigger": "test"})
    assert _mapper_version(project, tmp_path, 0.4, GO) == "1"
    assert _mapper_version(project, tmp_path, 0.3, NO_GO) == "2"
    code, output = _compare(project.paths.root, "mapper", "--json")
    assert code == 0, output
    compared = json.loads(output.strip().splitlines()[-1])
    assert (compared["champion"], compared["challenger"]) == ("1", "2")
    assert compared["metrics"]["test/mapper/p_at_5"] == {"champion": 0.4, "challenger": 0.3}
    assert compared["metrics"]["loss_scores/ranking"] == {"champion": 0.4, "challenger": 0.3}
    assert compared["challenger_decision"] == NO_GO
    assert compared["challenger_reasons"] == f"planted {NO_GO} | second reason"
    code, output = _compare(project.paths.root, "mapper", "--version", "1")
    assert code == 0 and "test/mapper/p_at_5" in output and "0.99" not in output, output


def test_compare_of_a_version_without_a_record_names_what_to_rerun(tmp_path: Path) -> None:
    project = Project.open(tmp_path / "root", tracking={"trigger": "test"})
    native = tmp_path / "old.txt"
    native.write_text("weights\n")
    with project.tracker.run("mapper", project.settings) as run:  # an older reeltag's run: no result.json
        logged = project.tracker.log_model(run.run_id, {"native": native}, loader="reeltag.none:load")
    outcome = GateOutcome(decision=Decision(False, ("old",), NO_GO))
    register_and_gate(project, Candidate(model="mapper", run=run, logged=logged, tags={}), lambda info: outcome, None)
    code, output = _compare(project.paths.root, "mapper")
    assert code != 0 and "reeltag.mapper v1" in output and RESULT_FILE in output, output
    code, output = _compare(project.paths.root, "mappr")
    assert code == 2 and "unknown model 'mappr'" in output, output


def test_every_layout_names_fields_of_the_result_its_model_logs() -> None:
    """A renamed result field would silently drop out of ``compare``: the layouts must match the dataclasses."""
    import dataclasses

    from reeltag.mapper.steps import MapperTrained
    from reeltag.registry.compare import LAYOUTS
    from reeltag.rerank.steps import TuneResult
    from reeltag.tag2vec.steps import TrainResult
    from reeltag.video.adapt_encoder import AdaptResult

    results = {cls.__name__: cls for cls in (TrainResult, MapperTrained, TuneResult, AdaptResult)}
    for model, layout in LAYOUTS.items():
        fields = {f.name for f in dataclasses.fields(results[layout.kind])}
        assert {*layout.sections, layout.decision, "reasons"} <= fields, model
