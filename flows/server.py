"""A local Prefect server (127.0.0.1, SQLite under the project root): find one, start one, stop it by its pid.

A healthy server already on the port is used only when it is this project's own: the process listening there
(found in ``/proc``) has this project's ``PREFECT_HOME``; otherwise serving refuses and says whose it is (its pid
and state folder) instead of sending flow runs to another user's or another project's API. The server started
here has Prefect's CSRF protection on; set ``PREFECT_SERVER_API_AUTH_STRING`` (``user:password``) to require
basic auth as well (the clients of ``serve`` then send it as ``PREFECT_API_AUTH_STRING``).

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

CSRF = "PREFECT_SERVER_API_CSRF_PROTECTION_ENABLED"  # Prefect 3.8's name (prefect.settings.models.server.api)
SERVER_AUTH, CLIENT_AUTH = "PREFECT_SERVER_API_AUTH_STRING", "PREFECT_API_AUTH_STRING"
SERVED_ROOT = "REELTAG_SERVED_ROOT"  # set by `reeltag serve` for the flow runs it starts (flows._common.project_for checks them)


@dataclass
class LocalServer:
    api_url: str
    process: subprocess.Popen | None  # None when an already running server was found

    def client_env(self) -> dict[str, str]:
        """What the clients of this server need: its URL, and its basic-auth string when it has one."""
        auth = os.environ.get(CLIENT_AUTH) or os.environ.get(SERVER_AUTH)
        return {"PREFECT_API_URL": self.api_url, **({CLIENT_AUTH: auth} if auth else {})}

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


def server_env(home: Path) -> dict[str, str]:
    """The started server's environment: the project's state, telemetry off, CSRF protection on (unless the
    caller's environment turns it off explicitly)."""
    return {**prefect_env(home), CSRF: os.environ.get(CSRF, "true")}


def ensure_server(home: Path, port: int = 4200, startup_s: float = 90.0) -> LocalServer:
    """This project's server at 127.0.0.1:``port``, or a new one started with its state in ``home``; a healthy
    server of someone else's on the port is refused (:class:`ReeltagError` saying whose it is)."""
    url = api_url(port)
    if is_healthy(url):
        check_own_server(home, port)
        return LocalServer(url, None)
    home.mkdir(parents=True, exist_ok=True)
    log = open(home / "server.log", "ab")  # noqa: SIM115 (the child keeps writing to it)
    cmd = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(cmd, env=server_env(home), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
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


@dataclass(frozen=True)
class PortOwner:
    pid: int
    home: str | None  # its PREFECT_HOME; None when unreadable (another user's process) or unset


def check_own_server(home: Path, port: int) -> None:
    """Pass when a process listening on ``port`` keeps its Prefect state in ``home``; else say whose server it is."""
    owners = port_owners(port)
    if any(o.home and os.path.realpath(o.home) == os.path.realpath(home) for o in owners):
        return
    whose = "; ".join(f"pid {o.pid}, state in {o.home or 'an unknown folder (PREFECT_HOME unset or unreadable)'}" for o in owners)
    raise ReeltagError(
        f"127.0.0.1:{port} already serves a Prefect API that is not this project's ({whose or 'owner not found'}; "
        f"this project's state is {home}): stop it or choose another --port"
    )


def port_owners(port: int) -> list[PortOwner]:
    """The processes listening on TCP ``port`` of this machine (Linux ``/proc``; empty where unreadable)."""
    sockets = {f"socket:[{inode}]" for inode in _listening_inodes(port)}
    owners = []
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        try:
            if sockets & {os.readlink(fd) for fd in fd_dir.iterdir()}:
                owners.append(PortOwner(int(fd_dir.parent.name), _prefect_home_of(fd_dir.parent)))
        except OSError:  # another user's process, or one that just exited
            continue
    return owners


def _listening_inodes(port: int) -> set[str]:
    inodes = set()
    for table in (Path("/proc/net/tcp"), Path("/proc/net/tcp6")):
        lines = table.read_text().splitlines()[1:] if table.is_file() else []
        for fields in (line.split() for line in lines):
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":  # 0A: LISTEN
                inodes.add(fields[9])
    return inodes


def _prefect_home_of(proc: Path) -> str | None:
    try:
        variables = (proc / "environ").read_bytes().split(b"\0")
    except OSError:
        return None
    found = [v.split(b"=", 1)[1] for v in variables if v.startswith(b"PREFECT_HOME=")]
    return found[0].decode(errors="replace") if found else None
