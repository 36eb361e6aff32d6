"""Work-pool deployment: every flow of ``flows/deployments.py`` registered, with its schedule, to a Prefect
``process`` work pool, for workers on any machine that reaches the server (``reeltag worker --pool NAME``).

``reeltag serve`` stays the one-machine default (deployments served in-process). A pool deployment is built with
``flow.from_source(<source dir>, "flows/<file>.py:<flow>")``: its pull step sets the worker's working directory to
the source dir, so every worker needs the same checkout at the same path (or pass ``--source`` per layout).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from prefect import Flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.exceptions import ObjectNotFound
from prefect.schedules import Cron

from flows.deployments import FLOWS, cron_of, deployment_parameters
from reeltag.config import Settings

POOL_TYPE = "process"


@dataclass(frozen=True, kw_only=True)
class PoolDeployment:
    flow: str
    deployment: str  # <flow>/<flow>-pool
    id: str
    cron: str


@dataclass(frozen=True, kw_only=True)
class PoolDeployed:
    pool: str
    created_pool: bool
    source: str
    deployments: tuple[PoolDeployment, ...]


def source_dir() -> Path:
    """The checkout holding ``flows/`` (and, editable-installed, ``src/reeltag``)."""
    return Path(__file__).resolve().parents[1]


def file_entrypoint(name: str) -> str:
    """``flows.retrain_tag2vec:retrain_tag2vec`` → ``flows/retrain_tag2vec.py:retrain_tag2vec``."""
    module, attr = FLOWS[name].split(":")
    return f"{module.replace('.', '/')}.py:{attr}"


def ensure_pool(name: str) -> bool:
    """Create the ``process`` work pool ``name`` (with the process worker's default job template) unless it exists."""
    from prefect.workers.process import ProcessWorker

    with get_client(sync_client=True) as client:
        try:
            client.read_work_pool(name)
            return False
        except ObjectNotFound:
            template = ProcessWorker.get_default_base_job_template()
            client.create_work_pool(WorkPoolCreate(name=name, type=POOL_TYPE, base_job_template=template))
            return True


def deploy_to_pool(settings: Settings, pool: str, source: Path | None = None) -> PoolDeployed:
    """Register every flow to ``pool`` (created when missing), named ``<flow>-pool``, with its cron."""
    created, folder = ensure_pool(pool), (source or source_dir()).resolve()
    rows = tuple(_deploy_one(settings, name, pool, folder) for name in FLOWS)
    return PoolDeployed(pool=pool, created_pool=created, source=str(folder), deployments=rows)


def _deploy_one(settings: Settings, name: str, pool: str, folder: Path) -> PoolDeployment:
    cron, tz = cron_of(settings, name), settings.schedules.timezone
    # called from sync code, Prefect's async_dispatch returns the flow itself (not the coroutine of its async twin)
    flow = cast("Flow[Any, Any]", Flow.from_source(source=str(folder), entrypoint=file_entrypoint(name)))
    deployment_id = flow.deploy(
        f"{name}-pool",
        work_pool_name=pool,
        schedules=[Cron(cron, timezone=tz)] if cron else [],
        parameters=deployment_parameters(settings),
        tags=["reeltag"],
        build=False,
        push=False,
        print_next_steps=False,
        ignore_warnings=True,
    )
    return PoolDeployment(flow=name, deployment=f"{name}/{name}-pool", id=str(deployment_id), cron=cron)
