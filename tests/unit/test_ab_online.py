"""Online A/B, pure parts: stable salted-hash assignment, team-draft interleaving on hand-worked cases (its click
credit: tests/unit/test_ab_aggregate.py), the SRM guardrail, and the per-user bootstrap CI's coverage of a planted
zero difference."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from reeltag.ab.event_log import QueryCounts
from reeltag.ab.online import assign, team_draft
from reeltag.ab.online_stats import deltas, outcomes, sample_ratio, win_share

SHARES = {"engine": 30.0, "champion": 70.0}


def test_assignment_is_stable_and_matches_the_shares_over_100k_ids() -> None:
    ids = [f"user-{i}" for i in range(100_000)]
    first = [assign("exp1", u, SHARES) for u in ids]
    assert first == [assign("exp1", u, dict(SHARES)) for u in ids]  # same answer on recomputation (no state)
    counts = Counter(first)
    assert abs(counts["champion"] / len(ids) - 0.70) < 0.01 and abs(counts["engine"] / len(ids) - 0.30) < 0.01
    other = [assign("exp2", u, SHARES) for u in ids[:2000]]
    assert other != first[:2000]  # the salt re-draws the split


def test_assignment_is_the_same_in_another_process() -> None:
    import subprocess
    import sys

    code = (
        "from reeltag.ab.online import assign; print([assign('exp1', f'u{i}', {'engine': 1, 'champion': 1}) for i in range(50)])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == str([assign("exp1", f"u{i}", {"engine": 1, "champion": 1}) for i in range(50)])


def test_team_draft_matches_a_hand_worked_case() -> None:
    a, b = ("engine", ["d1", "d2", "d3", "d4"]), ("champion", ["d2", "d4", "d1", "d3"])
    # round 1 tie, coin → A first: A takes d1, then B takes d2. Round 2 tie, coin → B: B takes d4, A takes d3.
    out = team_draft(a, b, iter([True, False]))
    assert out.docids == ("d1", "d2", "d4", "d3")
    assert out.teams == ("engine", "champion", "champion", "engine")
    # coin → B first: B d2, A d1; then coin → A: A d3, B d4
    out = team_draft(a, b, iter([False, True]))
    assert out.docids == ("d2", "d1", "d3", "d4") and out.teams == ("champion", "engine", "engine", "champion")


def test_team_draft_shows_every_docid_once_when_one_ranking_is_shorter() -> None:
    out = team_draft(("engine", ["x", "y"]), ("champion", ["y", "z", "w"]), iter([True] * 10))
    assert sorted(out.docids) == ["w", "x", "y", "z"] and len(out.teams) == 4


def test_srm_flags_a_planted_45_55_split_and_not_a_hashed_50_50_one() -> None:
    shares = {"engine": 50.0, "champion": 50.0}
    assert sample_ratio({"engine": 4500, "champion": 5500}, shares, 0.001).mismatch
    hashed = Counter(assign("srm", f"u{i}", shares) for i in range(10_000))
    check = sample_ratio(hashed, shares, 0.001)
    assert not check.mismatch and check.p_value > 0.001


def _one_click_each(clicked: np.ndarray, position: np.ndarray) -> QueryCounts:
    """Counts of queries with at most one click each (at ``position``, within the top 10 of 10 shown)."""
    n = clicked.astype(int)
    return QueryCounts(top=10, shown=np.full(len(n), 10), events=n, engaged_top=n, clicks_top=n, first_click=position, engaged=n)


def _planted_zero(seed: int, users: int = 150) -> bool:
    rng = np.random.default_rng(seed)
    per_user = rng.integers(1, 6, size=users)
    user = np.repeat(np.arange(users), per_user)
    variant = np.where(user % 2 == 0, "engine", "champion")
    propensity = rng.uniform(0.2, 0.8, size=users)[user]  # users differ; variants do not
    clicked = rng.random(len(user)) < propensity
    o = outcomes(user, _one_click_each(clicked, np.where(clicked, rng.integers(1, 11, size=len(user)), 0)))
    success = deltas(o, variant, "engine", "champion", n_boot=300, seed=seed)[0]
    return success.ci_low <= 0 <= success.ci_high


def test_bootstrap_ci_of_a_planted_zero_covers_zero_in_at_least_90_percent_of_200_trials() -> None:
    covered = sum(_planted_zero(seed) for seed in range(200))
    assert covered >= 180, covered


def test_win_share_ci() -> None:
    assert win_share(70, 30, 5).significant and not win_share(52, 48, 0).significant
    assert not win_share(0, 0, 3).significant


def test_a_bootstrap_on_too_few_users_is_unbounded() -> None:
    user = np.arange(4)
    o = outcomes(user, _one_click_each(np.array([False, True, False, True]), np.array([0, 1, 0, 1])))
    success = deltas(o, np.array(["engine", "champion"] * 2), "engine", "champion", n_boot=200, seed=0)[0]
    assert success.delta == 1.0 and not success.significant


def test_variants_are_two_of_engine_champion_and_challenger(tmp_path) -> None:
    from pydantic import ValidationError

    from reeltag.ab.serving import arms
    from reeltag.config import AbOnlineSection, load_settings

    (tmp_path / "reeltag.toml").write_text('[ab.online]\nname = "x"\nvariants = { engine = 1, challenger = 1 }\n')
    assert load_settings(tmp_path).ab.online.variants == {"engine": 1.0, "challenger": 1.0}  # not merged with the default

    assert arms(AbOnlineSection(name="x")) == ("engine", "champion")
    assert arms(AbOnlineSection(name="x", variants={"challenger": 1, "engine": 1})) == ("engine", "challenger")
    assert arms(AbOnlineSection(name="x", variants={"challenger": 1, "champion": 1})) == ("champion", "challenger")
    for bad in ({"engine": 1, "champion": 1, "challenger": 1}, {"engine": 1, "rival": 1}, {"challenger": 1}):
        with pytest.raises(ValidationError, match="exactly two of engine, champion, challenger"):
            AbOnlineSection(name="x", variants=bad)


def test_a_challenger_arm_is_served_its_own_ranking() -> None:
    from reeltag.ab.serving import arrange, rankings_needed
    from reeltag.config import AbOnlineSection

    split = AbOnlineSection(name="ch", variants={"champion": 50, "challenger": 50})
    rankings = {"champion": ["a", "b", "c"], "challenger": ["c", "b", "a"]}
    users = [f"u{i}" for i in range(40)]
    for user in users:
        (arm,) = rankings_needed(split, user, salt="s")
        shown = arrange(split, user, "r1", rankings, salt="s")
        assert shown.variant == arm and shown.docids == tuple(rankings[arm]) and shown.teams is None
    assert {rankings_needed(split, u, salt="s")[0] for u in users} == {"champion", "challenger"}
    mixed = split.model_copy(update={"method": "interleave"})
    assert rankings_needed(mixed, "u1", salt="s") == ("champion", "challenger")
    shown = arrange(mixed, "u1", "r1", rankings, salt="s")
    assert (
        shown.variant == "interleaved"
        and set(shown.teams) == {"champion", "challenger"}
        and sorted(shown.docids) == ["a", "b", "c"]
    )
