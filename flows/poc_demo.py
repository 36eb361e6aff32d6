"""poc-demo: the whole PoC on seeded demo data through the flows (what ``reeltag demo`` / ``make demo`` run).

demo data → ingest-corpus (→ validate-data) → adapt-encoder (demo-trained from random init) →
retrain-tag2vec → finetune-mapper (with its features) → fit-fusion (text model + fusion) → tune-rerank → the
simulated staff reviewer decides the labelled videos → simulated users search and click through a real
``reeltag api`` process (``[ab.online]`` of the demo's toml) → ab-online aggregates their day → poc-report (with
the simulated staff-review and online search sections). The chain that retrain-tag2vec runs on a new champion,
with the simulations before its report.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Literal

from prefect import flow, task

from flows._common import IO_RETRIES, NO_CACHING
from flows.ab_online import ab_online
from flows.adapt_encoder import adapt_encoder
from flows.finetune_mapper import finetune_mapper
from flows.ingest_corpus import ingest_corpus
from flows.poc_report import poc_report
from flows.retrain_tag2vec import retrain_tag2vec
from flows.tune_rerank import tune_rerank
from reeltag.demo.online_experiment import SimulatedExperiment, simulate_online_experiment
from reeltag.demo.simulated_reviewer import simulate_demo_review
from reeltag.demo.steps import SIMULATED_TRAFFIC, DemoInputs, DemoSummary, prepare_demo, summarise
from reeltag.project import Project
from reeltag.suggest.fusion_fit import fit_text_and_fusion
from reeltag.suggest.fusion_model import FusionFitted


@task(name="demo-data", **IO_RETRIES, **NO_CACHING)
def demo_data_task(root: str, size: str, seed: int, quick: bool) -> DemoInputs:
    """Seeded and skipped when already current, so no Prefect cache is needed."""
    return prepare_demo(root, size, seed, quick)


@task(name="fit-fusion", **NO_CACHING)
def fusion_task(root: str, posts: str, labels: str) -> FusionFitted:
    """The text model on the demo posts, then the fusion ranker on the labels, registered and gated."""
    return fit_text_and_fusion(Project.open(root), posts, labels)


@task(name="simulated-review", **NO_CACHING)
def simulated_review_task(root: str, labels: str) -> object:
    """The demo's simulated reviewer; a re-run finds every item decided and adds nothing."""
    return simulate_demo_review(Project.open(root), labels)


@task(name="simulated-users", **NO_CACHING)
def simulated_users_task(root: str, search: str, quick: bool, seed: int) -> SimulatedExperiment:
    """The demo's simulated online A/B through a real API process; a re-run on the same UTC day sends nothing."""
    queries, users = SIMULATED_TRAFFIC[quick]
    return simulate_online_experiment(Project.open(root), Path(search), queries, users, seed)


@flow(name="poc-demo", validate_parameters=True)
def poc_demo(
    root: str = "demo-out", size: Literal["tiny", "small", "full"] = "small", seed: int = 1, quick: bool = False
) -> DemoSummary:
    """``quick``: reduced settings for a smoke run (see ``reeltag.demo.steps.QUICK_SECTIONS``)."""
    started = time.perf_counter()
    inputs = demo_data_task(root, size, seed, quick)
    root = str(inputs.root)
    ingest_corpus(root, files=[str(inputs.posts)])
    adapt_encoder(root, pairs=str(inputs.pairs), from_="random", out=str(inputs.checkpoint))
    labels, search = str(inputs.labels), str(inputs.search)
    retrain_tag2vec(root, labels=labels, search=search, chain="never")
    finetune_mapper(root, labels=labels, report=False, fusion=False)  # fit-fusion below, after the text model
    fusion_task(root, str(inputs.posts), labels)
    tune_rerank(root, search=search, report=False)
    simulated_review_task(root, labels)
    ab_online(root, day=simulated_users_task(root, search, quick, seed).day)
    poc_report(root, labels=labels, search=search)
    return summarise(Project.open(root), time.perf_counter() - started)
