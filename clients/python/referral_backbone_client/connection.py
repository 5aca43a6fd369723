"""How an agency system reaches the broker: bootstrap, SASL/SCRAM login, topic names."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Connection:
    """One agency's login to the backbone's Kafka (CONTRACT.md, *Connecting to Kafka*)."""

    bootstrap_servers: str
    agency: str
    password: str
    security_protocol: str = "SASL_SSL"
    ssl_cafile: str | None = None
    """The CA certificate the operator gives with ``SASL_SSL``."""
    topic_prefix: str = "backbone"

    @classmethod
    def from_credentials_file(
        cls, path: Path, bootstrap_servers: str, **options: Any
    ) -> Connection:
        """From the ``{"agency": ..., "password": ...}`` file that provisioning wrote."""
        saved = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(bootstrap_servers, str(saved["agency"]), str(saved["password"]), **options)

    @property
    def intake_topic(self) -> str:
        return f"{self.topic_prefix}.intake.{self.agency}"

    @property
    def inbox_topic(self) -> str:
        return f"{self.topic_prefix}.inbox.{self.agency}"

    @property
    def rejected_topic(self) -> str:
        return f"{self.topic_prefix}.rejected.{self.agency}"

    def group(self, purpose: str) -> str:
        """A consumer group the ACLs allow: ``<prefix>.agency.<agency>.<purpose>``."""
        return f"{self.topic_prefix}.agency.{self.agency}.{purpose}"

    def kafka_options(self) -> dict[str, Any]:
        """Keyword arguments for a kafka-python producer or consumer."""
        options: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap_servers.split(","),
            "security_protocol": self.security_protocol,
            "sasl_mechanism": "SCRAM-SHA-256",
            "sasl_plain_username": self.agency,
            "sasl_plain_password": self.password,
        }
        if self.ssl_cafile:
            options["ssl_cafile"] = self.ssl_cafile
        return options
