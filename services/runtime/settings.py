"""Process configuration, read once from ``BACKBONE_*`` environment variables.

Every default gives the embedded setup: an SQLite event store and a local Kafka broker under
``BACKBONE_HOME``. Tests build a ``Settings`` with explicit overrides instead of touching the
environment.
"""

from __future__ import annotations

from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

import deploy

# Found from the deploy package, not from this file's depth, so the module may live anywhere.
REPO_ROOT = Path(deploy.__file__).resolve().parent.parent
DEFAULT_CONFIG_DIR = REPO_ROOT / "deploy" / "config"


class Settings(BaseSettings):
    """Typed, frozen settings of one backbone process."""

    model_config = SettingsConfigDict(env_prefix="BACKBONE_", frozen=True, extra="forbid")

    home: Path = Field(default=Path(".backbone"), description="state of the embedded setup")
    config_dir: Path = Field(default=DEFAULT_CONFIG_DIR, description="agencies, areas, rules")
    database_url: str = Field(
        default="",
        description="SQLAlchemy URL of the owner role (not a superuser); empty: SQLite in home",
    )
    reader_database_url: str = Field(
        default="",
        description="URL of the read-only role for the dashboard and reports; empty: derived",
    )
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
    audit_checkpoint_seconds: float = Field(
        default=300.0, gt=0, description="how often the checkpointer signs the audit log"
    )
    clock_skew_seconds: float = Field(
        default=600.0,
        ge=0,
        description="how far after the backbone's clock a step's occurred_at may be before it "
        "is refused (occurred_in_future)",
    )
    occurred_at_floor: date = Field(
        default=date(2000, 1, 1),
        description="steps dated before this day (UTC) are refused (occurred_too_early)",
    )
    max_submission_bytes: int = Field(
        default=262_144,
        ge=1024,
        le=1_000_000,
        description="largest intake message: max.message.bytes of the intake topics at "
        "provisioning; a larger one that arrives is refused (submission_too_large)",
    )
    report_min_cell: int = Field(
        default=5,
        ge=1,
        description="published reports hide counts above zero and below this (and what would "
        "reveal them)",
    )
    # The supervisors' dashboard (``backbone serve``).
    web_host: str = Field(default="127.0.0.1", description="address the dashboard listens on")
    web_port: int = Field(default=8080, ge=0, le=65535)
    web_database_url: str = Field(
        default="", description="read models for the dashboard (a read-only role); empty: store"
    )
    users_file: Path | None = Field(
        default=None, description="dashboard users, roles and scopes; default home/users.toml"
    )
    web_session_key_file: Path | None = Field(
        default=None, description="key that signs session cookies; default home/web-session.key"
    )
    web_secure_cookies: bool = Field(
        default=True, description="session cookie only over HTTPS (browsers allow localhost)"
    )
    web_refresh_seconds: float = Field(
        default=2.0, gt=0, description="how often the board looks for changes to push"
    )
    api_keys_file: Path | None = Field(
        default=None, description="hashed API keys of agency systems; default home/api-keys.json"
    )
    api_rate_per_second: float = Field(default=20.0, gt=0, description="per agency, sustained")
    api_burst: int = Field(default=40, ge=1, description="per agency, requests at once")
    api_max_body_bytes: int = Field(default=65536, ge=1024, description="larger bodies: 413")
    api_rotation_grace_hours: float = Field(
        default=24.0, ge=0, description="how long a rotated-out API key keeps working"
    )
    api_tls_cert_file: Path | None = Field(default=None, description="PEM certificate (HTTPS)")
    api_tls_key_file: Path | None = Field(default=None, description="PEM private key (HTTPS)")
    webhooks_file: Path | None = Field(
        default=None, description="agencies' webhook URLs and secrets; default home/webhooks.json"
    )
    webhook_max_attempts: int = Field(default=6, ge=1, description="then set aside")
    webhook_backoff_seconds: float = Field(default=1.0, gt=0, description="doubles per retry")
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    smtp_host: str = Field(default="", description="mail server of the e-mail digest")
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_starttls: bool = Field(default=True, description="STARTTLS before logging in")
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_sender: str = "backbone@localhost"
    lang: Literal["vi", "en"] = Field(
        default="vi", description="language of what people read (the CLI's --lang wins)"
    )
    # Health and metrics endpoints of the long-running processes (services/ops/health.py).
    metrics_port: int = Field(
        default=0,
        ge=0,
        le=65500,
        description="first port of the processes' /metrics and /healthz endpoints (each adds "
        "its offset: relay +0, intake +1, projections +2, ...); 0: no endpoints",
    )
    metrics_host: str = Field(default="127.0.0.1", description="address the endpoints bind")
    liveness_seconds: float = Field(
        default=120.0, gt=0, description="a loop stuck longer than this answers 'not alive'"
    )
    projection_group: bool = Field(
        default=False,
        description="share case-events' partitions with other projection processes (a "
        "consumer group on PostgreSQL); false: this one process reads every partition",
    )

    @cached_property
    def embedded_store(self) -> Path | None:
        """The SQLite file of the embedded set-up; ``None`` when a database URL is given."""
        return None if self.database_url else self.home.resolve() / "events.db"

    @cached_property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.embedded_store}"

    @cached_property
    def effective_reader_database_url(self) -> str:
        """What read-only surfaces (dashboard, reports) connect with.

        ``BACKBONE_READER_DATABASE_URL`` when set (on PostgreSQL: the reader role, which may only
        read the read models); else the embedded SQLite file opened read-only; else, on a server
        without a reader role configured, the owner's URL.
        """
        if self.reader_database_url:
            return self.reader_database_url
        if self.database_url:
            return self.database_url
        return f"sqlite:///file:{self.embedded_store}?mode=ro&uri=true"

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

    @cached_property
    def effective_users_file(self) -> Path:
        return self.users_file or self.home / "users.toml"

    @cached_property
    def effective_web_session_key_file(self) -> Path:
        return self.web_session_key_file or self.home / "web-session.key"

    @cached_property
    def effective_web_database_url(self) -> str:
        return self.web_database_url or self.effective_reader_database_url

    @cached_property
    def effective_webhooks_file(self) -> Path:
        return self.webhooks_file or self.home / "webhooks.json"

    @cached_property
    def effective_api_keys_file(self) -> Path:
        return self.api_keys_file or self.home / "api-keys.json"


def load_settings(**overrides: object) -> Settings:
    """Read the environment once; ``overrides`` win (used by tests and the CLI)."""
    return Settings(**overrides)  # type: ignore[arg-type]
