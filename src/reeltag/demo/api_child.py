"""A ``reeltag api`` child process of one project (the demo's simulated users query it through real HTTP):
127.0.0.1 on a free port, in its own session, its output appended to a log file; ready when ``/readyz`` says the
reranker is loaded (another champion that failed to load does not hold the search path back); stopped by its own
pid (SIGINT, then SIGKILL of its process group)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

from reeltag.errors import ReeltagError

CLI = "from reeltag.cli import app; app()"
STARTUP_S = 180.0  # the child imports torch and open_clip and loads the champions: slow on a loaded machine
STOP_S = 20.0


@contextmanager
def api_child(
    root: Path, log: Path, args: Sequence[str] = (), startup_s: float = STARTUP_S, need_reranker: bool = True
) -> Iterator[str]:
    """The base URL of ``reeltag api --root root [args]`` serving on 127.0.0.1 until the block ends (ready: it
    answers ``/healthz``, and with ``need_reranker`` its ``/readyz`` says the reranker is loaded, see :func:`serves`)."""
    port = free_port()
    log.parent.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-c", CLI, "api", "--root", str(root), "--host", "127.0.0.1", "--port", str(port), *args]
    with log.open("ab") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_for(proc, url, startup_s, log, need_reranker)
        yield url
    finally:
        stop_process(proc)


def free_port() -> int:
    """A port on 127.0.0.1 that is free now (the server binds it next)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(proc: subprocess.Popen, url: str, startup_s: float, log: Path, need_reranker: bool) -> None:
    deadline = time.monotonic() + startup_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ReeltagError(f"reeltag api exited with {proc.returncode} before it was ready; see {log}")
        try:
            ready = httpx.get(f"{url}/{'readyz' if need_reranker else 'healthz'}", timeout=2.0)
        except httpx.HTTPError:
            ready = None
        if ready is not None and serves(ready, need_reranker):
            return
        time.sleep(0.5)
    raise ReeltagError(f"reeltag api not ready after {startup_s:.0f} s; see {log}")


def serves(ready: httpx.Response, need_reranker: bool) -> bool:
    """Whether the child serves what its caller sends: with ``need_reranker``, ``/readyz`` names a loaded reranker,
    even while it answers 503 because another champion failed to load (a mapper of another encoder does not stop
    the search path); else ``/healthz`` answered 200."""
    if not need_reranker:
        return ready.status_code == 200
    body = ready.json() if ready.status_code in (200, 503) else {}
    if ready.status_code == 200 and not body.get("rerank"):
        raise ReeltagError(f"reeltag api serves no reranker (no reeltag.reranker champion): {body}")
    return bool(body.get("rerank"))


def stop_process(proc: subprocess.Popen) -> int:
    """Stop a server started in its own session by its pid: SIGINT, then SIGKILL of its process group after
    ``STOP_S``; its exit code."""
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=STOP_S)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=STOP_S)
    return proc.returncode
