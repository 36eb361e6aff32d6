"""The whole PoC on seeded demo data, step by step (the flows run the same steps; ``bench_flows`` compares them).

``prepare_demo`` writes the demo inputs and the demo project's ``reeltag.toml`` (trigger ``demo``; CLIP weights =
the checkpoint the adaptation step will write; ``[api]`` catalogue = the demo search set's manifest and video root =
its labelled videos, so ``reeltag api --root <demo root>`` reranks and suggests as it is). ``run_demo`` then calls the pipeline steps directly:
ingest → validate → Tag2Vec → demo encoder adaptation → features → mapper → text model + fusion → rerank
tuning → simulated staff review → simulated online A/B (users through a real API process) and its ``ab-online``
day → report.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from reeltag.errors import BadInput
from reeltag.io import write_text_atomic
from reeltag.project import Project

CHECKPOINT = "data/models/encoders/demo-adapted.pt"
# A convolutional image tower: trained from scratch on the demo captions it learns shape as well as colour
# (the ViT reeltag-tiny learns colour only, so it cannot rerank the demo search set; README "Encoders").
DEMO_ARCH = "reeltag-tiny-rn"
TOML_HEADER = "# written by `reeltag demo`"
# ``--quick``: a smoke run (about a minute on the tiny demo) for checking an install, the flow tests and bench P6.
QUICK_CLIP = "adapt_steps = 20\nadapt_frames_per_pair = 2\n"
QUICK_SECTIONS = (
    "[mapper]\nepochs = 40\npatience = 10\n\n[rerank]\nalpha_grid = [0.0, 0.5, 1.0]\n"
    'tune_normalisations = ["minmax"]\ntune_poolings = ["max"]\nbootstrap = 200\n\n'
)
INPUTS = "inputs"
# The simulated online A/B after tune-rerank (``[ab.online]`` of the demo's toml): (queries, users), quick or not.
# Interleaving, not a split: the base run already puts a relevant video first for every demo topic, so success in
# the top 10 saturates in both arms; which team's results get the clicks does not. 800 queries: on the small demo's
# search set the always-valid win-share test finds a near-ideal reranker in 30 of 30 seeded runs at 800, 9 of 30 at
# 300 (bench A3, ``bench.bench_demo_online.power``).
DEMO_EXPERIMENT = '[ab.online]\nname = "demo-search"\nmethod = "interleave"\nsimulated = true\n\n'
SIMULATED_TRAFFIC = {False: (800, 120), True: (80, 30)}


@dataclass(frozen=True, kw_only=True)
class DemoInputs:
    root: Path
    posts: Path
    labels: Path
    pairs: Path
    search: Path
    checkpoint: Path
    size: str
    quick: bool = False


@dataclass(frozen=True, kw_only=True)
class DemoSummary:
    root: str
    report: str
    decision: str
    verdict: str
    components: dict[str, str]
    weights_kind: str
    tracking_uri: str
    seconds: float


def demo_toml(root: Path, size: str, quick: bool = False) -> str:
    """Settings of the demo project at ``root`` (the toml the demo writes; see :func:`write_demo_toml` for when it
    is kept)."""
    steps = f"adapt_steps = {dict(tiny=120, small=400, full=600)[size]}\n"
    return (
        f'{TOML_HEADER} (size={size}{", quick" if quick else ""})\n[clip]\narch = "{DEMO_ARCH}"\n'
        f'weights = "{CHECKPOINT}"\n{QUICK_CLIP if quick else steps}\n{QUICK_SECTIONS if quick else ""}'
        f'{demo_api_section(root)}{DEMO_EXPERIMENT}[tracking]\ntrigger = "demo"\n'
    )


def demo_api_section(root: Path) -> str:
    """``[api]`` of the demo: the search set's manifest as the catalogue, the labelled videos as the video root
    (absolute: ``reeltag api`` reads both from its working folder, wherever it starts)."""
    inputs = Path(root) / INPUTS
    catalogue, videos = json.dumps(str(inputs / "search" / "manifest.csv")), json.dumps(str(inputs / "videos"))
    return f"[api]\ncatalogue = {catalogue}\nvideo_root = {videos}\n\n"


def write_demo_toml(root: Path, size: str, quick: bool = False) -> None:
    """Write ``reeltag.toml`` unless it is the user's: a file without the demo's header line is kept as it is.

    A demo-written file that differs from this size's (another size, an older reeltag) is replaced and the old
    text kept in ``reeltag.toml.bak``. To keep edits to it, delete its first line.
    """
    target, wanted = root / "reeltag.toml", demo_toml(root, size, quick)
    current = target.read_text(encoding="utf-8") if target.is_file() else None
    if current == wanted or (current is not None and not current.startswith(TOML_HEADER)):
        return
    if current is not None:
        write_text_atomic(target.with_name("reeltag.toml.bak"), current)
    write_text_atomic(target, wanted)


def check_demo_root(root: Path) -> None:
    """The demo ingests its posts and trains and promotes models: only in an empty folder or an earlier demo's.

    ``reeltag demo --root <a real project>`` would otherwise mix demo posts into the real corpus."""
    from reeltag.demo.generate import RECORD

    toml = root / "reeltag.toml"
    is_demo = (root / INPUTS / RECORD).is_file() or (toml.is_file() and toml.read_text(encoding="utf-8").startswith(TOML_HEADER))
    if root.is_dir() and not is_demo and _foreign_entries(root):
        raise BadInput(
            f"{root} is not empty and not a demo project (no {INPUTS}/{RECORD}, no reeltag.toml written by "
            "`reeltag demo`): the demo would ingest its posts into it and promote its models; use a new --root"
        )


def _foreign_entries(root: Path) -> list[str]:
    """What ``root`` holds besides hidden files and what ``reeltag demo`` creates first (Prefect state, its log)."""
    entries = [p for p in root.iterdir() if not p.name.startswith(".")]
    first = {"prefect", "logs"}
    return [p.name for p in entries if not (p.name == "data" and p.is_dir() and {q.name for q in p.iterdir()} <= first)]


def prepare_demo(root: str | Path, size: str = "small", seed: int = 1, quick: bool = False) -> DemoInputs:
    """Generate the demo inputs under ``<root>/inputs`` (skipped when current) and the demo's ``reeltag.toml``."""
    from reeltag.demo import generate_demo

    root = Path(root).expanduser().resolve()
    inputs = root / INPUTS
    check_demo_root(root)
    generate_demo(inputs, seed=seed, size=size)
    write_demo_toml(root, size, quick)
    return DemoInputs(
        root=root,
        posts=inputs / "corpus" / "posts.jsonl",
        labels=inputs / "labels.csv",
        pairs=inputs / "pairs.jsonl",
        search=inputs / "search",
        checkpoint=root / CHECKPOINT,
        size=size,
        quick=quick,
    )


def run_demo(inputs: DemoInputs) -> DemoSummary:
    """Every step called directly, in order (no orchestration)."""
    import time

    from reeltag.ab import online_day as ab_online
    from reeltag.corpus import steps as corpus
    from reeltag.demo import online_experiment as ab_simulated
    from reeltag.demo.simulated_reviewer import simulate_demo_review
    from reeltag.mapper import steps as mapper
    from reeltag.report import steps as report
    from reeltag.rerank import steps as rerank
    from reeltag.rerank.formats import search_set
    from reeltag.suggest import fusion_fit as fusion
    from reeltag.tag2vec import steps as tag2vec
    from reeltag.video import adapt_encoder as encoder
    from reeltag.video import steps as features

    started, project = time.perf_counter(), Project.open(inputs.root)
    corpus.ingest_posts(project, [inputs.posts])
    corpus.validate_corpus(project)
    tag2vec.train_tag2vec(project)
    encoder.adapt_encoder(project, inputs.pairs, from_="random", out=inputs.checkpoint)
    features.extract_features(project, [inputs.labels])
    mapper.train_mapper(project, inputs.labels)
    fusion.fit_text_and_fusion(project, inputs.posts, inputs.labels)
    files = search_set(inputs.search)
    rerank.tune_rerank(
        project,
        files["run_path"],
        files["topics_path"],
        files["qrels_path"],
        files["manifest_path"],
        categories=inputs.search / "categories.txt",
    )
    simulate_demo_review(project, inputs.labels)
    simulated = ab_simulated.simulate_online_experiment(project, inputs.search, *SIMULATED_TRAFFIC[inputs.quick])
    ab_online.run_ab_online(project, simulated.day)
    report.build_report(project, labels=str(inputs.labels), search=str(inputs.search))
    return summarise(project, time.perf_counter() - started)


def summarise(project: Project, seconds: float) -> DemoSummary:
    """What the demo produced, read back from the report's ``decision.json``."""
    decision_path = project.paths.reports / "decision.json"
    decision = json.loads(decision_path.read_text(encoding="utf-8"))
    components = {name: c["verdict"] for name, c in decision["components"].items()}
    return DemoSummary(
        root=str(project.paths.root),
        report=str(project.paths.reports / "report.html"),
        decision=str(decision_path),
        verdict=decision["verdict"],
        components=components,
        weights_kind=decision["weights_kind"],
        tracking_uri=project.tracker.uri,
        seconds=round(seconds, 1),
    )
