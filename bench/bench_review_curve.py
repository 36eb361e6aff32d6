"""L1: does a review order make the mapper learn faster than ``random``? The learning curve of each order.

    python -m bench.bench_review_curve [--seeds 5] [--batch 3] [--budget 30] [--out docs/img/review-curve.json] [--plot docs/img/review-curve.png]

Per seed a seeded demo world of its own (the demo's generator: 10 labelled videos per category, 48 train, 16 val,
16 test; 8 caption videos; 600 posts), a demo-trained encoder (reeltag-tiny from random weights, 120 contrastive
steps on the world's (segment, caption) pairs), Tag2Vec trained on the world's posts (the project's own steps) and
the videos' pooled CLIP features. Every order starts from the same mapper, trained from scratch on a seeded draw of
``--start`` train videos (company labels, not counted as decisions); the other train videos are the review queue
(``control_share = 0``), scored by it. Then, for each order, batches of ``--batch`` decisions by the demo's
simulated reviewer (``reeltag.demo.simulated_reviewer``, served through ``reeltag.review.queue`` in that order), a
fine-tune of the mapper from its previous weights on every labelled video after each batch (early stopping on the
val videos), its P@5 on the held-out test videos, and ``rescore_items`` with the new mapper so the order follows it.

The record: each order's curve (mean P@5 over the seeds, 95 % bootstrap CI over seeds), random's final P@5 and the
decisions each order needs to reach it (with a bootstrap CI), as JSON and a PNG plot.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ORDERS = ("random", "newest", "uncertain", "diverse", "gain")
PER_CATEGORY, CAPTIONS, POSTS, ENCODER_STEPS = 10, 8, 600, 120
QUEUE, BOOTSTRAP = "bench", 2000
TOML = '[tag2vec]\nworkers = 1\n[tracking]\ntrigger = "bench"\n[review]\ncontrol_share = 0.0\n'


@dataclass(frozen=True, kw_only=True)
class World:
    """One seeded demo world: the tag space, every labelled video's feature and true tags, by split."""

    seed: int
    vectors: np.ndarray  # the Tag2Vec tags' vectors (n_tags, dim)
    keys: tuple[str, ...]
    features: dict[str, np.ndarray]  # video path → pooled CLIP feature
    truth: dict[str, tuple[str, ...]]  # video path → true tags (canonical)
    splits: dict[str, tuple[str, ...]]  # train | val | test → video paths
    tag2vec_version: str
    seconds: float


@dataclass(frozen=True, kw_only=True)
class Plan:
    start: int  # train videos labelled before the queue (every order starts from the same mapper)
    batch: int  # decisions between two fine-tunes
    budget: int  # decisions per order


def build_world(folder: Path, seed: int) -> World:
    from reeltag.demo.generate import stream
    from reeltag.demo.hashtag_corpus import write_corpus
    from reeltag.demo.videos import write_video_sets
    from reeltag.mapper.data import label_normaliser
    from reeltag.mapper.labels import read_labels
    from reeltag.project import Project
    from reeltag.video.steps import extract_features

    started, demo, root = time.perf_counter(), folder / "demo", folder / "project"
    demo.mkdir(parents=True)
    root.mkdir()
    write_video_sets(
        demo,
        stream(seed, "videos"),
        n_per_category=PER_CATEGORY,
        n_shifted_per_category=0,
        n_caption=CAPTIONS,
        duration_s=(2.0, 3.0),
    )
    write_corpus(demo, stream(seed, "corpus"), POSTS, 0)
    (root / "reeltag.toml").write_text(TOML, encoding="utf-8")
    project = Project.open(root)
    space = _tag2vec(project, demo / "corpus" / "posts.jsonl")
    batch = extract_features(project, [demo / "labels.csv"], encoder=_encoder(demo / "segments.jsonl", seed))
    rows = read_labels(demo / "labels.csv", label_normaliser(project, space)).rows
    features = {f.video: np.asarray(f.pooled, dtype=np.float32) for f in batch.features}
    truth = {str(r.video.resolve()): r.tags for r in rows if str(r.video.resolve()) in features}
    splits = {
        s: tuple(str(r.video.resolve()) for r in rows if r.split == s and str(r.video.resolve()) in truth)
        for s in ("train", "val", "test")
    }
    return World(
        seed=seed,
        vectors=np.asarray(space.vectors, dtype=np.float32),
        keys=tuple(space.tags),
        features=features,
        truth=truth,
        splits=splits,
        tag2vec_version=str(space.version),
        seconds=round(time.perf_counter() - started, 1),
    )


def _tag2vec(project: Any, posts: Path) -> Any:
    from reeltag.corpus.steps import ingest_posts, validate_corpus
    from reeltag.mapper.data import load_champion_space
    from reeltag.tag2vec.steps import train_tag2vec

    ingest_posts(project, [posts])
    validate_corpus(project)
    trained = train_tag2vec(project)
    if not trained.promoted:
        project.tracker.promote("tag2vec", trained.version)
    return load_champion_space(project)


def _encoder(segments: Path, seed: int) -> Any:
    """reeltag-tiny from random weights, trained like ``reeltag clip adapt`` on the world's pairs."""
    from reeltag.config import ClipSection
    from reeltag.paths import ProjectPaths
    from reeltag.video.adapt import TrainConfig, sample_pair_frames, train_contrastive
    from reeltag.video.encoder import load_encoder
    from reeltag.video.pairs import read_pairs

    clip = ClipSection(arch="reeltag-tiny", weights="random", seed=seed, threads=1)
    encoder = load_encoder(clip, ProjectPaths.at(segments.parent))
    data, _ = sample_pair_frames(read_pairs(segments).pairs, encoder.image_size, clip.adapt_frames_per_pair)
    train_contrastive(encoder, data, TrainConfig(steps=ENCODER_STEPS, batch_size=clip.adapt_batch_size, lr=1e-3, seed=seed))
    return encoder


class Learner:
    """The mapper of one (world, order) run: fit, fine-tune, score the test videos, score queue items."""

    def __init__(self, world: World, seed: int) -> None:
        from reeltag.config import MapperSection
        from reeltag.mapper.nearest import TagIndex

        self.world, self.settings, self.seed = world, MapperSection(), seed
        self.index = TagIndex.build(world.keys, world.vectors)
        self.val, self.test = self.examples(world.splits["val"]), self.examples(world.splits["test"])
        self.state: Any = None
        self.args: Any = None

    def examples(self, videos: tuple[str, ...] | list[str], tags: dict[str, tuple[str, ...]] | None = None) -> Any:
        from reeltag.mapper.evaluate import Examples, Truth

        tags = tags or self.world.truth
        features = np.stack([self.world.features[v] for v in videos])
        return Examples(features, Truth.from_tags([tags[v] for v in videos], self.index.keys))

    def fit(self, train: Any, scratch: bool) -> None:
        from reeltag.mapper.model import MapperArgs
        from reeltag.mapper.train import FitParams, fit, fit_best

        ms = self.settings
        params = FitParams(
            epochs=ms.epochs,
            patience=ms.patience,
            lr=ms.lr if scratch else ms.finetune_lr,
            weight_decay=ms.weight_decay,
            seed=self.seed,
        )
        if scratch:
            args = MapperArgs(
                in_dim=train.features.shape[1],
                out_dim=self.index.vectors.shape[1],
                hidden=ms.hidden,
                loss=ms.loss,
                temperature=ms.temperature,
            )
            fitted, _ = fit_best(args, self.index.vectors, train, self.val, params)
        else:
            fitted = fit(self.args, self.index.vectors, train, self.val, params, init=self.state)
        self.args, self.state = fitted.args, fitted.state

    def mapped(self, features: np.ndarray) -> np.ndarray:
        from reeltag.mapper.model import TagMapper
        from reeltag.mapper.train import predict

        model = TagMapper(self.args)
        model.load_state_dict(self.state)
        return predict(model, features)

    def p_at_5(self) -> float:
        from reeltag.mapper.evaluate import cosine_scores, ranking_metrics

        scores = cosine_scores(self.mapped(self.test.features), self.index.vectors)
        return ranking_metrics(scores, self.test.truth, ks=(5,))["p_at_5"]

    def suggestions(self, videos: list[str], k: int = 8) -> list[tuple[tuple[str, float], ...]]:
        from reeltag.mapper.nearest import nearest_tags

        rows = nearest_tags(self.mapped(np.stack([self.world.features[v] for v in videos])), self.index, k)
        return [tuple((s.tag.lstrip("#"), float(s.score)) for s in row) for row in rows]


def run_curve(world: World, order: str, seed: int, plan: Plan, folder: Path) -> list[float]:
    """Held-out P@5 after 0, batch, 2 × batch, … decisions of the simulated reviewer in ``order``."""
    from reeltag.demo.simulated_reviewer import simulate_reviewer
    from reeltag.review.rescore import rescore_items
    from reeltag.review.store import ReviewStore

    train = list(world.splits["train"])
    picked = set(np.random.default_rng(seed).choice(len(train), plan.start, replace=False).tolist())
    start, queue = [v for i, v in enumerate(train) if i in picked], [v for i, v in enumerate(train) if i not in picked]
    learner = Learner(world, seed)
    learner.fit(learner.examples(start), scratch=True)
    store = ReviewStore(folder / f"{order}-{seed}.db").create()
    store.add_items(QUEUE, [_item(v, s, world.features[v]) for v, s in zip(queue, learner.suggestions(queue))])
    curve = [learner.p_at_5()]
    for round_ in range(1, plan.budget // plan.batch + 1):
        simulate_reviewer(store, QUEUE, world.truth, seed, limit=plan.batch, order=order)
        decided = _decided(store)
        learner.fit(learner.examples(start + list(decided), {**world.truth, **decided}), scratch=False)
        curve.append(learner.p_at_5())
        versions = (str(round_), world.tag2vec_version, "")
        rescore_items(store, QUEUE, _scorer(learner, versions), versions=versions)
    return curve


def _item(video: str, suggestions: tuple[tuple[str, float], ...], feature: np.ndarray) -> Any:
    import hashlib

    from reeltag.review.store import NewItem

    return NewItem(
        video=video,
        video_sha256=hashlib.sha256(Path(video).read_bytes()).hexdigest(),
        split="train",
        control=False,
        suggestions=suggestions,
        codec="h264",
        playable=True,
        strip=None,
        mapper_version="0",
        tag2vec_version="",
        encoder_id="bench",
        encoder_weights="demo-trained",
        feature=tuple(float(x) for x in feature),
    )


def _decided(store: Any) -> dict[str, tuple[str, ...]]:
    """The decided items' tags as ``reeltag review export`` writes them: accepted suggestions, then added tags."""
    from reeltag.review.export import label_rows
    from reeltag.review.state import states_by_item

    items = store.items(QUEUE)
    suggested = {i.id: {rank: tag for rank, tag, _ in store.suggestions(i.id)} for i in items}
    return {item.video: tuple(tags) for item, tags in label_rows(items, states_by_item(store.events()), suggested)}


def _scorer(learner: Learner, versions: tuple[str, str, str]) -> Any:
    from reeltag.review.store import Scores

    def score(items: Any) -> dict[int, Any]:
        rows = learner.suggestions([i.video for i in items])
        return {
            i.id: Scores(suggestions=s, mapper_version=versions[0], tag2vec_version=versions[1], fusion_version=versions[2])
            for i, s in zip(items, rows)
        }

    return score


def bootstrap_mean_ci(values: np.ndarray, rng: np.random.Generator) -> tuple[float, float]:
    """95 % percentile CI of the mean over the rows (seeds) of ``values`` (seeds, points), per point."""
    draws = rng.integers(0, len(values), size=(BOOTSTRAP, len(values)))
    means = values[draws].mean(axis=1)
    return np.percentile(means, 2.5, axis=0), np.percentile(means, 97.5, axis=0)


def decisions_to_reach(curve: np.ndarray, target: float, steps: np.ndarray) -> float:
    """The first decision count at which ``curve`` (a mean over seeds) reaches ``target``; inf when it never does."""
    reached = np.nonzero(curve >= target - 1e-9)[0]
    return float(steps[reached[0]]) if len(reached) else float("inf")


def summarise(curves: dict[str, np.ndarray], steps: np.ndarray, seed: int = 0) -> dict[str, Any]:
    """Means, CIs, random's final P@5 and the decisions each order needs to reach it (point and bootstrap CI).

    "Random's decisions" are the decisions random itself needed to reach its final P@5 (its curve may flatten before
    the budget ends: comparing with the whole budget would credit an order with random's plateau); the share of
    the budget is kept beside it. Bootstrap: the same resampled seeds for every order (paired)."""
    rng, n = np.random.default_rng(seed), len(next(iter(curves.values())))
    draws = rng.integers(0, n, size=(BOOTSTRAP, n))
    target, random_mean = float(curves["random"][:, -1].mean()), curves["random"].mean(axis=0)
    random_reach = decisions_to_reach(random_mean, target, steps)
    out: dict[str, Any] = {
        "random_final_p_at_5": round(target, 4),
        "random_decisions": int(random_reach),
        "budget": int(steps[-1]),
        "orders": {},
    }
    for order, values in curves.items():
        low, high = bootstrap_mean_ci(values, np.random.default_rng(seed))
        boot = [_reach_share(values[d], curves["random"][d], steps) for d in draws]
        needed = decisions_to_reach(values.mean(axis=0), target, steps)
        out["orders"][order] = {
            "mean": [round(float(x), 4) for x in values.mean(axis=0)],
            "ci95": [[round(float(a), 4), round(float(b), 4)] for a, b in zip(low, high)],
            "per_seed": [[round(float(x), 4) for x in row] for row in values],
            "final": round(float(values[:, -1].mean()), 4),
            "decisions_to_random_final": None if needed == float("inf") else int(needed),
            "share_of_random_decisions": _finite_or_none(needed / random_reach),
            "share_of_budget": _finite_or_none(needed / steps[-1]),
            "share_ci95": [_finite_or_none(_percentile(boot, 2.5)), _finite_or_none(_percentile(boot, 97.5))],
            "share_never_reached": round(float(np.mean(np.isinf(boot))), 3),
            **_final_gap(values, curves["random"], draws),
        }
    return out


def _final_gap(values: np.ndarray, random: np.ndarray, draws: np.ndarray) -> dict[str, Any]:
    """P@5 at the end of the budget minus random's, paired by seed, with its 95 % bootstrap CI."""
    gaps = values[:, -1] - random[:, -1]
    boot = gaps[draws].mean(axis=1)
    ci = [round(float(np.percentile(boot, 2.5)), 4), round(float(np.percentile(boot, 97.5)), 4)]
    return {"final_minus_random": round(float(gaps.mean()), 4), "final_minus_random_ci95": ci}


def _reach_share(values: np.ndarray, random: np.ndarray, steps: np.ndarray) -> float:
    """Decisions ``values`` (seeds, points) needs to reach random's final mean P@5, over the decisions random needed."""
    target = random[:, -1].mean()
    return decisions_to_reach(values.mean(axis=0), target, steps) / decisions_to_reach(random.mean(axis=0), target, steps)


def _percentile(values: list[float], q: float) -> float:
    """No interpolation: the draws hold inf (never reached), and inf − inf is not a share."""
    return float(np.percentile(np.asarray(values), q, method="inverted_cdf"))


def _finite_or_none(x: float) -> float | None:
    return round(float(x), 3) if np.isfinite(x) else None


def plot(record: dict[str, Any], out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=110)
    steps = record["decisions"]
    for order, row in record["summary"]["orders"].items():
        low, high = zip(*row["ci95"])
        ax.plot(steps, row["mean"], marker="o", ms=3, label=order)
        ax.fill_between(steps, low, high, alpha=0.12)
    ax.axhline(record["summary"]["random_final_p_at_5"], color="grey", ls=":", lw=1, label="random's final P@5")
    ax.axvline(record["summary"]["random_decisions"], color="grey", ls="--", lw=0.8, label="random reaches it")
    ax.set_xlabel("review decisions (simulated reviewer)")
    ax.set_ylabel("held-out P@5 (mean over seeds, 95% CI)")
    ax.set_title(f"L1: review order learning curves, {len(record['seeds'])} seeds")
    ax.legend(fontsize=8, ncol=2)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return out


def measure(seeds: list[int], plan: Plan, orders: tuple[str, ...] = ORDERS, n_worlds: int = 1) -> dict[str, Any]:
    """Seed i runs in world ``1 + i % n_worlds`` (``n_worlds`` = 1: one world, the seeds vary the starting labelled
    videos, the mapper's initialisation and the random order's draw). Review stores live in /dev/shm when present
    (their commits are fsync'd: on a busy disk that, not the mapper, would dominate)."""
    started, curves, worlds = time.perf_counter(), {o: [] for o in orders}, {}
    shm = "/dev/shm" if Path("/dev/shm").is_dir() else None
    with tempfile.TemporaryDirectory(prefix="reeltag-l1-") as tmp, tempfile.TemporaryDirectory(dir=shm) as stores:
        for i, seed in enumerate(seeds):
            world_seed = 1 + i % n_worlds
            if world_seed not in worlds:
                worlds[world_seed] = build_world(Path(tmp) / f"world{world_seed}", world_seed)
                print(json.dumps(_world_row(worlds[world_seed])), file=sys.stderr, flush=True)
            for order in orders:
                curves[order].append(run_curve(worlds[world_seed], order, seed, plan, Path(stores)))
            print(json.dumps({"seed": seed, "seconds": round(time.perf_counter() - started, 1)}), file=sys.stderr, flush=True)
    steps = np.arange(0, plan.budget // plan.batch + 1) * plan.batch
    arrays = {o: np.asarray(c, dtype=float) for o, c in curves.items()}
    return {
        "id": "L1",
        "seeds": seeds,
        "plan": {"start": plan.start, "batch": plan.batch, "budget": plan.budget},
        "world": {
            "labelled_per_category": PER_CATEGORY,
            "caption_videos": CAPTIONS,
            "posts": POSTS,
            "encoder_steps": ENCODER_STEPS,
        },
        "worlds": [_world_row(w) for w in worlds.values()],
        "decisions": steps.tolist(),
        "summary": summarise(arrays, steps),
        "seconds": round(time.perf_counter() - started, 1),
    }


def _world_row(world: World) -> dict[str, Any]:
    return {"seed": world.seed, "seconds": world.seconds, **{s: len(v) for s, v in world.splits.items()}}


def verdict(record: dict[str, Any], share: float = 0.7) -> str:
    """One line: the best order against random, with the CI; no claim where none reaches random's final P@5 early."""
    summary = record["summary"]
    rows = {o: r for o, r in summary["orders"].items() if o != "random"}
    best = min(rows, key=lambda o: rows[o]["share_of_random_decisions"] or float("inf"))
    row, target, needed = rows[best], summary["random_final_p_at_5"], summary["random_decisions"]
    if row["share_of_random_decisions"] is None:
        return f"no order reached random's final P@5 {target:.3f} within {summary['budget']} decisions"
    low, high = row["share_ci95"]
    met = "meets" if row["share_of_random_decisions"] <= share else "misses"
    robust = "within it too" if high is not None and high <= share else "beyond it"
    return (
        f"best order {best} reached random's final P@5 {target:.3f} after {row['decisions_to_random_final']} decisions; "
        f"random needed {needed} ({row['share_of_random_decisions']:.0%} of them, 95% CI "
        f"{'?' if low is None else f'{low:.0%}'} to {'never' if high is None else f'{high:.0%}'}; "
        f"{row['share_of_budget']:.0%} of the {summary['budget']}-decision budget): the point estimate {met} the "
        f"{share:.0%} bar, the CI's upper end is {robust}"
    )


def run(repeats: int) -> dict[str, Any]:
    """``python -m bench --only L1``: the full measurement (``repeats`` unused: the seeds are the repeats)."""
    record = measure(list(range(1, 6)), Plan(start=6, batch=3, budget=30))
    return {"figure": "review order: decisions to random's final P@5", "summary": verdict(record), **_short(record)}


def _short(record: dict[str, Any]) -> dict[str, Any]:
    orders = record["summary"]["orders"]
    keys = ("final", "decisions_to_random_final", "share_of_random_decisions", "share_ci95", "final_minus_random_ci95")
    return {o: {k: r[k] for k in keys} for o, r in orders.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--start", type=int, default=6, help="train videos labelled before the queue")
    parser.add_argument("--batch", type=int, default=3, help="decisions between fine-tunes")
    parser.add_argument("--budget", type=int, default=30, help="decisions per order")
    parser.add_argument("--orders", default=",".join(ORDERS))
    parser.add_argument("--worlds", type=int, default=1, help="distinct demo worlds the seeds cycle over")
    parser.add_argument("--out", type=Path, default=Path("docs/img/review-curve.json"))
    parser.add_argument("--plot", type=Path, default=Path("docs/img/review-curve.png"))
    args = parser.parse_args(argv)
    plan = Plan(start=args.start, batch=args.batch, budget=args.budget)
    record = measure(list(range(1, args.seeds + 1)), plan, tuple(args.orders.split(",")), args.worlds)
    record["verdict"] = verdict(record)
    record["plot"] = str(plot(record, args.plot))
    record["command"] = "python -m bench.bench_review_curve " + " ".join(argv if argv is not None else sys.argv[1:])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    print(record["verdict"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
