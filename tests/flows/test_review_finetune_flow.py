"""Staff review closes the loop: ``reeltag review add`` enqueues the champion's suggestions, the (simulated)
reviewer decides, ``reeltag review export`` writes company labels, and the finetune-mapper flow fine-tunes the
mapper on them (champion vs challenger on the same test videos), its run tagged ``reeltag.labels_source=review``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reeltag.cli import app
from reeltag.project import Project

pytestmark = [pytest.mark.flow, pytest.mark.slow]
FAST = '[tag2vec]\nworkers = 1\n[mapper]\nepochs = 40\npatience = 10\n[tracking]\ntrigger = "test"\n'


def reeltag(*args: str) -> dict:
    outcome = CliRunner().invoke(app, [*args, "--json"])
    assert outcome.exit_code == 0, outcome.output[-3000:]
    return json.loads(outcome.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def champion_project(tmp_path_factory: pytest.TempPathFactory, demo_tiny: Path, demo_encoder) -> Project:
    """Tag2Vec and mapper champions on the tiny demo (the steps called directly)."""
    from reeltag.corpus.steps import ingest_posts, validate_corpus
    from reeltag.mapper.steps import train_mapper
    from reeltag.tag2vec.steps import train_tag2vec

    root = tmp_path_factory.mktemp("review-loop") / "project"
    root.mkdir()
    clip = "".join(f'{k} = "{v}"\n' for k, v in demo_encoder.clip.items())
    # the demo videos lie outside the project, so the export names them by absolute path: allow those
    paths = "[paths]\nallow_absolute_manifest_paths = true\n"
    (root / "reeltag.toml").write_text(f"{paths}[clip]\n{clip}{FAST}", encoding="utf-8")
    project = Project.open(root)
    ingest_posts(project, [demo_tiny / "corpus" / "posts.jsonl"])
    validate_corpus(project)
    tag2vec = train_tag2vec(project)
    if not tag2vec.promoted:
        project.tracker.promote("tag2vec", tag2vec.version)
    mapper = train_mapper(project, demo_tiny / "labels.csv")
    if not mapper.promoted:
        project.tracker.promote("mapper", mapper.version)
    return project


def test_finetune_flow_on_the_review_export(champion_project: Project, demo_tiny: Path) -> None:
    from flows.finetune_mapper import finetune_mapper
    from reeltag.demo.simulated_reviewer import simulate_demo_review

    project, root = champion_project, str(champion_project.paths.root)
    added = reeltag("review", "add", str(demo_tiny / "labels.csv"), "--root", root)
    assert added["added"] == added["inputs"] > 0 and added["mapper_version"] == "1"
    assert added["encoder_weights"] == "demo-trained"
    simulated = simulate_demo_review(project, demo_tiny / "labels.csv")
    assert simulated.decided == added["added"]
    exported = reeltag("review", "export", "--root", root)
    assert exported["rows"] == added["added"] and exported["pending"] == 0
    assert Path(exported["out"]) == project.paths.data / "inbox" / "labels.csv"

    result = finetune_mapper(root, mode="finetune", report=False)
    assert result.mode == "finetune" and not result.reused
    assert result.champion_test is not None and result.labels.source == exported["out"]
    tags = project.tracker.run_data(result.run_id)["tags"]
    assert tags["reeltag.labels_source"] == "review"
    assert tags["reeltag.review_db_hash"] == exported["review_db_hash"]
    print(
        f"\nfine-tune on the review export: P@5 {result.test['mapper']['p_at_5']:.3f} vs champion "
        f"{result.champion_test['p_at_5']:.3f} on the same test videos; {result.decision}"
    )


def test_a_promotion_rescores_the_undecided_items(champion_project: Project, demo_tiny: Path) -> None:
    """A new mapper becomes champion: the undecided items' scores and order change, their history names each
    version, the decided item keeps its suggestions. Its own queue, so the test above sees an untouched one."""
    from reeltag.mapper.steps import train_mapper
    from reeltag.review import queue as q
    from reeltag.review.rescore import rescore_queue
    from reeltag.review.steps import add_to_review
    from reeltag.review.store import ReviewStore

    project = champion_project.with_settings(review={"queue": "rescore", "control_share": 0.0})
    added = add_to_review(project, [demo_tiny / "labels.csv"])
    store, lease = ReviewStore(project.paths.review_db), q.Lease(queue="rescore", reviewer="ann", lease_s=600.0)
    decided = q.lease_next(store, lease)
    assert decided is not None
    q.submit(store, lease, decided.id, 1.0)
    before = {i.id: (i.margin, store.suggestions(i.id)) for i in store.items("rescore")}
    order_before = [i.id for i in sorted(store.items("rescore"), key=lambda i: (i.margin, i.id)) if i.status == "pending"]

    new = train_mapper(project.with_settings(mapper={"seed": 8}), demo_tiny / "labels.csv")
    project.tracker.promote("mapper", new.version)
    done = rescore_queue(project)

    assert done.mapper_version == str(new.version) != added.mapper_version
    assert done.rescored == added.added - 1 and done.kept_leased == 0
    items = {i.id: i for i in store.items("rescore")}
    changed = [i for i in items if i != decided.id and (items[i].margin, store.suggestions(i)) != before[i]]
    assert len(changed) == done.rescored  # every undecided item got the new champion's scores
    order_after = [i.id for i in sorted(items.values(), key=lambda i: (i.margin, i.id)) if i.status == "pending"]
    assert order_after != order_before
    for item_id in changed:
        versions = [s.scores.mapper_version for s in store.scorings(item_id)]
        assert versions == [added.mapper_version, str(new.version)]
    assert [s.scores.mapper_version for s in store.scorings(decided.id)] == [added.mapper_version]
    assert rescore_queue(project).rescored == 0  # idempotent
