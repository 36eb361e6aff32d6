"""A local Prefect server (127.0.0.1, SQLite under the project root): find one, start one, stop it by its pid.

No Prefect import: the CLI uses it before Prefect's settings are loaded.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from reeltag.errors import ReeltagError
from reeltag.tracking.naming import TELEMETRY_OFF


@dataclass
class LocalServer:
    api_url: str
    process: subprocess.Popen | None  # None when an already running server was found

    def stop(self, timeout: float = 20.0) -> None:
        """Stop the server this object started (its own process group), politely first."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout)


def api_url(port: int, host: str = "127.0.0.1") -> str:
    return f"http://{host}:{port}/api"


def is_healthy(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=timeout) as reply:
            return reply.status == 200
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prefect_env(home: Path, url: str | None = None) -> dict[str, str]:
    """Environment for Prefect processes of one project: state in ``home`` (SQLite), telemetry off."""
    env = {**os.environ, **TELEMETRY_OFF, "PREFECT_HOME": str(home)}
    if url:
        env["PREFECT_API_URL"] = url
    return env


def ensure_server(home: Path, port: int = 4200, startup_s: float = 90.0) -> LocalServer:
    """The reachable server at 127.0.0.1:``port``, or a new one started with its state in ``home``."""
    url = api_url(port)
    if is_healthy(url):
        return LocalServer(url, None)
    home.mkdir(parents=True, exist_ok=True)
    log = open(home / "server.log", "ab")  # noqa: SIM115 (the child keeps writing to it)
    cmd = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(cmd, env=prefect_env(home), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    server = LocalServer(url, process)
    _wait_healthy(server, startup_s, home / "server.log")
    return server


def _wait_healthy(server: LocalServer, startup_s: float, log: Path) -> None:
    deadline = time.monotonic() + startup_s
    while time.monotonic() < deadline:
        if is_healthy(server.api_url):
            return
        if server.process is not None and server.process.poll() is not None:
            raise ReeltagError(f"Prefect server exited with {server.process.returncode}; see {log}")
        time.sleep(0.5)
    server.stop()
    raise ReeltagError(f"Prefect server not healthy after {startup_s:.0f} s; see {log}")
