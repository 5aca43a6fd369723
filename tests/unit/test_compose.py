"""docker-compose.yml parses, sets only settings the code reads, and runs real sub-commands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from services.cli import build_parser
from services.settings import Settings

COMPOSE = Path(__file__).resolve().parents[2] / "docker-compose.yml"


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def test_compose_file_parses_with_kafka_postgres_and_the_processes() -> None:
    services = _compose()["services"]
    assert {"kafka", "postgres", "intake", "relay", "projections"} <= set(services)


def test_every_backbone_variable_in_compose_is_a_setting() -> None:
    fields = {f"BACKBONE_{name.upper()}" for name in Settings.model_fields}
    for name, service in _compose()["services"].items():
        variables = {k for k in service.get("environment", {}) if k.startswith("BACKBONE_")}
        assert variables <= fields, f"{name} sets unknown {variables - fields}"


def test_compose_environment_is_accepted_by_the_settings(monkeypatch: Any) -> None:
    for key, value in _compose()["services"]["relay"]["environment"].items():
        monkeypatch.setenv(key, str(value))
    settings = Settings()
    assert settings.kafka_bootstrap_servers == "kafka:9092"
    assert settings.effective_database_url.startswith("postgresql+psycopg://")


def test_compose_commands_are_backbone_subcommands() -> None:
    parser = build_parser()
    for _name, service in _compose()["services"].items():
        command = service.get("command")
        if command and command[0] == "backbone":
            parser.parse_args(command[1:])  # exits (fails the test) on an unknown command
