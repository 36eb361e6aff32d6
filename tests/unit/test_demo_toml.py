"""The demo's reeltag.toml: written when absent or demo-written and stale; a user's own file is kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from reeltag.demo.steps import DEMO_ARCH, demo_toml, write_demo_toml


def test_absent_toml_is_written_with_the_demo_architecture(tmp_path: Path) -> None:
    write_demo_toml(tmp_path, "small")
    text = (tmp_path / "reeltag.toml").read_text()
    assert text == demo_toml(tmp_path, "small") and f'arch = "{DEMO_ARCH}"' in text
    assert not (tmp_path / "reeltag.toml.bak").exists()


def test_stale_demo_toml_is_replaced_and_backed_up(tmp_path: Path) -> None:
    old = "# written by `reeltag demo` (size=small)\n[clip]\nadapt_steps = 120\n"
    (tmp_path / "reeltag.toml").write_text(old)
    write_demo_toml(tmp_path, "full")
    assert (tmp_path / "reeltag.toml").read_text() == demo_toml(tmp_path, "full")
    assert (tmp_path / "reeltag.toml.bak").read_text() == old


def test_a_users_own_toml_is_kept(tmp_path: Path) -> None:
    mine = "[clip]\nadapt_steps = 5\n"
    (tmp_path / "reeltag.toml").write_text(mine)
    write_demo_toml(tmp_path, "small")
    assert (tmp_path / "reeltag.toml").read_text() == mine and not (tmp_path / "reeltag.toml.bak").exists()


def test_quick_settings_are_reduced_and_switching_back_rewrites_them(tmp_path: Path) -> None:
    import tomllib

    write_demo_toml(tmp_path, "tiny", quick=True)
    quick = tomllib.loads((tmp_path / "reeltag.toml").read_text())
    assert quick["clip"]["adapt_steps"] < tomllib.loads(demo_toml(tmp_path, "tiny"))["clip"]["adapt_steps"]
    assert quick["rerank"]["alpha_grid"] == [0.0, 0.5, 1.0] and quick["clip"]["arch"] == DEMO_ARCH
    write_demo_toml(tmp_path, "tiny")
    assert (tmp_path / "reeltag.toml").read_text() == demo_toml(tmp_path, "tiny")


def test_a_fresh_root_with_only_what_the_demo_command_made_first_is_accepted(tmp_path: Path) -> None:
    from reeltag.demo.steps import check_demo_root
    from reeltag.errors import BadInput

    (tmp_path / "data" / "prefect").mkdir(parents=True)
    (tmp_path / "data" / "logs").mkdir()
    (tmp_path / "data" / "logs" / "demo.log").write_text("started\n", encoding="utf-8")
    check_demo_root(tmp_path)  # `reeltag demo` opens its log before the flow checks the root again
    (tmp_path / "data" / "corpus").mkdir()
    with pytest.raises(BadInput, match="not a demo project"):
        check_demo_root(tmp_path)


def test_the_demo_toml_configures_the_simulated_online_experiment(tmp_path: Path) -> None:
    from reeltag.project import Project

    write_demo_toml(tmp_path, "tiny", quick=True)
    online = Project.open(tmp_path).settings.ab.online
    assert online.name == "demo-search" and online.method == "interleave" and set(online.variants) == {"engine", "champion"}
