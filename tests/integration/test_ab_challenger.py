"""The ``challenger`` variant of an online experiment: /v1/rerank serves the registry's ``challenger`` alias reranker
to the users assigned to it, and an experiment naming a challenger the registry lacks refuses to start (never the
champion in its place)."""

from __future__ import annotations

from pathlib import Path

import pytest
from api_helpers import register_reranker_version
from fastapi.testclient import TestClient
from loopback import LOCAL
from test_api import search_requests
from typer.testing import CliRunner

from reeltag.api.app import create_app
from reeltag.api.service import Service
from reeltag.cli import app
from reeltag.errors import NotFound
from reeltag.project import Project
from reeltag.tracking.naming import TELEMETRY_OFF

pytestmark = pytest.mark.integration
VARIANTS = {"engine": 50, "challenger": 50}


@pytest.fixture(scope="module")
def challenger(served_project):
    """A reranker version with alpha 0.9 (the champion's params otherwise) under the ``challenger`` alias."""
    project = Project.open(served_project.root)
    before = project.tracker.by_alias("reranker", "challenger")
    version = register_reranker_version(project, alpha=0.9)
    project.tracker.set_alias("reranker", "challenger", version)
    yield version
    if before is not None:
        project.tracker.set_alias("reranker", "challenger", before.version)


def _reordered_by_alpha_09(client: TestClient, served_project) -> tuple[dict, list[str]]:
    """A demo topic whose ranking at alpha 0.9 is not the engine's order, and that ranking."""
    for body in search_requests(served_project.demo).values():
        results = client.post("/v1/rerank", json={**body, "alpha": 0.9}).json()["results"]
        if any(r["rank"] != r["engine_rank"] for r in results):
            return body, [r["docid"] for r in results]
    raise AssertionError("alpha 0.9 keeps the engine's order on every demo topic")


def test_users_assigned_the_challenger_get_its_ranking(served_project, challenger) -> None:
    project = Project.open(served_project.root, ab={"online": {"name": "ch-split", "variants": VARIANTS}})
    with TestClient(create_app(Service.start(project), watch=False), base_url=LOCAL) as client:
        assert client.get("/v1/models").json()["serving"]["challenger"] == challenger
        body, same_alpha = _reordered_by_alpha_09(client, served_project)
        answers = [client.post("/v1/rerank", json={**body, "user": f"u{i}"}).json() for i in range(24)]
    seen = {a["experiment"]["variant"] for a in answers}
    assert seen == {"engine", "challenger"}, seen
    for a in answers:
        docids = [r["docid"] for r in a["results"]]
        if a["experiment"]["variant"] == "challenger":
            assert a["model"]["version"] == challenger and a["model"]["alpha"] == 0.9 and docids == same_alpha
        else:
            assert [r["engine_rank"] for r in a["results"]] == list(range(1, len(docids) + 1))


def test_an_experiment_naming_a_missing_challenger_refuses_to_start(served_project, tmp_path: Path) -> None:
    clip = "".join(f'{key} = "{value}"\n' for key, value in served_project.clip.items())
    (tmp_path / "reeltag.toml").write_text(f'[clip]\n{clip}\n[tracking]\ntrigger = "test"\n', encoding="utf-8")
    project = Project.open(tmp_path, ab={"online": {"name": "ch-missing", "variants": VARIANTS}})
    with pytest.raises(NotFound, match="no `challenger` alias"):
        create_app(Service.start(project), watch=False)
    env = {
        **TELEMETRY_OFF,
        "REELTAG_AB__ONLINE__NAME": "ch-missing",
        "REELTAG_AB__ONLINE__VARIANTS": '{"engine": 1, "challenger": 1}',
    }
    outcome = CliRunner().invoke(app, ["api", "--root", str(tmp_path), "--port", "1"], env=env)
    assert outcome.exit_code == 2 and "no `challenger` alias" in outcome.output, outcome.output[-2000:]
