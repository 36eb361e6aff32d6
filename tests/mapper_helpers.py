"""Helpers for the mapper tests: a small Tag2Vec space trained on the demo corpus (until a champion is at hand)."""

from __future__ import annotations

import json
from pathlib import Path

from reeltag.config import Tag2VecSection
from reeltag.corpus.steps import tag_rules
from reeltag.corpus.tags import SurfaceForms, extract_hashtags, normalise_tags, split_tag_field
from reeltag.project import Project


def demo_sentences(posts: Path, project: Project) -> list[list[str]]:
    rules, most = tag_rules(project.settings.corpus), project.settings.corpus.max_tags_per_post
    sentences = []
    for line in posts.read_text(encoding="utf-8").splitlines():
        try:
            post = json.loads(line)
        except json.JSONDecodeError:
            continue
        if not isinstance(post, dict):
            continue
        raw = split_tag_field(post["hashtags"]) if post.get("hashtags") else extract_hashtags(str(post.get("text") or ""))
        tags, _ = normalise_tags(raw, rules, most)
        if len(tags) > 1:
            sentences.append(tags)
    return sentences


def demo_space(demo: Path, project: Project, workdir: Path, version: str = "1"):
    """A Tag2Vec space trained with the Tag2Vec adapter on the demo posts (seeded, one worker)."""
    from reeltag.tag2vec.train import to_space, train_new

    sentences = demo_sentences(demo / "corpus" / "posts.jsonl", project)
    surface = SurfaceForms.fit(sentences)
    canonical = [surface.sentence(s) for s in sentences]
    cfg = Tag2VecSection(vector_size=32, window=10, min_count=1, epochs=30, workers=1, seed=1)
    return to_space(train_new(canonical, cfg, workdir), surface, version)


def register_tag2vec_champion(project: Project, posts: Path) -> str:
    """The real Tag2Vec path on the demo posts: ingest → validate → train; promoted explicitly when the gate
    holds back on tiny data (test setup: the mapper needs a Tag2Vec champion to depend on)."""
    from reeltag.corpus.steps import ingest_posts, validate_corpus
    from reeltag.tag2vec.steps import train_tag2vec

    ingest_posts(project, [posts])
    validate_corpus(project)
    result = train_tag2vec(project)
    if not result.promoted:
        project.tracker.promote("tag2vec", result.version)
    return result.version


def mapper_project_at(root: Path, clip: dict[str, str], demo: Path) -> Project:
    """A project using the ``clip`` encoder settings, with a Tag2Vec champion trained on the demo posts."""
    lines = "".join(f'{key} = "{value}"\n' for key, value in clip.items())
    (root / "reeltag.toml").write_text(
        f'[clip]\n{lines}\n[tracking]\ntrigger = "test"\n\n[tag2vec]\nworkers = 1\n', encoding="utf-8"
    )
    project = Project.open(root)
    register_tag2vec_champion(project, demo / "corpus" / "posts.jsonl")
    return project


def write_demo_labelled(out: Path, size: str = "small") -> Path:
    """A demo size's labelled and shifted videos (seed 1) without its caption videos, corpus and search set."""
    from reeltag.demo.generate import SIZES, stream
    from reeltag.demo.videos import write_video_sets

    spec = SIZES[size]
    write_video_sets(
        out,
        stream(1, "videos"),
        n_per_category=spec.labelled_per_category,
        n_shifted_per_category=spec.shifted_per_category,
        n_caption=0,
        duration_s=spec.duration_s,
    )
    return out
