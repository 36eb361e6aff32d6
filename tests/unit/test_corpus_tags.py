"""Hashtag normalisation: invariance, rejection reasons, surface forms."""

import pytest

from reeltag.corpus.tags import (
    SurfaceForms,
    TagRules,
    extract_hashtags,
    normalise_tag,
    normalise_tags,
    repair_text,
    split_tag_field,
)

RULES = TagRules(stop_tags=frozenset({"repost", "instagood"}), min_len=2, max_len=12)


@pytest.mark.parametrize("raw", ["#Cat", "cat", "#cat", "CAT", "#ＣＡＴ", "##cat"])
def test_cat_written_any_way_is_one_tag(raw: str) -> None:
    assert normalise_tag(raw, RULES) == ("cat", "")


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("#1", "no letter"),
        ("#2016", "no letter"),
        ("x", "length"),
        ("#abcdefghijklmnop", "length"),
        ("#repost", "stop-tag"),
        ("#InstaGood", "stop-tag"),
        ("foo-bar", "not a word"),
        ("birdsâ", "mojibake"),
        ("ð", "mojibake"),
    ],
)
def test_rejected_tags_say_why(raw: str, reason: str) -> None:
    assert normalise_tag(raw, RULES) == (None, reason)


def test_mojibake_is_repaired_before_extraction() -> None:
    broken = "in ur\u00f0\u009f\u0098\u008d #birds\u00e2\u0080\u0099 #movie"  # UTF-8 emoji read as Latin-1
    text = repair_text(broken)
    assert "\u00f0" not in text
    assert extract_hashtags(text) == ["birds", "movie"]


def test_non_ascii_words_are_kept() -> None:
    assert normalise_tag("#Café", RULES) == ("café", "")
    assert normalise_tag("#東京", RULES) == ("東京", "")


def test_normalise_tags_dedupes_keeps_order_and_caps() -> None:
    tags, rejected = normalise_tags(["#BB", "aa", "#bb", "#repost", "cc", "dd"], RULES, max_tags=2)
    assert tags == ["bb", "aa"]
    assert rejected == {"stop-tag": 1, "over max_tags_per_post": 2}


def test_tag_field_accepts_lists_and_strings() -> None:
    assert split_tag_field(["#a", " b "]) == ["#a", "b"]
    assert split_tag_field("#a, b;c  d") == ["#a", "b", "c", "d"]


def test_surface_form_is_the_most_frequent_variant_of_a_stem() -> None:
    forms = SurfaceForms.fit([["cats", "dog"], ["cats"], ["cat", "running"]])
    assert forms.canonical("cat") == "cats"
    assert forms.canonical("cats") == "cats"
    assert forms.sentence(["cat", "cats", "dog"]) == ["cats", "dog"]
    assert forms.canonical("unseen") == "unseen"


def test_surface_forms_keep_old_choices_when_refitted() -> None:
    old = SurfaceForms.fit([["cat"]])
    new = SurfaceForms.fit([["cats"], ["cats"], ["newtag"]], keep=old)
    assert new.canonical("cats") == "cat"
    assert new.canonical("newtag") == "newtag"


def test_invisible_characters_do_not_split_or_hide_tags() -> None:
    """Bug fixed: a zero-width space/joiner inside ``#cat`` stored the tag ``ca``; bidi controls hid tags."""
    text = repair_text("#ca\u200bt #do\u200dg #\u202ebird #fi\ufeffsh #שלום")
    assert extract_hashtags(text) == ["cat", "dog", "bird", "fish", "שלום"]


def test_emoji_mojibake_with_a_soft_hyphen_byte_is_repaired() -> None:
    """😭 is F0 9F 98 AD; read as Latin-1 its last byte is U+00AD (soft hyphen, an invisible character)."""
    from reeltag.corpus.tags import repair_text

    assert repair_text("#thursdaythoughts" + "😭".encode().decode("latin-1")) == "#thursdaythoughts😭"
