"""Issue 25 (findings 2, 5, 13, 17): served flow runs stay in the served project, a champion that failed to load
is retried, a registry error is not "no champion", and an API without a catalogue says so."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from loopback import LOCAL

from flows import server
from reeltag.errors import BadInput
from reeltag.project import Project
from reeltag.rerank.model import RerankerParams

pytestmark = pytest.mark.robustness

ENCODER_ID = "fake-encoder@0"


class FakeEncoder:
    """What the service needs of an encoder, without torch."""

    model_id, embed_dim, weights_kind = ENCODER_ID, 4, "random"

    def encode_texts(self, texts: list[str]) -> np.ndarray:
        return np.ones((len(texts), self.embed_dim), dtype=np.float32) / 2.0


def _params(alpha: float = 0.5) -> RerankerParams:
    return RerankerParams(
        alpha=alpha,
        normalisation="minmax",
        pooling="max",
        top_m=3,
        depth=10,
        encoder_model_id=ENCODER_ID,
        encoder_weights="random",
    )


# --- finding 2: served flow runs ------------------------------------------------------------------------------


@pytest.fixture
def planted(tmp_path: Path) -> Path:
    """Another project on the machine whose reeltag.toml points the registry at a new database and widens the
    artifact roots to '/'."""
    other = tmp_path / "other"
    other.mkdir()
    (other / "reeltag.toml").write_text(
        f'[tracking]\nuri = "sqlite:///{other}/planted.db"\nartifact_roots = ["/"]\n', encoding="utf-8"
    )
    return other


@pytest.mark.parametrize("flow", ["ab-online", "tune-tag2vec"])
def test_served_runs_of_every_flow_take_only_the_served_root(
    tmp_root: Path, planted: Path, monkeypatch: pytest.MonkeyPatch, tried, flow: str
) -> None:
    from flows import ab_online, tune_tag2vec

    tried.bad_input("flows", f"served {flow} run with root= another project")
    monkeypatch.setattr(tune_tag2vec, "tune_task", lambda project: project)  # the step itself is not under test
    monkeypatch.setenv(server.SERVED_ROOT, str(tmp_root))
    run = {
        "ab-online": lambda: ab_online.summarise_task.fn(str(planted), None, None),
        "tune-tag2vec": lambda: tune_tag2vec.tune_tag2vec.fn(root=str(planted)),
    }
    with pytest.raises(BadInput, match="is not the served project"):
        run[flow]()
    assert sorted(p.name for p in planted.iterdir()) == ["reeltag.toml"]  # no planted.db, no mlruns


@pytest.mark.parametrize(
    ("field", "value"),
    [("executor", "dask"), ("dask_address", "tcp://203.0.113.9:8786"), ("dask_workers", 1024)],
)
def test_served_runs_cannot_choose_where_extraction_runs(
    tmp_root: Path, monkeypatch: pytest.MonkeyPatch, tried, field: str, value: Any
) -> None:
    from flows._common import project_for
    from reeltag.config import VideoSection

    tried.bad_input("flows", f"served run sets video.{field}")
    given = VideoSection.model_validate({field: value})
    assert getattr(project_for(str(tmp_root), video=given).settings.video, field) == value  # `flows run`: the user's own
    monkeypatch.setenv(server.SERVED_ROOT, str(tmp_root))
    with pytest.raises(BadInput, match=f"video.{field} cannot be set in a served run"):
        project_for(str(tmp_root), video=given)


def test_served_runs_may_repeat_the_executor_the_project_names(tmp_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from flows._common import project_for
    from reeltag.config import VideoSection

    (tmp_root / "reeltag.toml").write_text(
        '[video]\nexecutor = "dask"\ndask_address = "tcp://127.0.0.1:8786"\ndask_workers = 4\n', encoding="utf-8"
    )
    monkeypatch.setenv(server.SERVED_ROOT, str(tmp_root))
    same = VideoSection.model_validate({"executor": "dask", "dask_address": "tcp://127.0.0.1:8786", "dask_workers": 4})
    assert project_for(str(tmp_root), video=same).settings.video.dask_workers == 4
    with pytest.raises(BadInput, match="video.dask_workers cannot be set"):
        project_for(str(tmp_root), video=VideoSection.model_validate({"dask_workers": 64}))


# --- finding 5: a failed champion load is retried ---------------------------------------------------------------


class FlakyRegistry:
    """Champion versions and reranker loads the test controls: ``failing`` versions raise when loaded."""

    def __init__(self) -> None:
        self.reranker: str | None = "1"
        self.failing: set[str] = set()
        self.loads: list[str] = []

    def versions(self, project: Project) -> dict[str, str | None]:
        return {"tag2vec": None, "mapper": None, "reranker": self.reranker, "fusion": None}

    def load_reranker(self, project: Project, version: str) -> RerankerParams:
        self.loads.append(version)
        if version in self.failing:
            raise FileNotFoundError(f"artifact folder of reranker v{version} briefly missing")
        return _params(alpha=float(version) / 10)


@pytest.fixture
def flaky(monkeypatch: pytest.MonkeyPatch) -> FlakyRegistry:
    from reeltag.api import loaders

    registry = FlakyRegistry()
    monkeypatch.setattr(loaders, "champion_versions", registry.versions)
    monkeypatch.setattr(loaders, "load_reranker", registry.load_reranker)
    return registry


def _wait_for(condition: Any, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)


def test_a_champion_that_failed_to_load_is_retried_and_not_ready_meanwhile(tmp_root: Path, flaky: FlakyRegistry, tried) -> None:
    from reeltag.api.app import create_app
    from reeltag.api.service import Service

    tried.fault("champion artifacts briefly missing while the alias moves")
    service = Service.start(Project.open(tmp_root, api={"reload_s": 0.05, "retry_max_s": 0.2}), encoder=FakeEncoder())
    with TestClient(create_app(service, watch=True), base_url=LOCAL) as client:
        assert client.get("/readyz").json()["rerank"] is True and service.champions.reranker.version == "1"
        flaky.failing, flaky.reranker = {"2"}, "2"
        _wait_for(lambda: flaky.loads.count("2") >= 2)
        ready = client.get("/readyz")
        assert ready.status_code == 503, ready.json()  # v2 is named, v1 still serves: not ready
        assert ready.json()["pending"]["reranker"]["named"] == "2" and ready.json()["pending"]["reranker"]["serving"] == "1"
        metrics = client.get("/metrics").text
        assert 'reeltag_api_champion_pending{model="reranker"} 1.0' in metrics
        assert flaky.loads.count("2") >= 2  # retried, not recorded once and given up
        flaky.failing = set()
        _wait_for(lambda: service.champions.reranker.version == "2")
        assert service.champions.reranker.version == "2"
        assert client.get("/readyz").status_code == 200 and not client.get("/readyz").json()["pending"]
        assert 'reeltag_api_champion_pending{model="reranker"} 0.0' in client.get("/metrics").text


def test_retries_back_off_up_to_the_setting(tmp_root: Path, flaky: FlakyRegistry) -> None:
    from reeltag.api.service import Service

    clock = [1000.0]
    service = Service.start(Project.open(tmp_root, api={"reload_s": 5.0, "retry_max_s": 30.0}), encoder=FakeEncoder())
    service.retry.clock = lambda: clock[0]
    flaky.failing, flaky.reranker = {"2"}, "2"
    attempts = []
    for _ in range(40):  # the watcher's checks, one each api.reload_s
        clock[0] += 5.0
        before = flaky.loads.count("2")
        service.refresh()
        attempts.append(flaky.loads.count("2") > before)
    gaps = np.diff([i for i, tried_now in enumerate(attempts) if tried_now]) * 5.0
    assert list(gaps[:4]) == [5.0, 10.0, 20.0, 30.0] and set(gaps[4:]) == {30.0}


# --- finding 13: registry errors are not "no champion" ----------------------------------------------------------


def test_a_registry_error_is_raised_as_such_and_a_missing_alias_is_none(
    project: Project, monkeypatch: pytest.MonkeyPatch, tried
) -> None:
    from mlflow.exceptions import MlflowException
    from mlflow.protos.databricks_pb2 import TEMPORARILY_UNAVAILABLE

    from reeltag.errors import RegistryUnavailable

    tried.fault("registry database locked during a champion look-up")
    assert project.tracker.by_alias("reranker", "champion") is None  # no such model yet: no champion

    def locked(name: str, alias: str) -> None:
        raise MlflowException("(sqlite3.OperationalError) database is locked", TEMPORARILY_UNAVAILABLE)

    monkeypatch.setattr(project.tracker.client, "get_model_version_by_alias", locked)
    with pytest.raises(RegistryUnavailable, match="database is locked"):
        project.tracker.by_alias("reranker", "champion")


def test_the_api_on_a_root_without_a_tracking_store_says_so_and_creates_none(tmp_root: Path, tried) -> None:
    from reeltag.api.app import create_app
    from reeltag.api.service import Service

    tried.fault("API started on a root whose tracking store is missing")
    service = Service.start(Project.open(tmp_root), encoder=FakeEncoder())
    assert not (tmp_root / "mlruns").exists()
    with TestClient(create_app(service, watch=False), base_url=LOCAL) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert "no tracking store" in ready.json()["errors"]["registry"]
        assert "no tracking store" in client.get("/v1/models").json()["errors"]["registry"]
        assert "reeltag_api_registry_errors_total 1.0" in client.get("/metrics").text
    assert not (tmp_root / "mlruns").exists()


def test_an_unreadable_registry_is_named_in_readyz_not_reported_as_no_champion(tmp_root: Path, tried) -> None:
    from reeltag.api.app import create_app
    from reeltag.api.service import Service

    tried.fault("tracking store is not a database")
    (tmp_root / "mlruns").mkdir()
    (tmp_root / "mlruns" / "mlflow.db").write_bytes(b"this is not a sqlite database" * 100)
    service = Service.start(Project.open(tmp_root), encoder=FakeEncoder())
    with TestClient(create_app(service, watch=False), base_url=LOCAL) as client:
        errors = client.get("/readyz").json()["errors"]
    assert "registry" in errors and "not a database" in errors["registry"]
    assert not any("no champion" in why for why in errors.values())


# --- finding 17: a search API without a catalogue says so -------------------------------------------------------


def test_the_demo_toml_names_its_catalogue_and_video_root(tmp_path: Path) -> None:
    from reeltag.demo.steps import write_demo_toml

    write_demo_toml(tmp_path, "tiny", quick=True)
    api = Project.open(tmp_path).settings.api
    assert api.catalogue == tmp_path / "inputs" / "search" / "manifest.csv"
    assert api.video_root == tmp_path / "inputs" / "videos"


def test_a_rerank_api_without_a_catalogue_says_so(
    tmp_root: Path, flaky: FlakyRegistry, caplog: pytest.LogCaptureFixture, tried
) -> None:
    from reeltag.api.app import create_app
    from reeltag.api.service import Service

    tried.bad_input("api", "started without api.catalogue")
    with caplog.at_level("WARNING", logger="reeltag.api"):
        service = Service.start(Project.open(tmp_root), encoder=FakeEncoder())
    assert any("api.catalogue" in r.getMessage() for r in caplog.records)
    with TestClient(create_app(service, watch=False), base_url=LOCAL) as client:
        assert "api.catalogue" in client.get("/readyz").json()["errors"]["catalogue"]
        models = client.get("/v1/models").json()
        assert "api.catalogue" in models["errors"]["catalogue"] and models["catalogue"]["configured"] is False
