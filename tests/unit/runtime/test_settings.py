"""Settings come from BACKBONE_* variables, once, with defaults for the embedded set-up."""

from __future__ import annotations

from pathlib import Path

import pydantic
import pytest

from services.runtime.settings import load_settings


def test_defaults_give_the_embedded_setup(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("BACKBONE_DATABASE_URL", "BACKBONE_KAFKA_BOOTSTRAP_SERVERS", "BACKBONE_HOME"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.effective_database_url.startswith("sqlite:///")
    assert settings.effective_database_url.endswith(".backbone/events.db")
    assert settings.kafka_bootstrap_servers == ""


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACKBONE_DATABASE_URL", "postgresql+psycopg://u:p@db/backbone")
    monkeypatch.setenv("BACKBONE_TOPIC_PARTITIONS", "12")
    monkeypatch.setenv("BACKBONE_HOME", "/srv/backbone")
    settings = load_settings()
    assert settings.effective_database_url == "postgresql+psycopg://u:p@db/backbone"
    assert settings.topic_partitions == 12
    assert settings.home == Path("/srv/backbone")


def test_a_bad_value_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BACKBONE_TOPIC_PARTITIONS", "many")
    with pytest.raises(pydantic.ValidationError, match="topic_partitions"):
        load_settings()


def test_settings_are_frozen() -> None:
    settings = load_settings(topic_prefix="x")
    with pytest.raises(pydantic.ValidationError):
        settings.topic_prefix = "y"  # type: ignore[misc]


def test_settings_survive_the_trip_through_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    original = load_settings(
        topic_prefix="p1",
        topic_partitions=3,
        home=Path("/tmp/h"),
        kafka_bootstrap_servers="127.0.0.1:1",
    )
    for name, value in original.as_environment().items():
        monkeypatch.setenv(name, value)
    assert load_settings() == original
