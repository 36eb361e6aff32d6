"""Issue 13, finding 9: ``reeltag serve`` uses a Prefect server already on its port only when it is this project's
own (the listening process keeps its state in this project's PREFECT_HOME) and otherwise says whose it is; the
server it starts has CSRF protection on; served flow runs keep their path parameters under the project root."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from flows import server
from reeltag.errors import BadInput, ReeltagError

pytestmark = pytest.mark.robustness

FAKE_API = """
import http.server, sys
class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == "/api/health" else 404)
        self.end_headers()
        self.wfile.write(b"true")
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Health).serve_forever()
"""


@pytest.fixture
def healthy_api(tmp_path: Path) -> Iterator[tuple[int, Path, subprocess.Popen]]:
    """Something that answers /api/health on a free 127.0.0.1 port, started with PREFECT_HOME=<tmp>/theirs."""
    port, theirs = server.free_port(), tmp_path / "theirs"
    process = subprocess.Popen([sys.executable, "-c", FAKE_API, str(port)], env={**os.environ, "PREFECT_HOME": str(theirs)})
    try:
        deadline = time.monotonic() + 30
        while not server.is_healthy(server.api_url(port), timeout=0.5):
            assert process.poll() is None and time.monotonic() < deadline, "the fake API did not start"
            time.sleep(0.1)
        yield port, theirs, process
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_serve_refuses_another_projects_server_and_says_whose_it_is(healthy_api, tmp_path: Path, tried) -> None:
    tried.fault("another user's or project's Prefect server on the serve port")
    port, theirs, process = healthy_api
    with pytest.raises(ReeltagError, match=rf"not this project's \(pid {process.pid}, state in {theirs}") as caught:
        server.ensure_server(tmp_path / "ours", port, startup_s=5)
    assert "--port" in str(caught.value)
    assert not (tmp_path / "ours" / "server.log").exists()  # nothing was started


def test_serve_reuses_its_own_projects_server(healthy_api) -> None:
    port, theirs, _ = healthy_api
    found = server.ensure_server(theirs, port, startup_s=5)
    assert found.process is None and found.api_url == server.api_url(port)


def test_the_started_server_has_csrf_protection_under_prefects_own_setting_name(tmp_path: Path) -> None:
    env = server.server_env(tmp_path)
    probe = "from prefect.settings import get_current_settings; print(get_current_settings().server.api.csrf_protection_enabled)"
    got = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120, check=True)
    assert got.stdout.strip().splitlines()[-1] == "True"


def test_the_clients_get_the_servers_auth_string(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(server.SERVER_AUTH, "admin:s3cret")
    monkeypatch.delenv(server.CLIENT_AUTH, raising=False)
    assert server.LocalServer("http://127.0.0.1:1/api", None).client_env()[server.CLIENT_AUTH] == "admin:s3cret"


@pytest.mark.parametrize(
    ("kind", "params"),
    [
        ("root of another folder", {"root": "/tmp"}),
        ("out outside the root", {"out": "~/.bashrc"}),
        ("labels outside the root", {"labels": "/etc/hostname"}),
        ("relative path out of the root", {"search": "../elsewhere"}),
    ],
)
def test_served_flow_runs_keep_path_parameters_under_the_project_root(
    tmp_root: Path, monkeypatch: pytest.MonkeyPatch, tried, kind: str, params: dict
) -> None:
    """A flow run started through the API of ``reeltag serve`` (the served root is in its environment)."""
    from flows.poc_report import poc_report

    tried.bad_input("flows", f"deployment parameter: {kind}")
    monkeypatch.setenv(server.SERVED_ROOT, str(tmp_root))
    monkeypatch.chdir(tmp_root)
    with pytest.raises(BadInput, match="served project"):
        poc_report.fn(**{"root": str(tmp_root), **params})


def test_paths_inside_the_served_root_and_cli_runs_pass(tmp_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from flows._common import project_for

    project_for(str(tmp_root), paths={"out": "/etc/passwd"})  # not served: `flows run` takes the user's own paths
    monkeypatch.setenv(server.SERVED_ROOT, str(tmp_root))
    project_for(str(tmp_root), paths={"files": [str(tmp_root / "data" / "inbox" / "a.jsonl")], "out": None})


@pytest.mark.parametrize(
    ("kind", "sections", "match"),
    [
        ("tracking.uri set", {"tracking": {"uri": "sqlite:////tmp/elsewhere.db"}}, "tracking.uri cannot be set"),
        ("tracking.artifact_roots widened", {"tracking": {"artifact_roots": ["/"]}}, "artifact_roots cannot be set"),
        ("clip.weights outside the root", {"clip": {"weights": "/etc/hostname"}}, "clip.weights='/etc/hostname' lies outside"),
        ("clip.weights relative out of it", {"clip": {"weights": "../other/ckpt.pt"}}, "lies outside"),
    ],
)
def test_served_runs_cannot_point_sections_at_other_stores_or_checkpoints(
    tmp_root: Path, monkeypatch: pytest.MonkeyPatch, tried, kind: str, sections: dict, match: str
) -> None:
    from flows._common import project_for
    from reeltag.config import ClipSection, TrackingSection

    tried.bad_input("flows", f"deployment section parameter: {kind}")
    models = {"tracking": TrackingSection, "clip": ClipSection}
    given = {name: models[name](**fields) for name, fields in sections.items()}
    project_for(str(tmp_root), **given)  # `flows run` from the CLI: the user's own settings
    monkeypatch.setenv(server.SERVED_ROOT, str(tmp_root))
    with pytest.raises(BadInput, match=match):
        project_for(str(tmp_root), **given)


def test_served_adapt_run_reads_its_starting_checkpoint_only_from_under_the_root(
    tmp_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows._common import project_for
    from flows.adapt_encoder import adapt_encoder
    from reeltag.config import ClipSection

    monkeypatch.setenv(server.SERVED_ROOT, str(tmp_root))
    with pytest.raises(BadInput, match="from_='/etc/hostname' lies outside"):
        adapt_encoder.fn(root=str(tmp_root), pairs=str(tmp_root / "pairs.jsonl"), from_="/etc/hostname")
    (tmp_root / "models").mkdir(exist_ok=True)
    (tmp_root / "models" / "ckpt.pt").write_bytes(b"")
    weights = {"from_": "models/ckpt.pt", "other": str(tmp_root / "models" / "ckpt.pt"), "tag": "random"}
    project_for(str(tmp_root), weights=weights)
    project_for(str(tmp_root), clip=ClipSection(weights="models/ckpt.pt"))
