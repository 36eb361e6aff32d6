"""`reeltag deploy` / `reeltag worker` refuse in one line without a reachable Prefect server (PREFECT_API_URL)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from reeltag.cli import app


@pytest.mark.parametrize("command", [["deploy", "--pool", "p"], ["worker", "--pool", "p"]])
def test_refuses_without_prefect_api_url(command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))
    result = CliRunner().invoke(app, [*command, "--root", str(tmp_path)])
    assert result.exit_code == 2 and "PREFECT_API_URL is not set" in result.output


def test_refuses_a_server_that_does_not_answer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.server import free_port

    monkeypatch.setenv("PREFECT_API_URL", f"http://127.0.0.1:{free_port()}/api")
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))
    result = CliRunner().invoke(app, ["deploy", "--pool", "p", "--root", str(tmp_path)])
    assert result.exit_code == 2 and "no Prefect server answers" in result.output


def test_deploy_refuses_a_source_without_flows(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["deploy", "--pool", "p", "--source", str(tmp_path), "--root", str(tmp_path)])
    assert result.exit_code == 2 and "no flows/deployments.py there" in result.output
