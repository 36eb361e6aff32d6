"""The demo world: what can be seen in a demo video, how it is described, and how it is tagged.

Pure stdlib (no numpy), so tests and the corpus generator can use it without heavy imports.

A :class:`Scene` is one coloured shape on a background texture with one kind of motion. A :class:`Category`
is a named scene with two hashtag vocabularies: the one "company A" uses (``tags``) and the shifted one
"company B" uses for the same content (``shifted_tags``: a few tags shared, the rest synonyms). Every
category has its own colour and its own shape, so ``colour + shape`` names a category; the other
``colour x shape`` combinations appear as filler and hard negatives in the search set.
"""

from __future__ import annotations

from dataclasses import dataclass

# name -> RGB; hues chosen to stay apart after yuv420p compression on small frames.
COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (215, 30, 35),
    "orange": (245, 140, 20),
    "yellow": (240, 220, 40),
    "green": (40, 170, 60),
    "cyan": (30, 200, 210),
    "blue": (40, 70, 220),
    "purple": (130, 50, 170),
    "pink": (245, 120, 190),
}
SHAPES: tuple[str, ...] = ("circle", "ring", "square", "diamond", "triangle", "cross", "star", "stripes")
BACKGROUNDS: dict[str, str] = {
    "grey": "a grey background",
    "dark": "a dark background",
    "checker": "a checkered background",
    "noise": "a noisy background",
    "gradient": "a gradient background",
}
MOTIONS: dict[str, str] = {
    "static": "",
    "left": "moving left",
    "right": "moving right",
    "bounce": "bouncing",
    "rotate": "rotating",
    "pulse": "pulsing",
}
# Rotating a square gives a diamond, a circle or ring shows nothing: only these shapes may rotate.
ROTATABLE: frozenset[str] = frozenset({"triangle", "cross", "star", "stripes"})
_PLURAL_SHAPES = frozenset({"stripes"})


@dataclass(frozen=True, kw_only=True)
class Scene:
    """One visible thing: a ``colour`` ``shape`` with ``motion`` on a ``background`` texture."""

    colour: str
    shape: str
    background: str = "grey"
    motion: str = "static"

    def __post_init__(self) -> None:
        _check_scene(self)

    @property
    def combo(self) -> tuple[str, str]:
        """The (colour, shape) pair: what a search topic asks for."""
        return (self.colour, self.shape)

    @property
    def rgb(self) -> tuple[int, int, int]:
        return COLOURS[self.colour]


def _check_scene(scene: Scene) -> None:
    if scene.colour not in COLOURS or scene.shape not in SHAPES:
        raise ValueError(f"unknown colour/shape: {scene.colour!r} {scene.shape!r}")
    if scene.background not in BACKGROUNDS or scene.motion not in MOTIONS:
        raise ValueError(f"unknown background/motion: {scene.background!r} {scene.motion!r}")
    if scene.motion == "rotate" and scene.shape not in ROTATABLE:
        raise ValueError(f"a {scene.shape} cannot rotate visibly")


@dataclass(frozen=True, kw_only=True)
class Category:
    """A named scene and the hashtags two companies use for it (with '#')."""

    name: str
    scene: Scene
    tags: tuple[str, ...]
    shifted_tags: tuple[str, ...]

    @property
    def shared_tags(self) -> tuple[str, ...]:
        """Tags both vocabularies use."""
        return tuple(t for t in self.tags if t in self.shifted_tags)


def _cat(name: str, scene: Scene, tags: str, shifted: str) -> Category:
    return Category(name=name, scene=scene, tags=tuple(tags.split()), shifted_tags=tuple(shifted.split()))


CATEGORIES: tuple[Category, ...] = (
    _cat(
        "sunset",
        Scene(colour="orange", shape="circle", background="gradient", motion="static"),
        "#sunset #goldenhour #sky #evening #sun #dusk",
        "#sunset #sky #sundown #duskvibes #eveningglow",
    ),
    _cat(
        "ocean",
        Scene(colour="blue", shape="stripes", background="noise", motion="right"),
        "#ocean #waves #beach #sea #surf #seaside",
        "#ocean #beach #coastline #surfsup #saltwater",
    ),
    _cat(
        "forest",
        Scene(colour="green", shape="triangle", background="checker", motion="static"),
        "#forest #nature #trees #hiking #woods",
        "#nature #hiking #woodland #greenery #trailtime",
    ),
    _cat(
        "fitness",
        Scene(colour="red", shape="square", background="grey", motion="bounce"),
        "#fitness #gym #workout #fitfam #training #gains",
        "#fitness #workout #fitlife #sweat #legday",
    ),
    _cat(
        "party",
        Scene(colour="purple", shape="star", background="dark", motion="rotate"),
        "#party #nightlife #dance #club #dj",
        "#party #dance #nightout #ravelife #weekendvibes",
    ),
    _cat(
        "winter",
        Scene(colour="cyan", shape="cross", background="grey", motion="pulse"),
        "#winter #snow #cold #snowday #frost",
        "#winter #snow #wintervibes #snowfall #freezing",
    ),
    _cat(
        "food",
        Scene(colour="yellow", shape="ring", background="checker", motion="static"),
        "#food #foodie #yummy #dinner #instafood #delicious",
        "#food #foodie #eats #homecooking #foodporn",
    ),
    _cat(
        "love",
        Scene(colour="pink", shape="diamond", background="gradient", motion="pulse"),
        "#love #wedding #couple #romance #heart",
        "#love #couple #relationshipgoals #together #bride",
    ),
)

# Tags that go with any category (corpus noise), tags that only appear late in the corpus time range
# (trend), and tags that first appear in the later batch posts_new.jsonl (incremental training).
GENERAL_TAGS: tuple[str, ...] = ("#fyp", "#viral", "#reels", "#instagood", "#photooftheday", "#trending")
TREND_TAGS: dict[str, str] = {"fitness": "#hyrox", "food": "#dubaichocolate", "party": "#bratsummer"}
NEW_TAGS: dict[str, str] = {"fitness": "#pickleball", "food": "#matchalatte", "winter": "#aurora"}


def category_by_name(name: str) -> Category:
    for category in CATEGORIES:
        if category.name == name:
            return category
    raise KeyError(name)


def category_for_scene(scene: Scene) -> Category | None:
    """The category whose scene this is exactly, or None for a filler scene."""
    return next((c for c in CATEGORIES if c.scene == scene), None)


def category_for_combo(colour: str, shape: str) -> Category | None:
    """The category with this colour and shape (each category owns one colour and one shape)."""
    return next((c for c in CATEGORIES if c.scene.combo == (colour, shape)), None)


def describe_object(colour: str, shape: str) -> str:
    """'a red circle', 'an orange ring', 'blue stripes': how captions and topics name a thing."""
    if shape in _PLURAL_SHAPES:
        return f"{colour} {shape}"
    article = "an" if colour[0] in "aeiou" else "a"
    return f"{article} {colour} {shape}"


def caption(scene: Scene) -> str:
    """What is visible: 'a red circle moving left on a grey background'."""
    motion = MOTIONS[scene.motion]
    middle = f" {motion}" if motion else ""
    return f"{describe_object(scene.colour, scene.shape)}{middle} on {BACKGROUNDS[scene.background]}"


def topic_text(colour: str, shape: str) -> str:
    """A search topic phrased like a caption: 'an orange circle'."""
    return describe_object(colour, shape)


def allowed_motions(shape: str) -> tuple[str, ...]:
    """Motions that are visible for ``shape`` (rotation only where it shows)."""
    return tuple(m for m in MOTIONS if m != "rotate" or shape in ROTATABLE)


def all_tags() -> tuple[str, ...]:
    """Every tag of the world, both vocabularies and the extra tags, sorted."""
    tags: set[str] = set(GENERAL_TAGS) | set(TREND_TAGS.values()) | set(NEW_TAGS.values())
    for category in CATEGORIES:
        tags.update(category.tags, category.shifted_tags)
    return tuple(sorted(tags))
