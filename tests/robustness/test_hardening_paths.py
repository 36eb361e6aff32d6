"""Issue 13, finding 8 and the last bullet of 13: manifests, labels and folder scans keep to their folder by
default (absolute paths and links out need ``paths.allow_absolute_manifest_paths``), and with ``REELTAG_ROOT``
set the settings file is that root's, not the current folder's."""

from __future__ import annotations

from pathlib import Path

import pytest

from reeltag.config import load_settings
from reeltag.mapper.labels import read_labels
from reeltag.rerank.formats import read_manifest
from reeltag.video.inputs import resolve_inputs

pytestmark = pytest.mark.robustness

OUTSIDE = ("/etc/hostname", "~/.bashrc")


def test_absolute_paths_are_off_by_default_in_the_settings() -> None:
    assert load_settings(Path("/nonexistent-root")).paths.allow_absolute_manifest_paths is False


@pytest.mark.parametrize("target", OUTSIDE)
def test_manifests_refuse_absolute_and_home_paths_by_default(tmp_path: Path, tried, target: str) -> None:
    tried.bad_input("security", f"absolute path {target} in a video or search manifest (default settings)")
    (tmp_path / "videos.csv").write_text(f"path,docid\n{target},d1\n", encoding="utf-8")
    (tmp_path / "search.csv").write_text(f"docid,path\nd1,{target}\n", encoding="utf-8")
    found = resolve_inputs([tmp_path / "videos.csv"])
    assert not found.videos and "absolute" in found.rejected[0].reason
    assert read_manifest(tmp_path / "search.csv").paths == {}


def test_labels_refuse_absolute_paths_by_default(tmp_path: Path, tried) -> None:
    """(``~`` is not expanded in labels: ``~/x`` is a path inside the labels' folder.)"""
    tried.bad_input("security", "absolute path in a labels file (default settings)")
    (tmp_path / "labels.csv").write_text("video,tags\n/etc/hostname,#cat\n", encoding="utf-8")
    labels = read_labels(tmp_path / "labels.csv", lambda t: t.lstrip("#"))
    assert not labels.rows and "absolute" in labels.bad[0].reason


def test_a_folder_scan_does_not_follow_a_link_out_of_the_folder(tmp_path: Path, tried) -> None:
    tried.bad_input("security", "symlink out of a scanned video folder")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.mp4").write_bytes(b"x")
    folder = tmp_path / "videos"
    folder.mkdir()
    (folder / "own.mp4").write_bytes(b"y")
    (folder / "link.mp4").symlink_to(outside / "secret.mp4")
    found = resolve_inputs([folder])
    assert [v.path.name for v in found.videos] == ["own.mp4"]
    assert "leads out of it" in found.rejected[0].reason
    assert len(resolve_inputs([folder], allow_absolute=True).videos) == 2


def test_reeltag_root_uses_its_own_settings_file_not_the_current_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tried
) -> None:
    tried.bad_input("config", "REELTAG_ROOT set while the current folder has another project's reeltag.toml")
    here, there = tmp_path / "here", tmp_path / "there"
    for folder, epochs in ((here, 3), (there, 7)):
        folder.mkdir()
        (folder / "reeltag.toml").write_text(f"[tag2vec]\nepochs = {epochs}\n", encoding="utf-8")
    monkeypatch.chdir(here)
    monkeypatch.setenv("REELTAG_ROOT", str(there))
    settings = load_settings()
    assert settings.root == there.resolve() and settings.tag2vec.epochs == 7
    (there / "reeltag.toml").unlink()
    assert load_settings().tag2vec.epochs == 20  # the default, not the current folder's 3
