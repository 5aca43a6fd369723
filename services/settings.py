"""Process configuration, read once from ``BACKBONE_*`` environment variables.

Every default gives the embedded setup: an SQLite event store and a local Kafka broker under
``BACKBONE_HOME``. Tests build a ``Settings`` with explicit overrides instead of touching the
environment.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_DIR = REPO_ROOT / "deploy" / "config"


class Settings(BaseSettings):
    """Typed, frozen settings of one backbone process."""

    model_config = SettingsConfigDict(env_prefix="BACKBONE_", frozen=True, extra="forbid")

    home: Path = Field(default=Path(".backbone"), description="state of the embedded setup")
    config_dir: Path = Field(default=DEFAULT_CONFIG_DIR, description="agencies, areas, rules")
    database_url: str = Field(default="", description="SQLAlchemy URL; empty: SQLite in home")
    kafka_bootstrap_servers: str = Field(
        default="", description="host:port list; empty: the local broker started in home"
    )
    kafka_security_protocol: Literal["PLAINTEXT", "SASL_PLAINTEXT", "SASL_SSL"] = "SASL_PLAINTEXT"
    kafka_sasl_mechanism: str = "SCRAM-SHA-256"
    kafka_username: str = "backbone"
    kafka_password: str = Field(default="", description="empty: read from the local broker")
    topic_prefix: str = "backbone"
    topic_partitions: int = Field(default=6, ge=1)
    topic_replication: int = Field(default=1, ge=1)
    master_key_file: Path | None = Field(
        default=None, description="key that wraps the per-case keys; default home/master.key"
    )
    sealing_key_file: Path | None = Field(
        default=None, description="backbone's private key for sealed personal data"
    )
    credentials_dir: Path | None = Field(
        default=None, description="agency credentials made by provisioning; default home/agencies"
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "console"] = "json"
    batch_size: int = Field(default=500, ge=1)
    intake_hold_seconds: float = Field(
        default=30.0,
        ge=0,
        description="how long a submission whose case or prerequisite has not arrived yet "
        "waits for it (it may be on another agency's topic) before it is rejected",
    )
    poll_interval_ms: int = Field(default=200, ge=1)
    lang: Literal["vi", "en"] = Field(
        default="vi", description="language of what people read (the CLI's --lang wins)"
    )

    @cached_property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home.resolve() / 'events.db'}"

    @cached_property
    def effective_master_key_file(self) -> Path:
        return self.master_key_file or self.home / "master.key"

    def as_environment(self) -> dict[str, str]:
        """The BACKBONE_* variables that give a child process these same settings."""
        values = self.model_dump(exclude_none=True)
        return {f"BACKBONE_{name.upper()}": str(value) for name, value in values.items()}

    @cached_property
    def effective_sealing_key_file(self) -> Path:
        return self.sealing_key_file or self.home / "sealing.key"

    @cached_property
    def effective_credentials_dir(self) -> Path:
        return self.credentials_dir or self.home / "agencies"


def load_settings(**overrides: object) -> Settings:
    """Read the environment once; ``overrides`` win (used by tests and the CLI)."""
    return Settings(**overrides)  # type: ignore[arg-type]
