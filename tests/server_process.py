"""A server process for the tests: ``reeltag`` as a command, started in its own process group and awaited until a URL
answers 200; stopped by its pid (:func:`stop_server`)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from reeltag.demo.api_child import free_port  # noqa: F401 (the tests import it from here)
from reeltag.demo.api_child import stop_process as stop_server


def reeltag_command() -> list[str]:
    """The venv's ``reeltag`` script, or the interpreter running the CLI's app where the script is not installed."""
    script = Path(sys.executable).with_name("reeltag")
    return [str(script)] if script.is_file() else [sys.executable, "-c", "from reeltag.cli import app; app()"]


def process_env() -> dict[str, str]:
    """This environment with the repo's ``src`` first on PYTHONPATH and the venv's bin first on PATH (as activated)."""
    src, venv_bin = str(Path(__file__).resolve().parents[1] / "src"), str(Path(sys.executable).parent)
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")]),
        "PATH": os.pathsep.join([venv_bin, os.environ.get("PATH", "")]),
    }


def start_server(args: list[str], url: str, log: Path, timeout_s: float = 180.0) -> subprocess.Popen:
    """Start ``args`` in its own process group; wait until ``url`` answers 200 (or fail with the log's tail)."""
    proc = subprocess.Popen(args, stdout=log.open("wb"), stderr=subprocess.STDOUT, env=process_env(), start_new_session=True)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited {proc.returncode}: {log.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=2.0).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    stop_server(proc)
    raise AssertionError(f"server not ready after {timeout_s} s: {log.read_text()[-3000:]}")
