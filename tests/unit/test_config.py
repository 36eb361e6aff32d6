from pathlib import Path

import pytest
from pydantic import ValidationError

from reeltag.config import load_settings


def test_defaults_then_toml_then_env_then_flags(tmp_root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_root / "reeltag.toml").write_text("[tag2vec]\nvector_size = 32\nwindow = 3\n[rerank]\nalpha = 0.2\n")
    monkeypatch.setenv("REELTAG_TAG2VEC__WINDOW", "4")
    monkeypatch.setenv("REELTAG_RERANK__ALPHA", "0.3")
    settings = load_settings(tmp_root, overrides={"rerank": {"alpha": 0.4}})
    assert settings.tag2vec.vector_size == 32  # toml over default
    assert settings.tag2vec.window == 4  # env over toml
    assert settings.rerank.alpha == 0.4  # flag over env
    assert settings.tag2vec.epochs == 20  # default kept
    assert settings.root == tmp_root.resolve()


def test_settings_are_frozen_and_validated(tmp_root: Path) -> None:
    settings = load_settings(tmp_root)
    with pytest.raises(ValidationError):
        settings.rerank.alpha = 0.1  # type: ignore[misc]
    with pytest.raises(ValidationError):
        load_settings(tmp_root, overrides={"rerank": {"alpha": 1.5}})


def test_explicit_config_file_must_exist(tmp_root: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_settings(tmp_root, config_file=tmp_root / "missing.toml")


def test_flat_params_and_hash_follow_config(tmp_root: Path) -> None:
    a = load_settings(tmp_root)
    b = load_settings(tmp_root, overrides={"tag2vec": {"epochs": 3}})
    assert a.flat()["tag2vec.vector_size"] == 100
    assert a.config_hash() != b.config_hash()
    assert a.config_hash() == load_settings(tmp_root).config_hash()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("poc_report", "61 * * * *", "invalid cron expression"),
        ("ingest_corpus", "* * *", "invalid cron expression"),
        ("poc_report", "0 6 * * * *", "invalid cron expression"),
        ("timezone", "Mars/Olympus", "unknown IANA time zone"),
    ],
)
def test_schedules_refuse_bad_cron_and_timezone_naming_the_field(
    tmp_root: Path, monkeypatch: pytest.MonkeyPatch, field: str, value: str, message: str
) -> None:
    from pydantic import ValidationError

    monkeypatch.setenv(f"REELTAG_SCHEDULES__{field.upper()}", value)
    with pytest.raises(ValidationError, match=message) as info:
        load_settings(tmp_root)
    assert f"schedules.{field}" in str(info.value)


def test_schedules_accept_empty_and_valid_entries(tmp_root: Path) -> None:
    settings = load_settings(
        tmp_root, overrides={"schedules": {"adapt_encoder": "", "poc_report": "*/5 * * * *", "timezone": "Europe/Berlin"}}
    )
    assert settings.schedules.poc_report == "*/5 * * * *" and settings.schedules.timezone == "Europe/Berlin"
