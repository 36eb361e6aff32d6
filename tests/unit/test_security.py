"""Security helpers: pickle loads only from the project's stores (or --trust), symlink loops never crash path
resolution, and every manifest/labels reader keeps relative paths inside its folder."""

import os
from pathlib import Path

import pytest

from reeltag.errors import BadInput
from reeltag.mapper.labels import resolve_video
from reeltag.paths import ProjectPaths
from reeltag.rerank.formats import read_manifest
from reeltag.security import check_trusted, is_trusted, resolve_path
from reeltag.video.inputs import manifest_path, resolve_inputs


def _loop(folder: Path) -> Path:
    os.symlink("b.mp4", folder / "a.mp4")
    os.symlink("a.mp4", folder / "b.mp4")
    return folder / "a.mp4"


def test_resolve_path_survives_a_symlink_loop(tmp_path: Path) -> None:
    assert resolve_path(_loop(tmp_path)).parent == tmp_path.resolve()


def test_symlink_loop_among_inputs_is_passed_on_not_raised(tmp_path: Path) -> None:
    """Bug fixed: ``Path.resolve`` raised RuntimeError on a loop and stopped the whole batch."""
    loop = _loop(tmp_path)
    (tmp_path / "m.csv").write_text("docid,path\nd1,a.mp4\n", encoding="utf-8")
    assert [v.path.name for v in resolve_inputs([loop]).videos] == ["a.mp4"]
    assert sorted(v.path.name for v in resolve_inputs([tmp_path]).videos) == ["a.mp4", "b.mp4"]
    assert [v.docid for v in resolve_inputs([tmp_path / "m.csv"]).videos] == ["d1"]
    assert "d1" in read_manifest(tmp_path / "m.csv").paths
    assert isinstance(resolve_video("a.mp4", tmp_path), Path)


def test_pickle_files_load_only_from_the_project_stores_unless_trusted(tmp_path: Path) -> None:
    paths = ProjectPaths.at(tmp_path / "project")
    inside = paths.models / "tag2vec" / "v1" / "tag2vec.kv"
    outside = tmp_path / "downloads" / "tag2vec.kv"
    assert is_trusted(inside, paths) and check_trusted(inside, paths) == resolve_path(inside)
    with pytest.raises(BadInput, match="--trust"):
        check_trusted(outside, paths)
    assert check_trusted(outside, paths, trust=True) == resolve_path(outside)


def test_a_symlink_from_the_store_to_outside_is_not_trusted(tmp_path: Path) -> None:
    paths = ProjectPaths.at(tmp_path / "project")
    (tmp_path / "evil").mkdir()
    paths.models.mkdir(parents=True)
    os.symlink(tmp_path / "evil", paths.models / "tag2vec")
    assert not is_trusted(paths.models / "tag2vec" / "tag2vec.kv", paths)


@pytest.mark.parametrize("value", ["../outside.mp4", "sub/../../outside.mp4", "escape/clip.mp4"])
def test_no_reader_lets_a_relative_path_escape_its_folder(tmp_path: Path, value: str) -> None:
    base = tmp_path / "set"
    base.mkdir()
    os.symlink(tmp_path, base / "escape")  # a symlink inside the folder that points above it
    (base / "manifest.csv").write_text(f"docid,path\nd1,{value}\n", encoding="utf-8")
    assert read_manifest(base / "manifest.csv").paths == {}
    assert manifest_path(base, value, allow_absolute=True)[1]
    assert resolve_video(value, base) == f"video path leaves the label folder: {value}"


def test_absolute_paths_follow_the_config_switch(tmp_path: Path) -> None:
    target = str(tmp_path / "elsewhere.mp4")
    (tmp_path / "manifest.csv").write_text(f"docid,path\nd1,{target}\n", encoding="utf-8")
    assert read_manifest(tmp_path / "manifest.csv", allow_absolute=False).paths == {}
    assert "d1" in read_manifest(tmp_path / "manifest.csv", allow_absolute=True).paths
    assert resolve_video(target, tmp_path, allow_absolute=False) == f"absolute video path not allowed: {target}"
    assert resolve_video(target, tmp_path, allow_absolute=True) == Path(target)
    assert manifest_path(tmp_path, target, allow_absolute=False)[1]


def test_an_os_error_in_a_command_is_a_clear_message_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    """Bug fixed: a full disk (ENOSPC/EFBIG) ended commands with a traceback."""
    import errno

    import typer

    from reeltag.commands.common import handles_errors

    @handles_errors
    def command(as_json: bool = False) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", "/data/out.run")

    with pytest.raises(typer.Exit) as info:
        command()
    assert info.value.exit_code == 2 and "No space left on device" in capsys.readouterr().err


def test_invalid_settings_are_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Bug fixed: an out-of-range REELTAG_* value or a bad reeltag.toml ended commands with a traceback."""
    from reeltag.commands.common import open_project

    monkeypatch.setenv("REELTAG_TAG2VEC__EPOCHS", "100000")
    with pytest.raises(BadInput, match="(?s)invalid settings.*tag2vec.epochs"):
        open_project(tmp_path, None)
