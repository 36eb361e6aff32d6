"""User mistakes on the flow commands give one clear line and a non-zero exit, not a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from reeltag.cli import app

pytestmark = pytest.mark.flow


@pytest.fixture
def run_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))
    runner = CliRunner()

    def run(*args: str):
        result = runner.invoke(app, [*args, "--root", str(tmp_path)])
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        return result

    return run


def test_demo_refuses_an_unknown_size(run_cli) -> None:
    result = run_cli("demo", "--size", "huge")
    assert result.exit_code == 2 and "--size 'huge'" in result.output and "tiny, small, full" in result.output


def test_serve_cron_without_equals_is_a_clear_error(run_cli) -> None:
    result = run_cli("serve", "--cron", "poc-report")
    assert result.exit_code == 2 and "expected NAME=EXPR" in result.output


def test_serve_cron_with_a_bad_expression_names_the_schedule(run_cli) -> None:
    result = run_cli("serve", "--cron", "poc-report=61 * * * *")
    assert result.exit_code == 2 and "poc_report" in result.output and "invalid cron expression" in result.output


def test_flows_run_names_an_unknown_parameter(run_cli) -> None:
    result = run_cli("flows", "run", "retrain-tag2vec", "--param", "foo=1")
    assert result.exit_code == 2 and "no parameter 'foo'" in result.output and "chain" in result.output


@pytest.mark.parametrize(
    ("param", "named"), [("chain=sometimes", "chain"), ("tag2vec.epochs=x", "tag2vec.epochs"), ("tag2vec.nope=1", "tag2vec.nope")]
)
def test_flows_run_names_an_invalid_parameter_value(run_cli, param: str, named: str) -> None:
    result = run_cli("flows", "run", "retrain-tag2vec", "--param", param)
    assert result.exit_code == 2 and "invalid --param" in result.output and named in result.output


def test_demo_instructions_use_the_venv_for_both_uis(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.cli import demo_instructions
    from reeltag.project import Project

    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))
    text = demo_instructions(Project.open(tmp_path), tmp_path / "data" / "logs" / "demo.log")
    assert ".venv/bin/mlflow ui" in text and ".venv/bin/prefect server" in text
    assert f"Logs:        {tmp_path / 'data' / 'logs' / 'demo.log'}" in text
