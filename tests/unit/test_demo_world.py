"""The demo world: categories, vocabularies and captions (pure, no numpy)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from reeltag.demo import world
from reeltag.demo.world import CATEGORIES, Scene, caption, category_for_combo, describe_object


def test_at_least_eight_distinct_categories() -> None:
    assert len(CATEGORIES) >= 8
    assert len({c.name for c in CATEGORIES}) == len(CATEGORIES)
    assert len({c.scene.colour for c in CATEGORIES}) == len(CATEGORIES)
    assert len({c.scene.shape for c in CATEGORIES}) == len(CATEGORIES)
    assert len({c.scene.background for c in CATEGORIES}) >= 4
    assert len({c.scene.motion for c in CATEGORIES}) >= 4


@pytest.mark.parametrize("category", CATEGORIES, ids=lambda c: c.name)
def test_vocabularies_are_hashtags_and_shifted_partly(category: world.Category) -> None:
    assert 5 <= len(category.tags) <= 6 and 5 <= len(category.shifted_tags) <= 6
    assert all(t.startswith("#") and t == t.lower() for t in category.tags + category.shifted_tags)
    assert 1 <= len(category.shared_tags) <= 2
    assert len(set(category.shifted_tags) - set(category.tags)) >= 3


def test_vocabularies_do_not_overlap_across_categories() -> None:
    seen: dict[str, str] = {}
    for category in CATEGORIES:
        for tag in set(category.tags) | set(category.shifted_tags):
            assert seen.setdefault(tag, category.name) == category.name, tag


def test_extra_tags_are_new_to_the_world() -> None:
    category_tags = {t for c in CATEGORIES for t in c.tags + c.shifted_tags}
    extra = set(world.GENERAL_TAGS) | set(world.TREND_TAGS.values()) | set(world.NEW_TAGS.values())
    assert not extra & category_tags
    assert set(world.all_tags()) == category_tags | extra


def test_caption_says_what_is_visible() -> None:
    text = caption(Scene(colour="red", shape="circle", background="grey", motion="left"))
    assert text == "a red circle moving left on a grey background"
    assert caption(Scene(colour="orange", shape="ring", background="checker")) == "an orange ring on a checkered background"
    assert (
        caption(Scene(colour="blue", shape="stripes", background="noise", motion="rotate"))
        == "blue stripes rotating on a noisy background"
    )


@pytest.mark.parametrize("category", CATEGORIES, ids=lambda c: c.name)
def test_category_caption_names_colour_shape_background(category: world.Category) -> None:
    text = caption(category.scene)
    assert category.scene.colour in text and category.scene.shape in text
    assert world.BACKGROUNDS[category.scene.background] in text
    assert world.MOTIONS[category.scene.motion] in text


def test_category_captions_and_topics_are_distinct() -> None:
    assert len({caption(c.scene) for c in CATEGORIES}) == len(CATEGORIES)
    assert describe_object("orange", "circle") == "an orange circle"
    assert category_for_combo("orange", "circle").name == "sunset"  # type: ignore[union-attr]
    assert category_for_combo("orange", "square") is None


@pytest.mark.parametrize(
    "bad",
    [
        ("mauve", "circle", "grey", "static"),
        ("red", "blob", "grey", "static"),
        ("red", "circle", "lava", "static"),
        ("red", "square", "grey", "rotate"),
    ],
)
def test_invalid_scenes_are_refused(bad: tuple[str, str, str, str]) -> None:
    colour, shape, background, motion = bad
    with pytest.raises(ValueError):
        Scene(colour=colour, shape=shape, background=background, motion=motion)


def test_rotation_only_where_visible() -> None:
    assert "rotate" not in world.allowed_motions("circle")
    assert "rotate" in world.allowed_motions("star")


def test_world_and_package_import_nothing_heavy() -> None:
    code = (
        "import sys, reeltag.demo, reeltag.demo.world\n"
        "heavy = {'numpy', 'imageio_ffmpeg', 'torch', 'mlflow', 'decord', 'gensim'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
