"""P6 on the scale-out paths: the tiny demo workload (``reeltag demo --quick``) ÷ the same steps called directly,
through (a) a Prefect ``process`` work pool and its worker and (b) ``reeltag serve``'s in-process runner, both
against one persistent Prefect server on PostgreSQL (``deploy/up.sh``, no Dask workers, tracking stays local).

    python -m bench.bench_pool [--repeats N]

Each arm runs on a fresh project root whose demo inputs were generated before timing. A path's time is
submit → completed as ``run_deployment`` sees it, so it includes the worker's / runner's polling (Prefect's
default 10 s ``PREFECT_WORKER_QUERY_SECONDS`` / ``PREFECT_RUNNER_POLL_FREQUENCY``) and, for the pool, a fresh
Python process per flow run: what a user of that path waits. Bring-up is not timed.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
POOL = "bench"
DEPLOY_POOL = """
from prefect import Flow
from flows.workpool import ensure_pool
ensure_pool(%r)
Flow.from_source(source=%r, entrypoint="flows/poc_demo.py:poc_demo").deploy(
    "bench-pool", work_pool_name=%r, build=False, push=False, print_next_steps=False, ignore_warnings=True)
"""
SERVE = "from prefect import serve; from flows.poc_demo import poc_demo; serve(poc_demo.to_deployment('bench-serve'))"
TIMED_RUN = """
import json, sys, time
from prefect.deployments import run_deployment
started = time.perf_counter()
run = run_deployment(sys.argv[1], parameters=json.loads(sys.argv[2]), timeout=1800)
print(json.dumps({"state": run.state.type.value, "seconds": time.perf_counter() - started}))
"""


def _up(state: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "PYTHON": sys.executable,
        "POOL": POOL,
        "DASK_WORKERS": "0",
        "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)]),
    }
    up = subprocess.run(
        [str(REPO / "deploy" / "up.sh"), str(state)], env=env, capture_output=True, text=True, timeout=900, check=False
    )
    if up.returncode != 0:
        raise RuntimeError(f"deploy/up.sh failed: {up.stderr.strip()[-500:]}")
    lines = (state / "env").read_text().splitlines()
    return {**env, **dict(line.removeprefix("export ").split("=", 1) for line in lines if line.startswith("export "))}


def _timed_run(env: dict[str, str], deployment: str, root: Path) -> float:
    params = {"root": str(root), "size": "tiny", "seed": 1, "quick": True}
    done = subprocess.run(
        [sys.executable, "-c", TIMED_RUN, deployment, json.dumps(params)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=1900,
    )
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    if outcome["state"] != "COMPLETED":
        raise RuntimeError(f"{deployment}: {outcome}")
    return float(outcome["seconds"])


def _arms(env: dict[str, str], scratch: Path, n: int) -> dict[str, list[float]]:
    from bench.bench_flows import _direct, _prepare

    times: dict[str, list[float]] = {"direct": [], "pool": [], "serve": []}
    for i in range(n):  # alternating, so load changes hit every arm alike
        times["direct"].append(_direct(scratch / f"direct-{i}"))
        for arm, deployment in (("pool", "poc-demo/bench-pool"), ("serve", "poc-demo/bench-serve")):
            _prepare(scratch / f"{arm}-{i}")
            times[arm].append(_timed_run(env, deployment, scratch / f"{arm}-{i}"))
    return times


def run_counts(root: Path) -> dict[str, int]:
    """MLflow runs per experiment in a finished demo root's local store (sqlite; read without MLflow)."""
    import sqlite3

    with sqlite3.connect(root / "mlruns" / "mlflow.db") as db:
        rows = db.execute(
            "SELECT e.name, COUNT(*) FROM runs r JOIN experiments e ON r.experiment_id = e.experiment_id GROUP BY e.name"
        ).fetchall()
    return {name: int(count) for name, count in sorted(rows)}


def _stop(process: subprocess.Popen) -> None:
    for _ in range(2):  # a Prefect runner, like a worker, stops on the second SIGINT
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGINT)
            time.sleep(1)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def run(repeats: int = 1) -> dict[str, Any]:
    n = max(1, min(repeats, 2))
    state = Path(tempfile.mkdtemp(prefix="reeltag-bench-pool-", dir="/tmp"))
    state.chmod(0o755)  # the postgres user must reach it
    server = None
    try:
        env = _up(state)
        deployed = subprocess.run(
            [sys.executable, "-c", DEPLOY_POOL % (POOL, str(REPO), POOL)], env=env, check=False, capture_output=True, text=True
        )
        if deployed.returncode != 0:
            raise RuntimeError(f"deploying poc-demo to the pool failed: {deployed.stderr.strip()[-800:]}")
        server = subprocess.Popen(
            [sys.executable, "-c", SERVE], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        times = _arms(env, state / "roots", n)
        runs = run_counts(state / "roots" / "pool-0")
    finally:
        if server is not None:
            _stop(server)
        subprocess.run([str(REPO / "deploy" / "down.sh"), str(state)], capture_output=True, check=False)
        shutil.rmtree(state, ignore_errors=True)
    d, p, s = (statistics.median(times[k]) for k in ("direct", "pool", "serve"))
    return {
        "figure": "demo workload: work pool ÷ direct and serve ÷ direct (persistent Prefect server on Postgres)",
        "ratio": round(p / d, 3),
        "serve_ratio": round(s / d, 3),
        "direct_s": round(d, 1),
        "pool_s": round(p, 1),
        "serve_s": round(s, 1),
        "repeats": n,
        "mlflow_runs_per_demo": runs,
        "summary": f"pool {p / d:.2f}× ({p:.0f} s), serve {s / d:.2f}× ({s:.0f} s), direct {d:.0f} s",
    }


if __name__ == "__main__":
    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else 1), indent=1))
